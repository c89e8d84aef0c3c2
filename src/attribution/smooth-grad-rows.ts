/**
 * SmoothGrad's noisy copies as rows of one chunked gradient computation, for the methods that are one input gradient
 * per row ({@link GradientForm}): rows are copy-major (row = copy·batch + example), chunked by `batchSize`; each chunk
 * builds its noisy rows, one `'gradients'` row task computes their gradients (in this thread or a worker), and the
 * attributions are added to per-example running sums in row order. Copy s's noise is drawn from its own seed over
 * the whole batch (as one nested call would), so the result does not depend on the chunking.
 */
import * as tf from '@tensorflow/tfjs';
import { Moments } from '../util/moments.js';
import { runRowTasks } from '../parallel/run-row-tasks.js';
import { taskChunks } from '../parallel/task-chunks.js';
import './pooled-target-gradients.js';
import type { GradientForm } from './gradient-forms.js';
import type { MethodContext } from './run-method.js';

/** Copy `s` of the whole batch: x + N(0, 1)·sigma with the copy's seed (the same op sequence as a nested call). */
export function noisyCopy(x: tf.Tensor, sigma: tf.Tensor, seed: number): tf.Tensor {
  return tf.tidy(() => tf.add(x, tf.mul(tf.randomNormal(x.shape, 0, 1, 'float32', seed), sigma)));
}

/** The noisy rows [start, end) of the copy-major row list, read back (the task's arrays). */
function noisyRows(
  x: tf.Tensor,
  sigma: tf.Tensor,
  noiseSeeds: readonly number[],
  start: number,
  end: number,
): Float32Array {
  const batch = x.shape[0];
  const rows = tf.tidy(() => {
    const parts: tf.Tensor[] = [];
    for (let copy = Math.floor(start / batch); copy * batch < end; copy++) {
      const from = Math.max(start, copy * batch) - copy * batch;
      const to = Math.min(end, (copy + 1) * batch) - copy * batch;
      const noisy = noisyCopy(x, sigma, noiseSeeds[copy]);
      parts.push(from === 0 && to === batch ? noisy : tf.slice(noisy, from, to - from));
    }
    return parts.length === 1 ? parts[0] : tf.concat(parts, 0);
  });
  try {
    return rows.dataSync() as Float32Array;
  } finally {
    rows.dispose();
  }
}

/**
 * Running sums (per example, float64, in copy order) of the form's attributions over the noisy copies. The chunks
 * (`taskChunks` of the rows) are `'gradients'` row tasks, shared out to the model's worker pool (`ctx.workers`) and
 * reduced in order, so the numbers are the same for any number of workers. `onCopies(done)` is called once per
 * finished copy, in order.
 */
export async function smoothGradRows(
  ctx: MethodContext,
  form: GradientForm,
  sigma: tf.Tensor,
  noiseSeeds: readonly number[],
  onCopies: (done: number) => void,
): Promise<Moments[]> {
  const { x, targets } = ctx;
  const batch = x.shape[0];
  const rowShape = x.shape.slice(1);
  const size = x.size / batch;
  const moments = targets.map(() => new Moments(size));
  const execution = { ...ctx.execution, rules: [...form.rules, ...(ctx.execution?.rules ?? [])] };
  const plan = taskChunks(noiseSeeds.length * batch, ctx.batchSize, ctx.execution?.backend);
  // The rows of the tasks in flight (their arrays are transferred to the workers): input × gradient needs them.
  const sent = new Map<number, Float32Array>();
  await runRowTasks(
    {
      model: ctx.model,
      session: ctx.session,
      outputIndex: ctx.outputIndex,
      scores: ctx.scores,
      execution,
      taskCount: plan.length,
      tasks: (function* () {
        for (const [k, { start, end }] of plan.entries()) {
          const rows = noisyRows(x, sigma, noiseSeeds, start, end);
          sent.set(k, rows.slice());
          const rowTargets = Array.from({ length: end - start }, (_, r) => targets[(start + r) % batch]);
          yield {
            kind: 'gradients',
            arrays: { rows: { data: rows, shape: [end - start, ...rowShape] } },
            numbers: { targets: rowTargets },
          };
        }
      })(),
      consume: (k, result) => {
        const { start, end } = plan[k];
        const rows = sent.get(k) as Float32Array;
        sent.delete(k);
        const attributions = tf.tidy(() =>
          form.attributions(tf.tensor(result.data, result.shape), tf.tensor(rows, result.shape)),
        );
        const values = attributions.dataSync() as Float32Array;
        attributions.dispose();
        for (let row = start; row < end; row++)
          moments[row % batch].add(values.subarray((row - start) * size, (row - start + 1) * size));
        for (let copy = Math.floor(start / batch) + 1; copy <= Math.floor(end / batch); copy++) onCopies(copy);
      },
    },
    { workers: ctx.workers },
  );
  return moments;
}
