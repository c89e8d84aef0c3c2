/**
 * The methods at their floor on the Node worker pool: SmoothGrad (gradient inner methods), MC-dropout explanations,
 * pixel flipping, the random comparison and occlusion give the same bits with workers 1 and 2 on tiny 1-D and 2-D
 * models; the pool really runs their tasks; no tensor leaks in the main thread or the workers.
 */
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import * as tf from '@tensorflow/tfjs';
import {
  ExplainableModel,
  compareWithRandom,
  guidedBackprop,
  inputXGradient,
  mcDropoutExplanations,
  occlusion,
  pixelFlipping,
  saliency,
  registerWorkerPlatform,
  smoothGrad,
  startWorkerPool,
  type AttributionResult,
  type WorkerPool,
} from '../../src/index.js';
import { useWorkerThreads } from '../../src/node/parallel/thread-pool.js';
import { conv1dNet, conv2dDropoutNet } from '../tiny-models.js';
import { useWasm, withoutLeaks } from '../helpers.js';

let model1d: ExplainableModel;
let model2d: ExplainableModel;

before(async () => {
  await useWasm();
  useWorkerThreads();
  model1d = ExplainableModel.from(conv1dNet(91));
  model2d = ExplainableModel.from(conv2dDropoutNet(92));
});

after(() => {
  model1d.dispose();
  model2d.dispose();
  registerWorkerPlatform(null);
});

async function attributionNumbers(pending: Promise<AttributionResult>): Promise<number[]> {
  const r = await pending;
  const values = Array.from(r.attributions.dataSync());
  tf.dispose([r.attributions, r.heatmaps, r.predictions, r.probabilities ?? []]);
  return values;
}

type Call = (model: ExplainableModel, x: tf.Tensor, workers: number) => Promise<unknown>;

/**
 * Tasks of 4 rows (batchSize): 3 noisy copies or 4 dropout samples of 3 examples are 9 or 12 rows, 3 tasks, so both
 * workers take tasks and one takes two; more samples would only add tasks of the same kind.
 */

const CALLS: [string, Call][] = [
  [
    'smoothGrad(saliency)',
    (m, x, workers) =>
      attributionNumbers(smoothGrad(saliency, { noiseSamples: 3, seed: 3 })(m, x, { workers, batchSize: 4 })),
  ],
  [
    'smoothGrad(guidedBackprop)',
    (m, x, workers) =>
      attributionNumbers(smoothGrad(guidedBackprop, { noiseSamples: 3, seed: 3 })(m, x, { workers, batchSize: 4 })),
  ],
  [
    'smoothGrad(inputXGradient, vargrad)',
    (m, x, workers) =>
      attributionNumbers(
        smoothGrad(inputXGradient, { noiseSamples: 3, seed: 3, kind: 'vargrad' })(m, x, { workers, batchSize: 4 }),
      ),
  ],
  [
    'mcDropoutExplanations',
    (m, x, workers) => mcDropoutExplanations(m, x, { samples: 4, seed: 5, keepSamples: true, workers, batchSize: 4 }),
  ],
  ['pixelFlipping', (m, x, workers) => pixelFlipping(m, x, { seed: 2, fraction: 0.5, workers, batchSize: 4 })],
  ['compareWithRandom', (m, x, workers) => compareWithRandom(m, x, { seed: 2, randomSeeds: 3, workers, batchSize: 4 })],
  [
    'occlusion',
    (m, x, workers) => attributionNumbers(occlusion(m, x, { window: 2, stride: 1, workers, batchSize: 4 })),
  ],
];

test('floor methods: workers 1 and 2 give the same bits on tiny 1-D and 2-D models; the pool runs their tasks', async () => {
  for (const [model, shape] of [
    [model1d, [3, 12, 2]],
    [model2d, [3, 6, 5, 2]],
  ] as const) {
    const pool: WorkerPool | undefined = await startWorkerPool(model, 2);
    assert.ok(pool !== undefined, 'a pool of worker threads');
    const x = tf.randomNormal([...shape], 0, 1, 'float32', 9);
    try {
      for (const [name, call] of CALLS) {
        const tasks: number = pool.stats().tasks;
        const one = await withoutLeaks(() => call(model, x, 1));
        assert.equal(pool.stats().tasks, tasks, `${name}: workers 1 ran in the calling thread`);
        const two = await withoutLeaks(() => call(model, x, 2));
        assert.ok(pool.stats().tasks > tasks, `${name}: workers 2 used the pool`);
        assert.deepEqual(two, one, `${name}: same numbers with 1 and 2 workers`);
      }
      // Workers hold their weights and their kernel cache (built on the first pass); a second round adds nothing.
      const counts = pool.stats().tensorsByWorker;
      for (const count of Object.values(counts))
        assert.ok(count >= model.layersModel!.weights.length, 'worker tensor count: at least the weights');
      for (const [, call] of CALLS) await withoutLeaks(() => call(model, x, 2));
      assert.deepEqual(pool.stats().tensorsByWorker, counts, 'worker tensor counts after a second round');
    } finally {
      x.dispose();
    }
  }
});
