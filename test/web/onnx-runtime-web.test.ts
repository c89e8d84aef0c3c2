/**
 * The page's ONNX runtime (src/onnx/runtime-web.ts) without a browser: onnxruntime-web's Node build runs the same
 * wasm module the page loads, so the shared session and task runner (src/onnx/) can be checked here — the same scores
 * and input gradients as onnxruntime-node (float32), also with guided ReLU and dropout keep-masks and for recurrent
 * layers (Scans), the same row-task results, one thread outside a cross-origin isolated page, the run pool of Web
 * Workers (here a worker served in this process: its protocol, which runs it takes, the same numbers), and one
 * BACKEND line when the wasm files are not where the page says.
 * And the page's texts without a browser: messages keep their spaces; a JSON file that is no model is named as such
 * (that had a file of its own, test/web/page-text.test.ts; one test process for both).
 */
import * as tf from '@tensorflow/tfjs';
import * as ortWeb from 'onnxruntime-web';
import assert from 'node:assert/strict';
import { createRequire } from 'node:module';
import { dirname } from 'node:path';
import { pathToFileURL } from 'node:url';
import { before, describe, test } from 'node:test';
import { ExplainableModel } from '../../src/execution/explainable-model.js';
import { OnnxGradientSession } from '../../src/onnx/onnx-gradient-session.js';
import { OnnxTaskRunner } from '../../src/onnx/onnx-task-runner.js';
import { webOnnxRuntime, webOnnxThreads, type OrtWebModule } from '../../src/onnx/runtime-web.js';
import { serveOnnxRuns, type RunPoolWorker } from '../../src/onnx/web-run-pool.js';
import { loadNodeOnnxRuntime } from '../../src/node/onnx/node-onnx-runtime.js';
import { runScriptToExit, srcUrl, useWasm } from '../helpers.js';
import { pageMessage } from '../../web/page-message.js';
import { loadPickedModel } from '../../web/model-files.js';
import { explanationCaptionText } from '../../src/pipeline/explanation-caption.js';
import { conv1dNet, conv2dDropoutNet, randomBatch, seedWeights } from '../tiny-models.js';

before(useWasm);

const require = createRequire(import.meta.url);
const distUrl = `${pathToFileURL(dirname(require.resolve('onnxruntime-web/ort-wasm-simd-threaded.wasm'))).href}/`;
const ort = ortWeb as unknown as OrtWebModule;
const web = webOnnxRuntime(ort, { wasmPaths: distUrl, threads: 2 });

/** [6, 2] → Bidirectional(LSTM(3, sequences)) → GRU(3, relu) → Dense(3), seeded. */
function recurrentNet(): tf.LayersModel {
  const model = tf.sequential({
    layers: [
      tf.layers.bidirectional({
        inputShape: [6, 2],
        layer: tf.layers.lstm({ units: 3, returnSequences: true }) as never,
      }),
      tf.layers.gru({ units: 3, activation: 'relu' }),
      tf.layers.dense({ units: 3 }),
    ],
  });
  seedWeights(model, 12, 0.6);
  return model;
}

/** Largest |a − b| over max |b|. */
function relativeError(actual: ArrayLike<number>, expected: ArrayLike<number>): number {
  assert.equal(actual.length, expected.length);
  let diff = 0;
  let scale = 0;
  for (let i = 0; i < expected.length; i++) {
    diff = Math.max(diff, Math.abs(actual[i] - expected[i]));
    scale = Math.max(scale, Math.abs(expected[i]));
  }
  return diff / scale;
}

