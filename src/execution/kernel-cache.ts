/**
 * The weights the fast paths derive from a model, computed once instead of in every pass: each Conv1D/Conv2D's kernel
 * and bias with the batch norm after it folded in (for the pairs of {@link foldablePairs}), and the flipped, transposed
 * kernels of the stride-1 fast convolution gradient (of the plain and of the folded kernel). An entry is used only
 * while the weights it was computed from are unchanged (a variable that was assigned since is recomputed per pass).
 */
import * as tf from '@tensorflow/tfjs';
import { ConvolutionWeights, config, first, layerBias, layerWeight, pair } from './layer-op.js';
import { leafLayers } from './layer-walk.js';
import { foldBatchNorm, foldablePairs } from './batch-norm-folding.js';
import { flippedKernel } from './fast-conv.js';

interface Entry {
  /** The variables the entry was computed from, with the data they held. */
  sources: [tf.Tensor, object][];
  plain: ConvolutionWeights;
  folded?: ConvolutionWeights;
}

const dataOf = (t: tf.Tensor): object => (t as unknown as { dataId: object }).dataId;

/** Whether a convolution layer runs at stride 1 on every axis (then its input gradient uses the flipped kernel). */
export function isStrideOne(layer: tf.layers.Layer): boolean {
  const c = config(layer);
  return layer.getClassName() === 'Conv1D' ? first(c.strides, 1) === 1 : pair(c.strides, 1).every((s) => s === 1);
}

/** The flipped kernel of a Conv1D (`[k, in, out]`, as the 2-D kernel `[1, k, in, out]`) or Conv2D kernel. */
export function flippedConvolutionKernel(layer: tf.layers.Layer, kernel: tf.Tensor): tf.Tensor4D {
  return tf.tidy(() =>
    flippedKernel((layer.getClassName() === 'Conv1D' ? tf.expandDims(kernel, 0) : kernel) as tf.Tensor4D),
  );
}

/** Cached fast-path weights of one model. Create with the model's weights in place; free with {@link dispose}. */
export class KernelCache {
  /** conv → the batch norm folded into it. */
  readonly pairs: Map<tf.layers.Layer, tf.layers.Layer>;
  private readonly entries = new Map<tf.layers.Layer, Entry>();
  private disposed = false;

  constructor(model: tf.LayersModel) {
    this.pairs = foldablePairs(model);
    for (const layer of leafLayers(model)) {
      const className = layer.getClassName();
      if (className !== 'Conv1D' && className !== 'Conv2D') continue;
      try {
        this.add(layer);
      } catch {
        // A layer the cache cannot prepare (e.g. a batch norm without moving statistics) is computed in the pass,
        // which reports the problem where it matters.
        const entry = this.entries.get(layer);
        if (entry !== undefined) freeEntry(entry);
        this.entries.delete(layer);
      }
    }
  }

  private add(layer: tf.layers.Layer): void {
    const kernel = layerWeight(layer, 'kernel');
    if (kernel === undefined) return;
    const bias = layerBias(layer);
    const norm = this.pairs.get(layer);
    const sources = [kernel, bias, ...(norm?.weights.map((w) => w.read()) ?? [])].filter(
      (t): t is tf.Tensor => t !== undefined,
    );
    const strideOne = isStrideOne(layer);
    const entry: Entry = {
      sources: sources.map((t) => [t, dataOf(t)]),
      plain: { kernel, ...(bias === undefined ? {} : { bias }) },
    };
    // Registered before the tensors are made, so a failure below still frees what was made.
    this.entries.set(layer, entry);
    if (strideOne) entry.plain.flipped = tf.keep(flippedConvolutionKernel(layer, kernel));
    if (norm !== undefined) {
      const folded = foldBatchNorm(kernel, bias, norm);
      entry.folded = { kernel: tf.keep(folded.kernel), bias: tf.keep(folded.bias) };
      if (strideOne) entry.folded.flipped = tf.keep(flippedConvolutionKernel(layer, folded.kernel));
    }
  }

  /**
   * The cached weights of `layer` (folded with its batch norm when `folded`), or undefined when there are none or the
   * layer's weights changed since they were computed.
   */
  weights(layer: tf.layers.Layer, folded: boolean): ConvolutionWeights | undefined {
    if (this.disposed) return undefined;
    const entry = this.entries.get(layer);
    if (entry === undefined || entry.sources.some(([t, data]) => t.isDisposed || dataOf(t) !== data)) return undefined;
    return folded ? entry.folded : entry.plain;
  }

  /** Number of tensors the cache holds. */
  get size(): number {
    let n = 0;
    for (const { plain, folded } of this.entries.values())
      n += (plain.flipped ? 1 : 0) + (folded ? 2 + (folded.flipped ? 1 : 0) : 0);
    return n;
  }

  /** Frees every cached tensor (the model's own weights are not touched). Idempotent. */
  dispose(): void {
    this.disposed = true;
    for (const entry of this.entries.values()) freeEntry(entry);
    this.entries.clear();
  }
}

/** Frees the tensors an entry made (not the layer's own kernel and bias). */
function freeEntry({ plain, folded }: Entry): void {
  plain.flipped?.dispose();
  folded?.kernel.dispose();
  folded?.bias?.dispose();
  folded?.flipped?.dispose();
}
