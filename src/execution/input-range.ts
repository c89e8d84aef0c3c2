/**
 * How far an input lies from the data a model was trained on, read from the model itself: a first
 * BatchNormalization layer that sees the raw input holds the training mean and variance of every input channel
 * (its moving statistics). An input whose values lie many training standard deviations away is outside what the
 * model learned; its prediction and explanation describe the model's extrapolation, not the data set.
 */
import type { ExplainableModel } from './explainable-model.js';
import { WingbeatsError, argumentError } from '../util/errors.js';
import { leafLayers } from './layer-walk.js';
import type { TrainingInputStatistics } from './input-statistics.js';

export type { TrainingInputStatistics } from './input-statistics.js';

/** Layers that pass the raw input through unchanged before the first batch norm. */
const PASS_THROUGH = new Set(['InputLayer', 'Identity']);

/**
 * The training statistics of a model's input: the moving mean and variance of a BatchNormalization layer that is the
 * first layer the input meets (after an input layer). Undefined when the model does not start with one (function
 * models, models whose first weighted layer is a convolution or dense layer).
 *
 * @param model - A loaded model.
 * @returns {@link TrainingInputStatistics}, or undefined.
 * @example
 * trainingInputStatistics(model); // { layer: 'batch_norm_0', axis: 1, mean: [-95.0], std: [9.51] } for Mosquito_CNN_PSD
 */
export function trainingInputStatistics(model: ExplainableModel): TrainingInputStatistics | undefined {
  if (model.layersModel === null || model.inputShape === null) return undefined;
  const first = leafLayers(model.layersModel).find((layer) => !PASS_THROUGH.has(layer.getClassName()));
  if (first === undefined || first.getClassName() !== 'BatchNormalization') return undefined;
  const weight = (suffix: string): Float32Array | undefined => {
    const variable = first.weights.find((w) => w.originalName.endsWith(suffix) || w.name.endsWith(suffix));
    return variable === undefined ? undefined : (variable.read().dataSync() as Float32Array);
  };
  const mean = weight('moving_mean');
  const variance = weight('moving_variance');
  const rank = model.inputShape.length;
  const configured = Number(first.getConfig().axis ?? -1);
  const axis = (configured < 0 ? rank + 1 + configured : configured) - 1;
  if (
    mean === undefined ||
    variance === undefined ||
    axis < 0 ||
    axis >= rank ||
    model.inputShape[axis] !== mean.length
  )
    return undefined;
  return {
    layer: first.name,
    source: 'batch-norm',
    axis,
    mean: Float64Array.from(mean),
    std: Float64Array.from(variance, (v) => Math.sqrt(Math.max(v, 0))),
  };
}

export { statisticsOfInputs } from './input-statistics.js';

/**
 * What an input's range is checked against, in words for results: `statistics` when given, else the model's input
 * batch norm; `undefined` when neither exists (the range cannot be checked).
 *
 * @example inputRangeSource(model); // "the model's input batch norm 'batch_norm_0'"
 */
export function inputRangeSource(model: ExplainableModel, statistics?: TrainingInputStatistics): string | undefined {
  const used = statistics ?? trainingInputStatistics(model);
  if (used === undefined) return undefined;
  return used.source === 'statistics-file' ? used.layer : `the model's input batch norm '${used.layer}'`;
}

/** Result of {@link checkInputRange}. */
export interface InputRangeCheck {
  /** Mean of the input's values. */
  inputMean: number;
  /** Training mean and standard deviation (averaged over the statistics' axis). */
  trainingMean: number;
  trainingStd: number;
  /** (input mean − training mean) / training std, averaged over the statistics' axis: how many training stds away. */
  deviation: number;
  /** Number of positions (input values averaged over the statistics' axis). */
  positions: number;
  /** Positions more than `threshold` training stds above / below the training mean. */
  above: number;
  below: number;
  /** The threshold used, in training standard deviations. */
  threshold: number;
  /** True when the input as a whole lies far off: |deviation| ≥ threshold, or more than half of its positions do. */
  farOff: boolean;
}

/**
 * Compares one input with the training statistics: per position the distance from the training mean in training
 * standard deviations (averaged over the channels of the statistics' axis), the mean distance, and how many positions
 * lie beyond `threshold`.
 *
 * @param statistics - From {@link trainingInputStatistics}.
 * @param data - One input, row-major in `shape` (the model's input shape without the batch axis).
 * @param shape - The input's shape.
 * @param options - `threshold` in training standard deviations (default 3).
 * @returns {@link InputRangeCheck}.
 * @throws WingbeatsError `SHAPE_MISMATCH` when `data` does not fit `shape` or `shape` not the statistics.
 * @example
 * checkInputRange(stats, psd, [129, 1]).deviation; // 3.6 for a loud microphone recording on Mosquito_CNN_PSD
 */