describe('ONNX Runtime Web as the engine runtime', () => {
  test('one thread unless the page is cross-origin isolated', async () => {
    assert.equal(webOnnxThreads(4), 1);
    assert.equal((await web()).name, 'onnxruntime-web');
    assert.equal((await web()).startRunPool, undefined, 'no pool of threads of its own');
    assert.equal(await web(), await web(), 'loaded once');
  });

  test('scores and input gradients equal onnxruntime-node (plain, guided ReLU, dropout keep-masks)', async () => {
    const model = ExplainableModel.from(conv2dDropoutNet(7));
    const x = randomBatch([5, 6, 5, 2], 8);
    const rows = x.dataSync() as Float32Array;
    x.dispose();
    const targets = [0, 1, 2, 0, 1];
    try {
      for (const options of [{}, { guided: true }, { scores: 'probabilities' as const }, { dropout: true }]) {
        const [node, page] = await Promise.all(
          [loadNodeOnnxRuntime, web].map((runtime) => OnnxGradientSession.create(model, { runtime, ...options })),
        );
        try {
          const keeps = page.dropouts.map(({ shape }, k) =>
            Float32Array.from({ length: 5 * shape.reduce((a, b) => a * b, 1) }, (_, i) => ((i * 7 + k) % 3 ? 1 : 0)),
          );
          const [a, b] = await Promise.all([
            node.gradients(rows, targets, keeps),
            page.gradients(rows, targets, keeps),
          ]);
          const label = JSON.stringify(options);
          assert.ok(relativeError(b.scores, a.scores) <= 1e-6, `${label}: scores ${relativeError(b.scores, a.scores)}`);
          assert.ok(relativeError(b.gradient, a.gradient) <= 1e-5, `${label}: gradient`);
          assert.ok(relativeError(await page.scores(rows, keeps), a.scores) <= 1e-6, `${label}: forward graph`);
        } finally {
          await Promise.all([node.release(), page.release()]);
        }
      }
    } finally {
      model.dispose();
    }
  });

  test('recurrent layers (Scans): scores and input gradients equal onnxruntime-node, the same on every run', async () => {
    const model = ExplainableModel.from(recurrentNet());
    const x = randomBatch([3, 6, 2], 10);
    const rows = x.dataSync() as Float32Array;
    x.dispose();
    const targets = [0, 1, 2];
    try {
      for (const options of [{}, { guided: true }]) {
        const [node, page] = await Promise.all(
          [loadNodeOnnxRuntime, web].map((runtime) => OnnxGradientSession.create(model, { runtime, ...options })),
        );
        try {
          const a = await node.gradients(rows, targets);
          const label = JSON.stringify(options);
          for (let run = 1; run <= 3; run++) {
            const b = await page.gradients(rows, targets);
            assert.ok(relativeError(b.scores, a.scores) <= 1e-6, `${label} run ${run}: scores`);
            assert.ok(relativeError(b.gradient, a.gradient) <= 1e-5, `${label} run ${run}: gradient`);
          }
        } finally {
          await Promise.all([node.release(), page.release()]);
        }
      }
    } finally {
      model.dispose();
    }
  });

  test('the task runner on onnxruntime-web gives the integrated-gradients row task of onnxruntime-node', async () => {
    const model = ExplainableModel.from(conv1dNet(5));
    const inputs = randomBatch([2, 12, 2], 9);
    const task = {
      kind: 'integrated-gradients' as const,
      outputIndex: 0,
      scores: 'logits' as const,
      execution: { rules: [] },
      arrays: {
        inputs: { data: inputs.dataSync() as Float32Array, shape: [2, 12, 2] },
        baselines: { data: new Float32Array(48), shape: [2, 12, 2] },
      },
      numbers: {
        alphas: [0, 0.25, 0.5, 1, 0.5, 1],
        example: [0, 0, 0, 0, 1, 1],
        weights: [0.1, 0.2, 0.3, 0.4, 1, 1],
        targets: [0, 0, 0, 0, 2, 2],
      },
    };
    inputs.dispose();
    const [node, page] = await Promise.all(
      [loadNodeOnnxRuntime, web].map((runtime) => OnnxTaskRunner.create(model, { runtime })),
    );
    try {
      const before = tf.memory().numTensors;
      const [a, b] = await Promise.all([node.run(task as never), page.run(task as never)]);
      assert.deepEqual(b.shape, a.shape);
      assert.ok(relativeError(b.data, a.data) <= 1e-5, `${relativeError(b.data, a.data)}`);
      assert.equal(tf.memory().numTensors, before);
    } finally {
      await Promise.all([node.close(), page.close()]);
      model.dispose();
    }
  });

  test('a run pool: runs spread over the pool and this thread, the same numbers as onnxruntime-node', async () => {
    // A worker of the pool served in this process (messages cloned and delivered later, as between threads).
    let started = 0;
    let terminated = 0;
    const inProcessWorker = (): RunPoolWorker => {
      const toPage: ((event: { data: unknown }) => void)[] = [];
      const toWorker: ((event: { data: unknown }) => void)[] = [];
      const deliver = (listeners: typeof toPage, message: unknown) =>
        setTimeout(() => listeners.forEach((listener) => listener({ data: structuredClone(message) })));
      serveOnnxRuns(ort, {
        postMessage: (message) => deliver(toPage, message),
        addEventListener: (_type, listener) => toWorker.push(listener),
      });
      started++;
      return {
        postMessage: (message) => deliver(toWorker, message),
        addEventListener: ((type: string, listener: (event: { data: unknown }) => void) => {
          if (type === 'message') toPage.push(listener);
        }) as RunPoolWorker['addEventListener'],
        terminate: () => void terminated++,
      };
    };
    const pooled = webOnnxRuntime(ort, { wasmPaths: distUrl, threads: 2, runPoolWorker: inProcessWorker });
    assert.equal((await pooled()).spreadsRuns, true);
    const model = ExplainableModel.from(conv2dDropoutNet(7));
    const x = randomBatch([6, 6, 5, 2], 10);
    const rows = x.dataSync() as Float32Array;
    x.dispose();
    const [node, page] = await Promise.all(
      [loadNodeOnnxRuntime, pooled].map((runtime) => OnnxGradientSession.create(model, { runtime, threads: 2 })),
    );
    try {
      assert.equal(page.sessionPoolSize, 1);
      assert.equal(page.intraOpThreads, 1);
      await page.startSessionPool();
      assert.ok(page.sessionPoolReady);
      assert.equal(started, 1, 'one worker besides this thread');
      const halves = [rows.slice(0, rows.length / 2), rows.slice(rows.length / 2)];
      const targets = [
        [0, 1, 2],
        [2, 1, 0],
      ];
      const [a, b] = await Promise.all(halves.map((half, i) => page.gradients(half, targets[i])));
      assert.deepEqual(page.runs, { here: 1, pool: 1 }, 'one run in the pool, one here');
      for (const [i, got] of [a, b].entries()) {
        const expected = await node.gradients(halves[i], targets[i]);
        assert.ok(relativeError(got.scores, expected.scores) <= 1e-6, `half ${i}: scores`);
        assert.ok(relativeError(got.gradient, expected.gradient) <= 1e-5, `half ${i}: gradient`);
      }
    } finally {
      await Promise.all([node.release(), page.release()]);
      model.dispose();
    }
    assert.equal(terminated, 1, 'the worker stopped with the session');
  });

  test('wasm files missing where the page says: one BACKEND line naming the path', () => {
    // In a process of its own: onnxruntime-web starts its wasm module once per process, and a failed start stays failed.
    const out = runScriptToExit(`
      import * as ort from 'onnxruntime-web';
      import { webOnnxRuntime } from ${srcUrl('onnx/runtime-web.ts')};
      try {
        await webOnnxRuntime(ort, { wasmPaths: 'file:///nonexistent/ort/', threads: 1 })();
        console.log('loaded');
      } catch (error) {
        console.log(JSON.stringify({ code: error.code, message: error.message }));
      }
    `);
    const { code, message } = JSON.parse(out.trim().split('\n').pop() ?? '{}') as { code: string; message: string };
    assert.equal(code, 'BACKEND');
    assert.match(message, /^ONNX Runtime Web could not start from 'file:\/\/\/nonexistent\/ort\/': /);
    assert.doesNotMatch(message, /\n/);
  });
});

