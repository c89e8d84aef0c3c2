/**
 * The registry of ONNX layer lowerings, keyed by Keras layer class (beside the TensorFlow.js layer ops of
 * `src/execution/layer-ops.ts`): each lowerer turns one layer into ONNX primitive ops, whose gradients come from
 * `op-gradients.ts`. A class without a lowerer makes compilation fail with one line naming the layer.
 */
import { WingbeatsError } from '../util/errors.js';
import type { LayerLowerer } from './lowering-context.js';
import { CORE_LOWERERS } from './layers/core.js';
import { CONVOLUTION_LOWERERS } from './layers/convolution.js';
import { MERGE_LOWERERS } from './layers/merge.js';
import { NORMALIZATION_POOLING_LOWERERS } from './layers/normalization-pooling.js';
import { RECURRENT_LOWERERS } from './layers/recurrent.js';
import { WRAPPER_LOWERERS } from './layers/wrappers.js';
import { ACTIVATION_LOWERERS } from './layers/activations.js';
import { POOLING_LOWERERS } from './layers/pooling.js';
import { LAYER_NORMALIZATION_LOWERERS } from './layers/layer-normalization.js';
import { DEPTHWISE_LOWERERS } from './layers/depthwise.js';
import { RESAMPLING_LOWERERS } from './layers/resampling.js';
import { ATTENTION_LOWERERS } from './layers/attention.js';
import { TENSOR_OP_LOWERERS } from './layers/tensor-op.js';
import { KERAS_NORMALIZATION_LOWERERS } from './layers/keras-normalization.js';
import { KERAS_UPSAMPLING1D_LOWERERS } from './layers/keras-upsampling1d.js';
import { KERAS_CONV1D_TRANSPOSE_LOWERERS } from './layers/keras-conv1d-transpose.js';
import { KERAS_SEPARABLE_CONV1D_LOWERERS } from './layers/keras-separable-conv1d.js';
import { KERAS_RESIZING_LOWERERS } from './layers/keras-resizing.js';

const lowerers = new Map<string, LayerLowerer>([
  ...CORE_LOWERERS,
  ...CONVOLUTION_LOWERERS,
  ...NORMALIZATION_POOLING_LOWERERS,
  ...MERGE_LOWERERS,
  ...WRAPPER_LOWERERS,
  ...RECURRENT_LOWERERS,
  ...ACTIVATION_LOWERERS,
  ...POOLING_LOWERERS,
  ...DEPTHWISE_LOWERERS,
  ...RESAMPLING_LOWERERS,
  ...LAYER_NORMALIZATION_LOWERERS,
  ...ATTENTION_LOWERERS,
  ...TENSOR_OP_LOWERERS,
  ...KERAS_NORMALIZATION_LOWERERS,
  ...KERAS_UPSAMPLING1D_LOWERERS,
  ...KERAS_CONV1D_TRANSPOSE_LOWERERS,
  ...KERAS_SEPARABLE_CONV1D_LOWERERS,
  ...KERAS_RESIZING_LOWERERS,
]);

/**
 * Registers how layers of class `className` are lowered to ONNX (a custom layer's own lowering). Registering the same
 * lowerer again is a no-op; a different one for a taken class throws.
 * @throws WingbeatsError INVALID_ARGUMENT on a conflicting registration.
 * @example registerLayerLowering('MyScale', (layer, [x], ctx) => ctx.op('Mul', [x.name, ctx.graph.scalar(2)], {}, x.shape));
 */
export function registerLayerLowering(className: string, lowerer: LayerLowerer): void {
  const known = lowerers.get(className);
  if (known === lowerer) return;
  if (known !== undefined)
    throw new WingbeatsError(
      'INVALID_ARGUMENT',
      `Layer class '${className}' already has an ONNX lowering; registerLayerLowering will not replace it.`,
    );
  lowerers.set(className, lowerer);
}

/** The lowerer of `className`, if any. */
export function layerLowering(className: string): LayerLowerer | undefined {
  return lowerers.get(className);
}

/** The layer classes with a lowering (nested models are lowered as graphs besides these). */
export function loweredLayerClasses(): string[] {
  return [...lowerers.keys()];
}
