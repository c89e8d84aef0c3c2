/**
 * Loaded real models under the adapter: gradients on wasm (2-D convs included) equal the cpu ones; Monte-Carlo
 * dropout switches on only Dropout (batch-norm statistics untouched), is seeded, and its mean approaches the
 * deterministic prediction.
 */
import * as tf from '@tensorflow/tfjs';
import assert from 'node:assert/strict';
import { resolve } from 'node:path';
import { after, before, describe, test } from 'node:test';
import { ExplainableModel } from '../../src/execution/explainable-model.js';
import type { ExecutionSettings } from '../../src/execution/execution-settings.js';
import { setupBackend } from '../../src/execution/backend.js';
import { loadModel } from '../../src/models/load-model.js';
import { assertClose, sharedDir, skipWithoutShared, useWasm } from '../helpers.js';

const models = {
  psd: 'Potatamis/psd/HieraEmbCls/HieraEmbCls_psd_frozen.h5',
  spectro: 'Keogh/Keogh_9/spectro/HieraEmbCls/HieraEmbCls_spectro_9.h5',
  sequential: 'Potatamis_Sequential/PSD/Mosquito_CNN_PSD.h5',
};

/** d(logit of `target` in head `output`)/d(input), through the adapter; one-hot mask (wasm has no UnsortedSegmentSum). */
function inputGradient(
  model: ExplainableModel,
  x: tf.Tensor,
  output: string,
  target: number,
  execution?: ExecutionSettings,
): number[] {
  const g = tf.tidy(() => {
    const f = (input: tf.Tensor): tf.Scalar => {
      const logits = model.run(input, { output, scores: 'logits', execution });
      return tf.sum(tf.mul(logits, tf.oneHot([target], logits.shape[1]))) as tf.Scalar;
    };
    return tf.grad(f)(x);
  });
  const values = Array.from(g.dataSync());
  g.dispose();
  return values;
}

function input(model: ExplainableModel, seed: number): tf.Tensor {
  const shape = model.inputShape as number[];
  return shape.length === 2
    ? tf.randomNormal([1, ...shape], -80, 15, 'float32', seed)
    : tf.randomNormal([1, ...shape], -0.85, 0.08, 'float32', seed);
}

/** The PSD model, loaded once for the gradient test and the Monte-Carlo dropout tests (disposed at the end). */
let psd: Promise<ExplainableModel> | undefined;
const psdModel = (): Promise<ExplainableModel> => (psd ??= loadModel(resolve(sharedDir, 'models', models.psd)));
after(async () => (await psd)?.layersModel?.dispose());

describe('gradients through loaded models: wasm equals cpu', { skip: skipWithoutShared }, () => {
  after(useWasm);
  for (const [kind, file] of Object.entries(models)) {
    test(`${kind}: tf.grad of a target logit`, async () => {
      await useWasm();
      const model = kind === 'psd' ? await psdModel() : await loadModel(resolve(sharedDir, 'models', file));
      const x = input(model, 3);
      try {
        const output = model.outputNames[model.outputNames.length - 1];
        const wasm = inputGradient(model, x, output, 1);
        assert.ok(
          wasm.some((v) => v !== 0),
          'gradient is not all zeros',
        );
        await setupBackend({ backend: 'cpu' });
        const xCpu = tf.tensor(x.dataSync(), x.shape);
        const cpu = inputGradient(model, xCpu, output, 1);
        xCpu.dispose();
        const scale = Math.max(...cpu.map(Math.abs));
        assertClose(wasm, cpu, 1e-4 * scale, 1e-3, `${kind} gradient (max |g| ${scale.toExponential(2)})`);
      } finally {
        await useWasm();
        x.dispose();
        if (kind !== 'psd') model.layersModel?.dispose();
      }
    });
  }
});

describe('Monte-Carlo dropout on loaded models', { skip: skipWithoutShared }, () => {
  let model: ExplainableModel;
  before(async () => {
    await useWasm();
    model = await psdModel();
  });

  const statistics = (): number[] =>
    (model.layersModel as tf.LayersModel).weights
      .filter((w) => /moving_(mean|variance)/.test(w.originalName))
      .flatMap((w) => Array.from(w.read().dataSync()));

  test('only Dropout becomes active: samples differ, their mean is near the deterministic output, batch norm untouched', () => {
    const x = tf.concat([input(model, 11), input(model, 12)]);
    const stats = statistics();
    const deterministic = model.predict(x, { output: 'species', scores: 'probabilities' });
    const again = model.predict(x, { output: 'species', scores: 'probabilities' });
    const sample = (seed: number): number[] =>
      tf.tidy(() =>
        Array.from(model.run(x, { output: 'species', scores: 'logits', execution: { dropout: { seed } } }).dataSync()),
      );
    const a = sample(5);
    const b = sample(6);
    assert.notDeepEqual(a, b, 'two dropout samples differ');
    assert.deepEqual(sample(5), a, 'the same seed, the same masks');
    assert.deepEqual(
      Array.from(deterministic.scores.dataSync()),
      Array.from(again.scores.dataSync()),
      'dropout off: deterministic',
    );
    const mc = model.predict(x, { output: 'species', scores: 'probabilities', samples: 200, seed: 1 });
    // Dropout on a 6-unit embedding head is a strong perturbation: the MC mean stays close, not equal.
    assertClose(mc.scores.dataSync(), deterministic.scores.dataSync(), 0.15, 0, 'MC mean vs deterministic');
    assert.ok(Math.max(...mc.std!.dataSync()) > 0, 'std is positive somewhere');
    assert.deepEqual(statistics(), stats, 'moving mean/variance unchanged');
    tf.dispose([x, deterministic.scores, again.scores, mc.scores, mc.std!]);
  });

  test('same seed, same samples; batch norm stays in inference mode (samples are per-example independent)', () => {
    const x = input(model, 13);
    const first = model.predict(x, { output: 'genus', samples: 8, seed: 42 });
    const second = model.predict(x, { output: 'genus', samples: 8, seed: 42 });
    const other = model.predict(x, { output: 'genus', samples: 8, seed: 43 });
    assert.deepEqual(Array.from(first.scores.dataSync()), Array.from(second.scores.dataSync()));
    assert.deepEqual(Array.from(first.std!.dataSync()), Array.from(second.std!.dataSync()));
    assert.notDeepEqual(Array.from(first.scores.dataSync()), Array.from(other.scores.dataSync()));
    // Training-mode batch norm would normalise over the batch: one example alone would then give constant scores.
    const single = model.predict(x, { output: 'genus', scores: 'logits' });
    assert.ok(new Set(Array.from(single.scores.dataSync()).map((v) => v.toFixed(4))).size > 1);
    tf.dispose([x, first.scores, first.std!, second.scores, second.std!, other.scores, other.std!, single.scores]);
  });

  test('gradients work with dropout on (every method can use MC dropout)', () => {
    const x = input(model, 14);
    try {
      const g = inputGradient(model, x, 'species', 0, { dropout: { seed: 9 } });
      assert.ok(g.some((v) => v !== 0));
      assert.notDeepEqual(g, inputGradient(model, x, 'species', 0), 'dropout changes the gradient');
    } finally {
      x.dispose();
    }
  });
});