const bytes = (text: string): Uint8Array => new TextEncoder().encode(text);

test('pageMessage keeps every space before a dot and turns CLI hints into page controls', () => {
  assert.equal(
    pageMessage('Pick a Keras .keras or .h5 file, or a model.json together with its .bin weight files.'),
    'Pick a Keras .keras or .h5 file, or a model.json together with its .bin weight files.',
  );
  assert.equal(
    pageMessage("'a.wav' is shorter than one window (CLI: --pad)."),
    "'a.wav' is shorter than one window (on this page: tick 'Zero-pad short recordings').",
  );
  assert.equal(pageMessage('Resampled (CLI: --channel). See .wav notes.'), 'Resampled. See .wav notes.');
});

test("pageMessage: the background set, the preset menu and listening in the page's words", async () => {
  const tf = await import('@tensorflow/tfjs');
  const { backgroundBatch } = await import('../../src/attribution/background.js');
  const { ExplainableModel } = await import('../../src/index.js');
  const net = tf.sequential({ layers: [tf.layers.dense({ inputShape: [3], units: 2 })] });
  const model = ExplainableModel.from(net);
  try {
    const error = (() => {
      try {
        backgroundBatch('gradientShap', model, undefined);
      } catch (caught) {
        return (caught as Error).message;
      }
      return '';
    })();
    assert.equal(
      pageMessage(error),
      "Argument 'background' passed to 'gradientShap' must be a set of reference inputs (e.g. recordings of the data set; on this page: pick them under 'Background set') but got nothing.",
    );
  } finally {
    net.dispose();
  }
  assert.equal(
    pageMessage("Preset 'a' gives inputs of shape [129,1] but the model takes [64,1]; choose another --preset."),
    "Preset 'a' gives inputs of shape [129,1] but the model takes [64,1]; choose another 'Feature preset'.",
  );
  assert.equal(
    pageMessage('Listening to what the model used (--audio) needs a PSD or spectrogram-image recipe.'),
    'Listening to what the model used needs a PSD or spectrogram-image recipe.',
  );
  assert.equal(
    pageMessage("Option '--audio' needs .wav inputs explained with a feature preset, but 'x' is not one."),
    "Listening needs .wav inputs explained with a feature preset, but 'x' is not one.",
  );
});

