/**
 * The flipped inputs of pixel flipping as rows of chunked forward passes: every flipping step of every curve (a plan:
 * per example an order of positions and one standard-normal draw per position) and example is one row, numbered
 * plan-major, then step, then example. A chunk builds its rows from the clean inputs (row k of a curve carries its
 * first k·perStep flips) as one `'scores'` row task (one forward pass, in this thread or a worker), reduced in row
 * order, so no row depends on another chunk and
 * the scores do not depend on the chunk size. Step 0 (the clean inputs) is not evaluated: the caller knows it.
 */
import type { ModelRequest } from '../session/model-request.js';
import { runRowTasks } from '../parallel/run-row-tasks.js';
import { taskChunks } from '../parallel/task-chunks.js';
import '../parallel/forward-task.js';
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
  const plan = taskChunks(plans.length * perPlan, request.batchSize, execution.backend);
  await runRowTasks(
    {
      model,
      session: request.session,
      outputIndex,
      scores: scoreKind,
      execution,
      taskCount: plan.length,
      tasks: (function* () {
        for (const { start, end } of plan) {
          const buffer = new Float32Array((end - start) * size);
          for (let row = start; row < end; row++) {
            const { plan: p, step, example } = where(row);
            flippedRow(setup, plans[p], example, step * perStep, buffer, (row - start) * size);
          }
          yield {
            kind: 'scores',
            arrays: { rows: { data: buffer, shape: [end - start, ...layout.inputShape] } },
            numbers: {},
          };
        }
      })(),
      consume: (k, result) => {
        const { start, end } = plan[k];
        const classes = result.shape[1];
        for (let row = start; row < end; row++) {
          const { plan: p, step, example } = where(row);
          const r = row - start;
          scores[p][example].push(Array.from(result.data.subarray(r * classes, (r + 1) * classes)));
          // The last step's input is rebuilt (the task's rows went to the worker): one row per curve and example.
          if (step === steps) {
            const last = new Float32Array(size);
            flippedRow(setup, plans[p], example, steps * perStep, last, 0);
            finalInputs[p][example] = last;
          }
        }
        onRows?.(end);
      },
    },
    { workers: request.workers },
  );
  return { scores, finalInputs };
}
