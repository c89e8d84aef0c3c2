/** DeepLIFT's rescale rule (Shrikumar et al. 2017) on ReLU and on every other elementwise nonlinearity. */
import * as tf from '@tensorflow/tfjs';
import { gradientRule, type PropagationRule } from '../execution/propagation-rule.js';
import { withInputGradient } from '../execution/input-gradient.js';
import { splitPairs } from './paired-batch.js';

/** |Δx| below which the rescale multiplier falls back to the gradient (Captum's `eps`). */
export const RESCALE_EPSILON = 1e-10;

/**
 * Rescale rule: on a paired batch `[inputs; references]`, every ReLU's multiplier is Δy/Δx = (relu(x) − relu(x₀))/(x − x₀),
 * the gradient where |Δx| < 1e-10; both halves get the input rows' multiplier (the references' own upstream gradient is
 * not used). Attach through `execution.rules` to a pass over `[inputs; references]`.
 */
export const deepliftRescale = gradientRule('deeplift-rescale', { activations: ['relu'] }, (dy, x) => {
  const [x1, x0] = splitPairs(x, 'deeplift-rescale');
  const dx = tf.sub(x1, x0);
  const small = tf.less(tf.abs(dx), RESCALE_EPSILON);
  const ratio = tf.div(tf.sub(tf.relu(x1), tf.relu(x0)), tf.where(small, tf.onesLike(dx), dx));
  const multiplier = tf.where(small, tf.step(x1), ratio);
  return tf.mul(dy, tf.concat([multiplier, multiplier], 0));
});

/**
 * The named activations other than ReLU that take the rescale rule as one nonlinearity each (a composite such as
 * swish = x·σ(x) or gelu included); the ONNX lowering marks the same sites (src/onnx/rules/deeplift-rescale.ts).
 */
export const RESCALED_ACTIVATIONS = ['sigmoid', 'tanh', 'elu', 'selu', 'softplus', 'swish', 'gelu'] as const;

/** The activation layers (run by their own `call`) that take the rescale rule over the whole layer. */
export const RESCALED_LAYERS = ['LeakyReLU', 'PReLU', 'ELU', 'KerasELU', 'KerasReLU'] as const;

/** 1 where the input row's |Δx| < 1e-10 (the rescale rule falls back to the gradient), for both halves; no gradient. */
const fallbackMask = withInputGradient<tf.Tensor>(
  (x) => {
    const [x1, x0] = splitPairs(x, 'deeplift-rescale-nonlinear');
    const small = tf.cast(tf.less(tf.abs(tf.sub(x1, x0)), RESCALE_EPSILON), 'float32');
    return tf.concat([small, small], 0);
  },
  (dy) => tf.zerosLike(dy),
);

/** The identity with no gradient. */
const constant = withInputGradient<tf.Tensor>(
  (v) => tf.clone(v),
  (dy) => tf.zerosLike(dy),
);

/**
 * Rescale rule on the other elementwise nonlinearities ({@link RESCALED_ACTIVATIONS} and {@link RESCALED_LAYERS}):
 * on `[inputs; references]` the multiplier is Δy/Δx = (f(x) − f(x₀))/(x − x₀) over the whole activation, its own
 * gradient f′(x) where |Δx| < 1e-10 (the activation's ops differentiated as they are); both halves get the input rows'
 * multiplier, as {@link deepliftRescale}. The activations inside recurrent cells are no rule sites: they keep their
 * gradient.
 */
export const deepliftRescaleNonlinear: PropagationRule = {
  name: 'deeplift-rescale-nonlinear',
  appliesTo: { activations: RESCALED_ACTIVATIONS, layers: RESCALED_LAYERS },
  wrap: (forward) => {
    const rescaled = withInputGradient(forward, (dy, x) => {
      const [x1, x0] = splitPairs(x, 'deeplift-rescale-nonlinear');
      const [y1, y0] = splitPairs(forward(x), 'deeplift-rescale-nonlinear');
      const dx = tf.sub(x1, x0);
      const small = tf.less(tf.abs(dx), RESCALE_EPSILON);
      const ratio = tf.where(small, tf.zerosLike(dx), tf.div(tf.sub(y1, y0), tf.where(small, tf.onesLike(dx), dx)));
      return tf.mul(dy, tf.concat([ratio, ratio], 0));
    });
    // f(x) + (mask·f(x) − const(mask·f(x))): the same values, the gradient f′(x) where the mask falls back
    return (x) => {
      const local = tf.mul(fallbackMask(x), forward(x));
      return tf.add(rescaled(x), tf.sub(local, constant(local)));
    };
  },
};
