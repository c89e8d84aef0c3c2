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
  /**
   * Monte-Carlo samples as rows of one batch: one seed per row; row r runs the thinned network that
   * `{ seed: rowSeeds[r], fixedMasks: true }` gives (the same masks, whatever else shares the batch). `seed` and
   * `fixedMasks` are then unused. A pass whose batch has another number of rows throws.
   */
  rowSeeds?: readonly number[];
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

/** Engines that run a call's work (see the engine registry, src/session/engines.ts). */
export const COMPUTE_BACKENDS = ['tfjs', 'onnx', 'onnx-cuda'] as const;

/**
 * An engine: `'tfjs'` (TensorFlow.js, everywhere), `'onnx'` (ONNX Runtime's native CPU kernels in Node, its wasm
 * kernels in the page) or `'onnx-cuda'` (ONNX Runtime's CUDA execution provider, Node only, where onnxruntime-node
 * has it: see docs/performance.md, "GPU").
 */
export type ComputeBackend = (typeof COMPUTE_BACKENDS)[number];

/**
 * What a call can ask for (the `engine` option): `'auto'` (default: ONNX Runtime where it is available and the model
 * lowers to it — on the GPU when onnxruntime-node has CUDA, else on the CPU — else TensorFlow.js after one line saying
 * why), or one engine.
 */
export const ENGINE_CHOICES = ['auto', ...COMPUTE_BACKENDS] as const;

/** A value of the `engine` option. */
export type EngineChoice = (typeof ENGINE_CHOICES)[number];

/** Which engines ran a call's passes (filled while the call runs; read by the result's `engine`). */
export interface EngineRecord {
  readonly ran: Set<ComputeBackend>;
}

/** How a result names the engines of an {@link EngineRecord}: e.g. `'onnx'`, `'tfjs'` or `'onnx+tfjs'` (sorted). */
export function engineName(record: EngineRecord): string {
  return record.ran.size === 0 ? 'tfjs' : [...record.ran].sort().join('+');
}

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
  /**
   * Where the call's row tasks run (default `'tfjs'`). Set by the request frame to the engine its session resolved for
   * the call; `'onnx'` sends the tasks the session's runner accepts to ONNX Runtime.
   */
  backend?: ComputeBackend;
  /** Records which engine ran each pass of the call (set by the request frame; never crosses threads). */
  engineRecord?: EngineRecord;
}
