/** The fast paths of one pass: validating `execution.fastPaths`, and which batch norms the pass folds. */
import type * as tf from '@tensorflow/tfjs';
import { argumentError } from '../util/errors.js';
import { ExecutionSettings, FAST_PATH_NAMES, FastPaths } from './execution-settings.js';
import { foldablePairs } from './batch-norm-folding.js';
import { ruleForActivation, ruleForLayer } from './propagation-rule.js';

/** Every fast path switched on (the default). */
export const ALL_FAST_PATHS: Readonly<Required<FastPaths>> = Object.freeze({
  foldBatchNorm: true,
  maxPoolGradient: true,
  kernelCache: true,
});

/**
 * `fastPaths` with every switch resolved (missing ones on).
 * @throws WingbeatsError INVALID_ARGUMENT for a value that is not an object of booleans with known names.
 */
export function resolveFastPaths(functionName: string, fastPaths: unknown): Required<FastPaths> {
  if (fastPaths === undefined) return { ...ALL_FAST_PATHS };
  if (fastPaths === null || typeof fastPaths !== 'object' || Array.isArray(fastPaths))
    throw argumentError(
      functionName,
      'execution.fastPaths',
      `an object with boolean ${FAST_PATH_NAMES.join(', ')}`,
      fastPaths,
    );
  const resolved = { ...ALL_FAST_PATHS };
  for (const [name, value] of Object.entries(fastPaths)) {
    if (!(FAST_PATH_NAMES as readonly string[]).includes(name))
      throw argumentError(functionName, 'execution.fastPaths', `only the keys ${FAST_PATH_NAMES.join(', ')}`, name);
    if (value !== undefined && typeof value !== 'boolean')
      throw argumentError(functionName, `execution.fastPaths.${name}`, 'true or false', value);
    if (value !== undefined) resolved[name as keyof FastPaths] = value;
  }
  return resolved;
}

/**
 * The conv → batch norm pairs a pass folds: none when `foldBatchNorm` is off; otherwise the model's foldable pairs
 * except those a rule or the layer hook of the pass addresses (rules on either layer's class or on the linear
 * activation, a hook on either layer), which must see the unfolded layers. `known`: the model's foldable pairs when
 * already at hand (a kernel cache's), else they are found.
 */
export function passFolds(
  model: tf.LayersModel,
  execution: ExecutionSettings,
  fastPaths: Required<FastPaths>,
  known?: ReadonlyMap<tf.layers.Layer, tf.layers.Layer>,
): Map<tf.layers.Layer, tf.layers.Layer> {
  if (!fastPaths.foldBatchNorm) return new Map();
  const pairs = new Map(known ?? foldablePairs(model));
  const rules = execution.rules;
  const hooked = execution.layerHook?.layer;
  const linearRule = ruleForActivation(rules, 'linear') !== undefined;
  for (const [conv, norm] of pairs) {
    if (
      linearRule ||
      ruleForLayer(rules, conv.getClassName()) !== undefined ||
      ruleForLayer(rules, norm.getClassName()) !== undefined ||
      hooked === conv.name ||
      hooked === norm.name
    )
      pairs.delete(conv);
  }
  return pairs;
}
