/**
 * Monte-Carlo samples as rows of chunked gradient passes, for the methods that are one input gradient per row
 * ({@link GradientForm}): rows are sample-major (row = sample·batch + example) and chunked by `batchSize`; every row runs
 * the thinned network of its sample's seed (`execution.dropout.rowSeeds`, masks independent of the chunking); one pass
 * per chunk gives the gradients and the scores under the same masks; the chunk's maps and scores are read back once and
 * handed to the reducer in sample order.
 */
import * as tf from '@tensorflow/tfjs';
import type { ModelRequest } from '../execution/model-request.js';
import { runRowChunks } from '../util/row-chunks.js';
import type { GradientForm } from '../attribution/gradient-forms.js';
import { gradientsAndScores } from '../attribution/gradients-and-scores.js';
import { heatmapOf } from '../attribution/heatmap.js';
import { SampleReducer, softmaxRow } from './sample-reducer.js';

/** What a sample map is: the method's heatmap, or its attributions summed over channels. */
export type SampleMapKind = 'heatmap' | 'signed';

/** The rows [start, end) of the sample-major row list: example `row % batch` of `x`. */
function repeatedRows(x: tf.Tensor, start: number, end: number): tf.Tensor {
  const batch = x.shape[0];
  return tf.tidy(() => {
    if (batch === 1) return tf.tile(x, [end - start, ...x.shape.slice(1).map(() => 1)]);
    const indices = Array.from({ length: end - start }, (_, r) => (start + r) % batch);
    return tf.gather(x, tf.tensor1d(indices, 'int32'));
  });
}

/** Runs every sample of `sampleSeeds` as rows and feeds the reducer one whole sample at a time, in order. */
export async function mcDropoutRows(
  request: ModelRequest,
  form: GradientForm,
  sampleSeeds: readonly number[],
  mapKind: SampleMapKind,
  reducer: SampleReducer,
): Promise<void> {
  const { model, x, targets, outputIndex, scores: scoreKind } = request;
  const batch = x.shape[0];
  const rules = [...form.rules, ...(request.execution.rules ?? [])];
  const softmax = model.endsInSoftmax(outputIndex) && scoreKind === 'logits';
  const hasProbabilities = model.endsInSoftmax(outputIndex) || scoreKind === 'probabilities';
  let maps: Float32Array[] = [];
  let predictions: number[][] = [];
  await runRowChunks({
    total: sampleSeeds.length * batch,
    batchSize: request.batchSize,
    task: ({ start, end }) => {
      const rowSeeds = Array.from({ length: end - start }, (_, r) => sampleSeeds[Math.floor((start + r) / batch)]);
      const rowTargets = Array.from({ length: end - start }, (_, r) => targets[(start + r) % batch]);
      const execution = { ...request.execution, rules, dropout: { seed: rowSeeds[0], rowSeeds } };
      const rows = repeatedRows(x, start, end);
      try {
        const pass = gradientsAndScores(model, rows, rowTargets, { outputIndex, scores: scoreKind, execution });
        const map = tf.tidy(() => {
          const attributions = form.attributions(pass.gradients, rows);
          if (mapKind === 'heatmap') return heatmapOf(attributions, form.reduction);
          return attributions.rank >= 3 ? tf.sum(attributions, -1) : attributions;
        });
        pass.gradients.dispose();
        const values = map.dataSync() as Float32Array;
        map.dispose();
        return { values, scores: pass.scores, classes: pass.classes };
      } finally {
        rows.dispose();
      }
    },
    reduce: async ({ start, end }, { values, scores, classes }) => {
      const positions = values.length / (end - start);
      for (let row = start; row < end; row++) {
        const r = row - start;
        maps.push(values.slice(r * positions, (r + 1) * positions));
        predictions.push(Array.from(scores.subarray(r * classes, (r + 1) * classes)));
        if (row % batch !== batch - 1) continue;
        const probabilities = hasProbabilities ? predictions.map((p) => (softmax ? softmaxRow(p) : p)) : undefined;
        await reducer.add(maps, predictions, probabilities);
        maps = [];
        predictions = [];
      }
    },
  });
}
