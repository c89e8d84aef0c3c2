/**
 * The flipped inputs of pixel flipping as rows of chunked forward passes: every flipping step of every curve (a plan:
 * per example an order of positions and one standard-normal draw per position) and example is one row, numbered
 * plan-major, then step, then example. A chunk builds its rows from the clean inputs (row k of a curve carries its
 * first k·perStep flips), runs ONE forward pass and is reduced in row order, so no row depends on another chunk and
 * the scores do not depend on the chunk size. Step 0 (the clean inputs) is not evaluated: the caller knows it.
 */
import * as tf from '@tensorflow/tfjs';
import type { ModelRequest } from '../execution/model-request.js';
import { runRowChunks } from '../util/row-chunks.js';
import type { PositionLayout } from './flip-order.js';
import type { ReplacementStatistics } from './replacement-statistics.js';

/** One curve per example: positions in flipping order and one standard-normal draw per flipped position. */
export interface FlipPlan {
  positions: number[][];
  draws: Float64Array[];
}

/** What every curve shares. */
export interface FlipSetup {
  layout: PositionLayout;
  stats: ReplacementStatistics;
  perStep: number;
  steps: number;
  /** The clean inputs, row-major `[batch, ...inputShape]`. */
  data: Float32Array;
}

/** Per plan and example: the score vector after every step 1..steps, and the input after the last step. */
export interface FlippedScores {
  scores: number[][][][];
  finalInputs: Float32Array[][];
}

/** Writes the input of `example` after `flips` flips of `plan` into `target` at `offset`. */
function flippedRow(
  setup: FlipSetup,
  plan: FlipPlan,
  example: number,
  flips: number,
  target: Float32Array,
  offset: number,
): void {
  const { layout, stats, data } = setup;
  const size = layout.positions * layout.channels;
  target.set(data.subarray(example * size, (example + 1) * size), offset);
  const mean = stats.mean[example];
  const std = stats.std[example];
  const positions = plan.positions[example];
  const draws = plan.draws[example];
  for (let j = 0; j < flips; j++) {
    const base = positions[j] * layout.channels;
    for (let c = 0; c < layout.channels; c++) target[offset + base + c] = mean[base + c] + std[base + c] * draws[j];
  }
}

/**
 * Scores of every flipped row of every plan, in chunks of `request.batchSize` rows. `onRows(done)` is called with the
 * number of rows reduced after each chunk.
 */
export async function flipRows(
  request: ModelRequest,
  setup: FlipSetup,
  plans: readonly FlipPlan[],
  onRows?: (done: number) => void,
): Promise<FlippedScores> {
  const { model, outputIndex, scores: scoreKind, execution } = request;
  const batch = request.x.shape[0];
  const { layout, perStep, steps } = setup;
  const size = layout.positions * layout.channels;
  const perPlan = steps * batch;
  const where = (row: number): { plan: number; step: number; example: number } => ({
    plan: Math.floor(row / perPlan),
    step: Math.floor((row % perPlan) / batch) + 1,
    example: row % batch,
  });
  const scores = plans.map(() => Array.from({ length: batch }, (): number[][] => []));
  const finalInputs = plans.map(() => new Array<Float32Array>(batch));
  await runRowChunks({
    total: plans.length * perPlan,
    batchSize: request.batchSize,
    task: ({ start, end }) => {
      const buffer = new Float32Array((end - start) * size);
      for (let row = start; row < end; row++) {
        const { plan, step, example } = where(row);
        flippedRow(setup, plans[plan], example, step * perStep, buffer, (row - start) * size);
      }
      const values = tf.tidy(() =>
        model
          .run(tf.tensor(buffer, [end - start, ...layout.inputShape]), { outputIndex, scores: scoreKind, execution })
          .dataSync(),
      ) as Float32Array;
      return { buffer, values };
    },
    reduce: ({ start, end }, { buffer, values }) => {
      const classes = values.length / (end - start);
      for (let row = start; row < end; row++) {
        const { plan, step, example } = where(row);
        const r = row - start;
        scores[plan][example].push(Array.from(values.subarray(r * classes, (r + 1) * classes)));
        if (step === steps) finalInputs[plan][example] = buffer.slice(r * size, (r + 1) * size);
      }
      onRows?.(end);
    },
  });
  return { scores, finalInputs };
}
