/** Quadrature rules for the path integral of integrated gradients, on [0, 1]. */
import * as tf from '@tensorflow/tfjs';
import { integrationMethods } from './method-specs.js';
import { argumentError } from '../util/errors.js';

export { integrationMethods } from './method-specs.js';

/** An integration rule. `trapezoid` is the original module's default. */
export type IntegrationMethod = (typeof integrationMethods)[number];

/** Where to evaluate the integrand and with what weight. */
export interface IntegrationPoints {
  /** Points in [0, 1] (Float64Array). */
  alphas: Float64Array;
  /** Weights summing to 1. */
  weights: Float64Array;
}

function gaussLegendre(n: number): IntegrationPoints {
  const alphas = new Float64Array(n);
  const weights = new Float64Array(n);
  for (let i = 0; i < Math.ceil(n / 2); i++) {
    let z = Math.cos((Math.PI * (i + 0.75)) / (n + 0.5));
    let derivative = 0;
    for (let iteration = 0; iteration < 100; iteration++) {
      let current = 1;
      let previous = 0;
      for (let j = 1; j <= n; j++) {
        const older = previous;
        previous = current;
        current = ((2 * j - 1) * z * previous - (j - 1) * older) / j;
      }
      derivative = (n * (z * current - previous)) / (z * z - 1);
      const step = current / derivative;
      z -= step;
      if (Math.abs(step) < 1e-15) break;
    }
    const w = 2 / ((1 - z * z) * derivative * derivative);
    // Node -z (left) and +z (right), mapped from [-1, 1] to [0, 1].
    alphas[i] = (1 - z) / 2;
    alphas[n - 1 - i] = (1 + z) / 2;
    weights[i] = w / 2;
    weights[n - 1 - i] = w / 2;
  }
  return { alphas, weights };
}

/**
 * The evaluation points and weights of a rule with `steps` intervals (Gauss-Legendre: `steps` nodes).
 * `trapezoid` uses alphas = linspace(0, 1, steps + 1) and averages neighbouring pairs (weights 1/(2·steps) at the ends,
 * 1/steps inside), exactly as the original `integral_approximation`.
 * @throws WingbeatsError for a non-positive `steps` or an unknown method.
 */
export function integrationPoints(
  steps: number,
  method: IntegrationMethod = 'trapezoid',
  functionName = 'integrationPoints',
): IntegrationPoints {
  if (!Number.isInteger(steps) || steps < 1) throw argumentError(functionName, 'steps', 'a positive integer', steps);
  const uniform = (offset: number): IntegrationPoints => ({
    alphas: Float64Array.from({ length: steps }, (_, k) => (k + offset) / steps),
    weights: new Float64Array(steps).fill(1 / steps),
  });
  switch (method) {
    case 'trapezoid': {
      const alphas = Float64Array.from({ length: steps + 1 }, (_, k) => k / steps);
      const weights = new Float64Array(steps + 1).fill(1 / steps);
      weights[0] = 1 / (2 * steps);
      weights[steps] = 1 / (2 * steps);
      return { alphas, weights };
    }
    case 'riemann-left':
      return uniform(0);
    case 'riemann-right':
      return uniform(1);
    case 'riemann-middle':
      return uniform(0.5);
    case 'gauss-legendre':
      return gaussLegendre(steps);
    default:
      throw argumentError(functionName, 'method', `one of ${integrationMethods.join(', ')}`, method);
  }
}

/**
 * Approximates ∫₀¹ g(α) dα from gradients evaluated at the rule's alphas (`gradients` is `[points, ...]`, in the order of
 * {@link integrationPoints}(steps, method).alphas with steps inferred from the number of points).
 * Returns a new tensor of shape `gradients.shape.slice(1)`, owned by the caller.
 * @example integralApproximation(grads, { method: 'trapezoid' }) // grads from interpolate(baseline, x, alphas)
 */
export function integralApproximation(gradients: tf.Tensor, options: { method?: IntegrationMethod } = {}): tf.Tensor {
  const method = options.method ?? 'trapezoid';
  const points = gradients.shape[0];
  const steps = method === 'trapezoid' ? points - 1 : points;
  const { weights } = integrationPoints(steps, method, 'integralApproximation');
  return tf.tidy(() => {
    const flat = tf.reshape(gradients, [points, -1]);
    const w = tf.tensor2d(Array.from(weights), [1, points], 'float32');
    return tf.reshape(tf.matMul(w, flat), gradients.shape.slice(1));
  });
}
