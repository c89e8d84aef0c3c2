/**
 * Execution settings: how ONE forward pass runs — propagation rules, Monte-Carlo dropout, a layer hook. They are an
 * argument of `ExplainableModel.run`, never state left on a model, so calls on one model never disturb each other.
 */
import type * as tf from '@tensorflow/tfjs';
import type { PropagationRule } from './propagation-rule.js';

/** Monte-Carlo dropout for one pass: only Dropout layers become active (batch norm stays in inference mode). */
export interface DropoutSettings {
  /** Seed of the masks: the same seed (and batch shape) gives the same masks. */
  seed: number;
  /**
   * `true`: each Dropout layer draws ONE mask for the whole batch (shape `[1, ...]`, broadcast over the rows), so every
   * row — and every pass with the same seed, in any chunking — runs the same thinned network. Default `false`: every row
   * draws its own mask.
   */
  fixedMasks?: boolean;
}

/** Reads or replaces the output of one named layer during a pass (e.g. Grad-CAM's feature maps). */
export interface LayerHook {
  /** Name of the layer (nested models and composite layers are searched too). */
  layer: string;
  /** Called with the layer's output; its return value replaces the output downstream. Return the argument to only read it. */
  hook: (output: tf.Tensor) => tf.Tensor;
}

/**
 * Switches for the kernel-level fast paths of a pass. Each is on unless set to `false`; every setting gives the same
 * numbers to float32 rounding (tested), so turning one off is for comparison and measurement. Plain booleans, so
 * execution settings can be sent to worker threads.
 */
export interface FastPaths {
  /**
   * Fold an inference-mode batch norm into the Conv1D/Conv2D right before it (kernel·s, bias·s + t) when nothing else
   * reads the convolution's output and no rule or layer hook of the pass addresses either layer. Default true.
   */
  foldBatchNorm?: boolean;
  /**
   * Non-overlapping max pooling (stride = pool size, 'valid', or 'same' dividing evenly) gets its input gradient from
   * fast element-wise ops routed to the first maximum of each window (TensorFlow's and PyTorch's tie rule) instead of
   * the backend's `MaxPoolGrad`. Default true.
   */
  maxPoolGradient?: boolean;
  /**
   * Use the model's cached folded weights and flipped, transposed kernels of the fast convolution gradient instead of
   * computing them in every pass. Default true.
   */
  kernelCache?: boolean;
}

/** Names of the fast-path switches. */
export const FAST_PATH_NAMES = ['foldBatchNorm', 'maxPoolGradient', 'kernelCache'] as const;

/** How one forward pass is executed. Every field is optional; `{}` is the plain inference pass. */
export interface ExecutionSettings {
  /**
   * Propagation rules (a composite): at each layer and each activation, the FIRST rule in this list whose `appliesTo`
   * names the layer's class or the activation replaces how the gradient flows there. Forward values are unchanged.
   */
  rules?: readonly PropagationRule[];
  /** Monte-Carlo dropout (default: off, dropout is the identity). */
  dropout?: DropoutSettings;
  /** A hook on one layer's output. */
  layerHook?: LayerHook;
  /** Kernel-level fast paths (default: all on). */
  fastPaths?: FastPaths;
}
