/**
 * How each Keras layer class is executed by the explainable-model adapter, with plain TensorFlow.js ops.
 *
 * Executing layers ourselves (instead of `model.predict`) lets the adapter drop a final softmax, switch only
 * Dropout layers on for Monte-Carlo dropout, attach propagation rules for one pass, and avoid kernels that the wasm
 * backend lacks under `tf.grad` (the fused Conv2D filter gradient).
 * Layers without an op fall back to `layer.apply(inputs, {training: false})`.
 * Custom layers (the wingbeats `CNN1D`, `ConvBlock1d`, ...) register their own op with {@link registerLayerOp}.
 */
import { WingbeatsError } from '../util/errors.js';
import { BUILTIN_LAYER_OPS } from './builtin-layer-ops.js';
import type { LayerOp } from './layer-op.js';

const ops = new Map<string, LayerOp>();
let builtinsRegistered = false;

/** Registers the ops of the standard Keras layers (idempotent; every lookup and registration calls it first). */
export function registerBuiltinLayerOps(): void {
  if (builtinsRegistered) return;
  builtinsRegistered = true;
  for (const [className, op] of BUILTIN_LAYER_OPS) registerLayerOp(className, op);
}

/**
 * Registers how layers of class `className` are executed by every explainable model. Registering the same op again is
 * a no-op; a DIFFERENT op for a class that already has one throws (a silent replacement would change every model).
 * @throws WingbeatsError INVALID_ARGUMENT on a conflicting registration.
 * @example registerLayerOp('MyScale', (layer, [x]) => tf.mul(x, 2));
 */
export function registerLayerOp(className: string, op: LayerOp): void {
  registerBuiltinLayerOps();
  const existing = ops.get(className);
  if (existing === op) return;
  if (existing !== undefined) {
    throw new WingbeatsError(
      'INVALID_ARGUMENT',
      `Layer class '${className}' already has a layer op; registerLayerOp will not replace it (choose another class name).`,
    );
  }
  ops.set(className, op);
}

/** The op registered for `className`, if any. */
export function layerOp(className: string): LayerOp | undefined {
  registerBuiltinLayerOps();
  return ops.get(className);
}
