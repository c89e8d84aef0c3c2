/**
 * Scores of many perturbed copies of a request's inputs, built on the host row by row and evaluated as chunked
 * `'scores'` row tasks (one forward pass per chunk, in this thread, a worker or the compute backend) — the way pixel
 * flipping evaluates its steps, shared by every perturbation metric. Rows are produced lazily per chunk, so memory
 * stays bounded, and the chunks do not depend on the number of workers, so neither do the scores.
 */
import type { ModelRequest } from '../session/model-request.js';
import { runRowTasks } from '../parallel/run-row-tasks.js';
import { taskChunks } from '../parallel/task-chunks.js';
import '../parallel/forward-task.js';

/** Scores of `count` rows: row r's score vector is `data.subarray(r·classes, (r+1)·classes)`. */
export interface RowScores {
  data: Float32Array;
  classes: number;
}

/** The score of class `c` of row `r`. */
export function rowScore(scores: RowScores, r: number, c: number): number {
  return scores.data[r * scores.classes + c];
}

/**
 * Evaluates `count` rows of the request's input shape under its head, score kind and execution settings, in chunks of
 * `request.batchSize` rows. `fill(row, buffer, offset)` writes row `row` (one input without batch axis, row-major)
 * into `buffer` at `offset`. `onRows(done)` is called after each chunk with the number of rows evaluated.
 */
export async function scoreRows(
  request: ModelRequest,
  count: number,
  fill: (row: number, buffer: Float32Array, offset: number) => void,
  onRows?: (done: number) => void,
): Promise<RowScores> {
  const inputShape = request.x.shape.slice(1);
  const size = inputShape.reduce((a, b) => a * b, 1);
  const chunks = taskChunks(count, request.batchSize, request.execution.backend);
  let data = new Float32Array(0);
  let classes = 0;
  await runRowTasks(
    {
      model: request.model,
      session: request.session,
      outputIndex: request.outputIndex,
      scores: request.scores,
      execution: request.execution,
      taskCount: chunks.length,
      tasks: (function* () {
        for (const { start, end } of chunks) {
          const buffer = new Float32Array((end - start) * size);
          for (let row = start; row < end; row++) fill(row, buffer, (row - start) * size);
          yield {
            kind: 'scores',
            arrays: { rows: { data: buffer, shape: [end - start, ...inputShape] } },
            numbers: {},
          };
        }
      })(),
      consume: (k, result) => {
        const { start, end } = chunks[k];
        if (classes === 0) {
          classes = result.shape[1];
          data = new Float32Array(count * classes);
        }
        data.set(result.data.subarray(0, (end - start) * classes), start * classes);
        onRows?.(end);
      },
    },
    { workers: request.workers },
  );
  return { data, classes };
}