test('a JSON file picked as the model is reported as not a model.json, not as a bad labels file', async () => {
  await assert.rejects(
    loadPickedModel([{ name: 'notes.json', bytes: bytes('{"a": 1}') }]),
    (error: Error) =>
      error.message ===
      "None of 'notes.json' is a model ('notes.json' is not a TensorFlow.js model.json: it has no modelTopology): pick a Keras .keras or .h5, or a model.json with its .bin weight files.",
  );
});

test('captions come from one function: a spectrogram baseline is mid-grey, a spectrum one 0 dB', () => {
  const spectrum = explanationCaptionText('integrated-gradients', { shape: [129, 1], delta: 0.01, relativeGap: 0.002 });
  assert.match(spectrum, /Baseline: zeros \(0 dB for a spectrum: louder than any recording;/);
  assert.match(spectrum, /Completeness gap 1\.0e-2, 0\.20 % of \|f\(x\) − f\(baseline\)\|\./);
  const image = explanationCaptionText('integrated-gradients', { shape: [129, 113, 3], delta: 0.01 });
  assert.match(image, /Baseline: zeros \(mid-grey for a spectrogram image: \|level\| 127\.5 dB;/);
  assert.doesNotMatch(image, /0 dB for a spectrum/);
  assert.doesNotMatch(explanationCaptionText('saliency', { shape: [129, 1] }), /Baseline/);
  // The SHAP methods with baselines from the data: the background set, not zeros.
  const shap = explanationCaptionText('deeplift-shap', { shape: [129, 1], delta: 1e-6, relativeGap: 1e-7 });
  assert.match(shap, /Baselines: the inputs of the background set \(f\(baseline\): the mean score over them\)\./);
  assert.doesNotMatch(shap, /zeros/);
});

test('the players: the report captions of each part', async () => {
  const { audioPartCaption } = await import('../../src/index.js');
  assert.equal(
    audioPartCaption('used', { file: 'a.used.wav', predicted: 2, predictedName: 'Ae_aegypti', probability: 0.91 }),
    'What the model used: classified as Ae_aegypti (p = 0.910)',
  );
  assert.equal(
    audioPartCaption('ignored', { file: 'a.ignored.wav', predicted: null, probability: null }),
    'What it ignored: classified as nothing (silent)',
  );
});
