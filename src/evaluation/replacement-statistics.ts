/**
 * The normal distributions pixel flipping draws replacement values from: given data-set statistics, the statistics
 * the model's input batch normalisation learned, or the example's own mean and standard deviation.
 */
import type { ExplainableModel } from '../execution/explainable-model.js';
import { WingbeatsError, argumentError, described } from '../util/errors.js';
import { layerWeight } from '../execution/layer-op.js';
import { leafLayers } from '../execution/layer-walk.js';
import type { PixelStatistics } from './pixel-statistics.js';
import type { PositionLayout } from './flip-order.js';

/**
 * Where replacement values come from: `PixelStatistics` of a data set (see `pixelStatistics`); `'batch-norm'`, the
 * moving mean and variance of a batch normalisation applied directly to the input (the wingbeats CNNs begin with
 * one); `'input'`, each example's own mean and standard deviation per channel; `'auto'` (default): `'batch-norm'`
 * when the model has such a layer, else `'input'`.
 */
export type StatisticsOption = PixelStatistics | 'auto' | 'batch-norm' | 'input';

/** Which statistics were used: `'given'` (a `PixelStatistics` object), `'batch-norm'` or `'input'`. */
export type StatisticsSource = 'given' | 'batch-norm' | 'input';

/** Replacement distributions, per element of one example (`positions × channels`, row-major). */
export interface ReplacementStatistics {
  source: StatisticsSource;
  /** One mean array per example (examples may share the same array). */
  mean: Float64Array[];
  /** One standard-deviation array per example. */
  std: Float64Array[];
}

/**
 * Mean and standard deviation (sqrt of the moving variance) per input channel learned by a batch normalisation
 * that is the model's first layer with weights and normalises exactly the input's channels; null otherwise
 * (function models, models starting with a convolution, ...). Reads plain numbers; creates no tensors that outlive it.
 */
export function inputBatchNormStatistics(
  model: ExplainableModel,
  channels: number,
): { mean: number[]; std: number[] } | null {
  if (model.layersModel === null) return null;
  const layer = leafLayers(model.layersModel).find((l) => l.weights.length > 0);
  if (layer === undefined || layer.getClassName() !== 'BatchNormalization') return null;
  const mean = layerWeight(layer, 'moving_mean');
  const variance = layerWeight(layer, 'moving_variance');
  if (mean === undefined || variance === undefined || mean.size !== channels || variance.size !== channels) return null;
  return { mean: Array.from(mean.dataSync()), std: Array.from(variance.dataSync(), (v) => Math.sqrt(Math.max(0, v))) };
}

function broadcastPerChannel(
  mean: readonly number[],
  std: readonly number[],
  layout: PositionLayout,
): { mean: Float64Array; std: Float64Array } {
  const size = layout.positions * layout.channels;
  const m = new Float64Array(size);
  const s = new Float64Array(size);
  for (let i = 0; i < size; i++) {
    m[i] = mean[i % layout.channels];
    s[i] = std[i % layout.channels];
  }
  return { mean: m, std: s };
}

/**
 * Resolves the `statistics` option of pixel flipping into per-element replacement distributions.
 * Given statistics may have the input's shape (per element) or the position shape (broadcast to every channel).
 * @param data the examples, `batch × positions × channels` row-major
 */
export function replacementStatistics(
  functionName: string,
  option: StatisticsOption | undefined,
  model: ExplainableModel,
  data: ArrayLike<number>,
  batch: number,
  layout: PositionLayout,
): ReplacementStatistics {
  const choice = option ?? 'auto';
  const size = layout.positions * layout.channels;
  if (typeof choice === 'object' && choice !== null) {
    const shape = (choice as PixelStatistics).shape;
    const same = (a: readonly number[], b: readonly number[]): boolean =>
      a.length === b.length && a.every((d, i) => d === b[i]);
    if (!Array.isArray(shape) || !(choice.mean instanceof Float64Array || Array.isArray(choice.mean))) {
      throw argumentError(
        functionName,
        'statistics',
        "a PixelStatistics object, 'auto', 'batch-norm' or 'input'",
        choice,
      );
    }
    let mean: Float64Array;
    let std: Float64Array;
    if (same(shape, layout.inputShape)) {
      mean = Float64Array.from(choice.mean);
      std = Float64Array.from(choice.std);
    } else if (same(shape, layout.positionShape)) {
      mean = new Float64Array(size);
      std = new Float64Array(size);
      for (let i = 0; i < size; i++) {
        mean[i] = choice.mean[Math.floor(i / layout.channels)];
        std[i] = choice.std[Math.floor(i / layout.channels)];
      }
    } else {
      throw argumentError(
        functionName,
        'statistics',
        `of shape [${layout.inputShape.join(',')}] or [${layout.positionShape.join(',')}] (the input's)`,
        described(`statistics of shape [${shape.join(',')}]`),
        'SHAPE_MISMATCH',
      );
    }
    return { source: 'given', mean: new Array(batch).fill(mean), std: new Array(batch).fill(std) };
  }
  if (choice !== 'auto' && choice !== 'batch-norm' && choice !== 'input') {
    throw argumentError(
      functionName,
      'statistics',
      "a PixelStatistics object, 'auto', 'batch-norm' or 'input'",
      choice,
    );
  }
  if (choice !== 'input') {
    const learned = inputBatchNormStatistics(model, layout.channels);
    if (learned !== null) {
      const { mean, std } = broadcastPerChannel(learned.mean, learned.std, layout);
      return { source: 'batch-norm', mean: new Array(batch).fill(mean), std: new Array(batch).fill(std) };
    }
    if (choice === 'batch-norm') {
      throw new WingbeatsError(
        'UNSUPPORTED_MODEL',
        `Argument 'statistics' passed to '${functionName}' is 'batch-norm' but ${model.describe()} does not begin with a batch normalisation of its ${layout.channels} input channel(s); pass data-set statistics (pixelStatistics) or 'input'.`,
      );
    }
  }
  const means: Float64Array[] = [];
  const stds: Float64Array[] = [];
  for (let e = 0; e < batch; e++) {
    const sum = new Float64Array(layout.channels);
    const sumSq = new Float64Array(layout.channels);
    for (let i = 0; i < size; i++) {
      const v = data[e * size + i];
      sum[i % layout.channels] += v;
      sumSq[i % layout.channels] += v * v;
    }
    const mean = Array.from(sum, (s) => s / layout.positions);
    const std = Array.from(sumSq, (s, c) => Math.sqrt(Math.max(0, s / layout.positions - mean[c] * mean[c])));
    const expanded = broadcastPerChannel(mean, std, layout);
    means.push(expanded.mean);
    stds.push(expanded.std);
  }
  return { source: 'input', mean: means, std: stds };
}