export function checkInputRange(
  statistics: TrainingInputStatistics,
  data: ArrayLike<number>,
  shape: readonly number[],
  options: { threshold?: number } = {},
): InputRangeCheck {
  const threshold = options.threshold ?? 3;
  const size = shape.reduce((a, b) => a * b, 1);
  if (statistics.axis === -1) return checkPerValue(statistics, data, size, threshold);
  if (data.length !== size || shape[statistics.axis] !== statistics.mean.length) {
    throw argumentError(
      'checkInputRange',
      'data',
      `${size} values in shape [${shape.join(',')}] with ${statistics.mean.length} entries on axis ${statistics.axis}`,
      data,
      'SHAPE_MISMATCH',
    );
  }
  const channels = statistics.mean.length;
  const inner = shape.slice(statistics.axis + 1).reduce((a, b) => a * b, 1);
  const positions = size / channels;
  const z = new Float64Array(positions);
  let sum = 0;
  for (let i = 0; i < size; i++) {
    const c = Math.floor(i / inner) % channels;
    const outer = Math.floor(i / (inner * channels));
    const position = outer * inner + (i % inner);
    z[position] += (data[i] - statistics.mean[c]) / statistics.std[c] / channels;
    sum += data[i];
  }
  let above = 0;
  let below = 0;
  let zSum = 0;
  for (const value of z) {
    zSum += value;
    if (value > threshold) above += 1;
    else if (value < -threshold) below += 1;
  }
  const deviation = zSum / positions;
  const average = (values: Float64Array): number => values.reduce((a, b) => a + b, 0) / values.length;
  return {
    inputMean: sum / size,
    trainingMean: average(statistics.mean),
    trainingStd: average(statistics.std),
    deviation,
    positions,
    above,
    below,
    threshold,
    farOff: Math.abs(deviation) >= threshold || above + below > positions / 2,
  };
}

/** {@link checkInputRange} with one mean and std per input value (a value whose training std is 0 is left out). */
function checkPerValue(
  statistics: TrainingInputStatistics,
  data: ArrayLike<number>,
  size: number,
  threshold: number,
): InputRangeCheck {
  if (data.length !== size || statistics.mean.length !== size)
    throw new WingbeatsError(
      'SHAPE_MISMATCH',
      `${statistics.layer[0].toUpperCase()}${statistics.layer.slice(1)} holds ${statistics.mean.length} values per input but the model's input has ${size}; make it with 'wingbeats-xai stats' over inputs of this model.`,
    );
  let sum = 0;
  let zSum = 0;
  let positions = 0;
  let above = 0;
  let below = 0;
  let meanSum = 0;
  let stdSum = 0;
  for (let i = 0; i < size; i++) {
    sum += data[i];
    meanSum += statistics.mean[i];
    stdSum += statistics.std[i];
    if (!(statistics.std[i] > 0)) continue;
    const z = (data[i] - statistics.mean[i]) / statistics.std[i];
    positions += 1;
    zSum += z;
    if (z > threshold) above += 1;
    else if (z < -threshold) below += 1;
  }
  const deviation = positions === 0 ? 0 : zSum / positions;
  return {
    inputMean: sum / size,
    trainingMean: meanSum / size,
    trainingStd: stdSum / size,
    deviation,
    positions,
    above,
    below,
    threshold,
    farOff: positions > 0 && (Math.abs(deviation) >= threshold || above + below > positions / 2),
  };
}

/** The words every input-range warning holds (how tables and summaries recognise the warning). */
export const INPUT_RANGE_WARNING_MARK = 'The model was not trained on inputs like this';

/**
 * The warning line for an input far from the training data, or undefined when it is not far off, e.g.
 * "'a.wav': input mean −61.0 dB, 3.6 training standard deviations above the training mean (−95.0 dB, std 9.5) at
 * 118 of 129 positions; the model was not trained on inputs like this, so read its prediction and explanation with
 * caution."
 *
 * @param name - The input's name.
 * @param check - From {@link checkInputRange}.
 * @param unit - Unit of the input values for the message (e.g. `'dB'` for a PSD), default none.
 */
export function inputRangeWarning(name: string, check: InputRangeCheck, unit = ''): string | undefined {
  if (!check.farOff) return undefined;
  const u = unit === '' ? '' : ` ${unit}`;
  const direction = check.deviation >= 0 ? 'above' : 'below';
  const count = direction === 'above' ? check.above : check.below;
  return (
    `'${name}': input mean ${check.inputMean.toFixed(1)}${u}, ${Math.abs(check.deviation).toFixed(1)} training standard deviations ${direction} ` +
    `the training mean (${check.trainingMean.toFixed(check.trainingStd < 1 ? 3 : 1)}${u}, std ${check.trainingStd.toFixed(check.trainingStd < 1 ? 3 : 1)}${u}); ` +
    `${count} of ${check.positions} positions lie more than ${check.threshold} standard deviations ${direction} it. ` +
    `${INPUT_RANGE_WARNING_MARK}: its prediction and explanation describe an extrapolation.`
  );
}

/**
 * Input-range warnings for a batch of inputs of `model`: against `options.statistics` when given (e.g. from a
 * statistics file, {@link statisticsOfInputs}), else the model's input batch norm; none when there is neither.
 *
 * @param model - The model.
 * @param inputs - One entry per input: its name and row-major values in the model's input shape.
 * @param options - `unit` for the messages; `threshold` (default 3); `statistics`.
 * @returns One warning per far-off input.
 */
export function inputRangeWarnings(
  model: ExplainableModel,
  inputs: readonly { name: string; data: ArrayLike<number> }[],
  options: { unit?: string; threshold?: number; statistics?: TrainingInputStatistics } = {},
): string[] {
  const statistics = options.statistics ?? trainingInputStatistics(model);
  if (statistics === undefined) return [];
  const shape = (model.inputShape ?? []).map((d) => d ?? 0);
  return inputs.flatMap(
    (input) =>
      inputRangeWarning(
        input.name,
        checkInputRange(statistics, input.data, shape, { threshold: options.threshold }),
        options.unit,
      ) ?? [],
  );
}
