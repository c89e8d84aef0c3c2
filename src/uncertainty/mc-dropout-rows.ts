/**
 * Monte-Carlo samples as rows of chunked gradient passes, for the methods that are one input gradient per row
 * ({@link GradientForm}): rows are sample-major (row = sample·batch + example) and chunked by `batchSize`; every row runs
 * the thinned network of its sample's seed (`execution.dropout.rowSeeds`, masks independent of the chunking); one pass
 * per chunk gives the gradients and the scores under the same masks; the chunk's maps and scores are read back once and
 * handed to the reducer in sample order.
 */
import * as tf from '@tensorflow/tfjs';
import type { ModelRequest } from '../session/model-request.js';
import {
  BatchRows,
  RowTask,
  batchRows,
  registerRowTaskKind,
  rulesPropagation,
  taskTensor,
  tidyArray,
} from '../parallel/row-task.js';
import type { RowTaskPlan, TaskArray } from '../engine/engine-primitives.js';
import { runRowTasks } from '../parallel/run-row-tasks.js';
import { taskChunks } from '../parallel/task-chunks.js';
import { GradientForm, gradientFormNames, gradientFormOf } from '../attribution/gradient-forms.js';
import { heatmapOf } from '../attribution/heatmap.js';
import { SampleReducer, softmaxRow } from './sample-reducer.js';

/** What a sample map is: the method's heatmap, or its attributions summed over channels. */
export type SampleMapKind = 'heatmap' | 'signed';

/**
 * Plan of `'mc-dropout-maps'`: `arrays.rows`, `numbers.targets`, `numbers.rowSeeds` (one dropout seed per row),
 * `numbers.form` ([index in `gradientFormNames`]) and `numbers.signed` ([1] for signed maps) → `[rows, positions +
 * classes]`: each row's map (heatmap or attributions summed over channels) followed by its scores, from ONE
 * forward+backward pass under the row's thinned network (the keep-masks of its seed; they replace call-wide dropout).
 */
export function mcDropoutMapsTask(task: RowTask): RowTaskPlan {
  const rowSeeds = task.numbers.rowSeeds;
  const rows = task.arrays.rows;
  return {
    primitive: 'gradients',
    pass: {
      rows,
      output: { targets: task.numbers.targets },
      propagation: rulesPropagation(task),
      dropout: { seed: rowSeeds[0], rowSeeds },
      withScores: true,
    },
    finish: ({ gradient, scores, classes }) => sampleMapRows(task, rows, gradient, scores!, classes),
  };
}

/**
 * The result of an `'mc-dropout-maps'` task from its pass: each row's map (the task's form and map kind, from the
 * row's `gradient`) followed by its `classes` scores.
 */
function sampleMapRows(
  task: RowTask,
  rows: TaskArray,
  gradient: Float32Array,
  scores: Float32Array,
  classes: number,
): TaskArray {
  const form = gradientFormOf(gradientFormNames[task.numbers.form[0]]) as GradientForm;
  const count = rows.shape[0];
  return tidyArray(() => {
    const x = taskTensor(rows);
    const attributions = form.attributions(tf.tensor(gradient, rows.shape, 'float32'), x);
    const map =
      task.numbers.signed[0] !== 1
        ? heatmapOf(attributions, form.reduction)
        : attributions.rank >= 3
          ? tf.sum(attributions, -1)
          : attributions;
    const flatMap = tf.reshape(map, [count, -1]);
    return tf.concat([flatMap, tf.tensor2d(scores, [count, classes])], 1);
  });
}

registerRowTaskKind('mc-dropout-maps', { plan: mcDropoutMapsTask, rowSeededDropout: true });

/** Rows [start, end) of the sample-major row list (example `row % batch` of the batch), as a task array. */
function repeatedRows(batchRowsOf: BatchRows, batch: number, start: number, end: number): TaskArray {
  const data = new Float32Array((end - start) * batchRowsOf.rowSize);
  for (let row = start; row < end; row++) {
    const e = row % batch;
    data.set(
      batchRowsOf.data.subarray(e * batchRowsOf.rowSize, (e + 1) * batchRowsOf.rowSize),
      (row - start) * batchRowsOf.rowSize,
    );
  }
  return { data, shape: [end - start, ...batchRowsOf.rowShape] };
}

/**
 * Runs every sample of `sampleSeeds` as rows (`taskChunks` of them, `'mc-dropout-maps'` row tasks on the model's
 * worker pool, `request.workers`) and feeds the reducer one whole sample at a time, in order.
 */
export async function mcDropoutRows(
  request: ModelRequest,
  form: GradientForm,
  sampleSeeds: readonly number[],
  mapKind: SampleMapKind,
  reducer: SampleReducer,
): Promise<void> {
  const { model, x, targets, outputIndex, scores: scoreKind } = request;
  const batch = x.shape[0];
  const positions = (x.rank >= 3 ? x.shape.slice(1, -1) : x.shape.slice(1)).reduce((a, b) => a * b, 1);
  const rules = [...form.rules, ...(request.execution.rules ?? [])];
  const softmax = model.endsInSoftmax(outputIndex) && scoreKind === 'logits';
  const hasProbabilities = model.endsInSoftmax(outputIndex) || scoreKind === 'probabilities';
  const plan = taskChunks(sampleSeeds.length * batch, request.batchSize, request.execution.backend);
  const source = batchRows(x);
  const formIndex = gradientFormNames.indexOf(form.name);
  // A sample goes to the reducer when its last example's row is consumed.
  let maps: Float32Array[] = [];
  let predictions: number[][] = [];
  await runRowTasks(
    {
      model,
      session: request.session,
      outputIndex,
      scores: scoreKind,
      execution: { ...request.execution, rules },
      taskCount: plan.length,
      tasks: (function* () {
        for (const { start, end } of plan) {
          yield {
            kind: 'mc-dropout-maps',
            arrays: { rows: repeatedRows(source, batch, start, end) },
            numbers: {
              targets: Array.from({ length: end - start }, (_, r) => targets[(start + r) % batch]),
              rowSeeds: Array.from({ length: end - start }, (_, r) => sampleSeeds[Math.floor((start + r) / batch)]),
              form: [formIndex],
              signed: [mapKind === 'signed' ? 1 : 0],
            },
          };
        }
      })(),
      consume: (k, result) => {
        const { start, end } = plan[k];
        const width = result.shape[1];
        for (let row = start; row < end; row++) {
          const offset = (row - start) * width;
          maps.push(result.data.slice(offset, offset + positions));
          predictions.push(Array.from(result.data.subarray(offset + positions, offset + width)));
          if (row % batch !== batch - 1) continue;
          const probabilities = hasProbabilities ? predictions.map((p) => (softmax ? softmaxRow(p) : p)) : undefined;
          reducer.add(maps, predictions, probabilities);
          maps = [];
          predictions = [];
        }
      },
    },
    { workers: request.workers },
  );
  await reducer.settled();
}
