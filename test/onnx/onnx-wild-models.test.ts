/**
 * The real-world Keras models of ../shared/models/wild and wild2 that the library loads: those the ONNX lowering
 * (every one) compile and give the TensorFlow.js path's scores and input gradients to float32 rounding (plain and
 * guided).
 */
import * as tf from '@tensorflow/tfjs';
import assert from 'node:assert/strict';
import { resolve } from 'node:path';
import { after, describe, test } from 'node:test';
import { loadModel } from '../../src/models/load-model.js';
import { targetGradients } from '../../src/attribution/target-gradients.js';
import { guidedRelu } from '../../src/rules/guided-relu.js';
import { OnnxGradientSession } from '../../src/node/onnx/node-onnx-sessions.js';
import { setupBackend } from '../../src/execution/backend.js';
import { assertClose, sharedDir, skipWithoutShared } from '../helpers.js';

/**
 * The TensorFlow.js backend of the reference: tfjs-cpu for 02_sankalp_speech (3×3 stride-2 pools after batch norms)
 * and the two nonbang ECG models, whose overlapping pools meet tfjs-backend-wasm's own MaxPoolGrad, which drops the
 * gradient of windows whose maximum is ≤ 0 (docs/performance.md; sankalp's wasm gradient is all zeros on these inputs;
 * on tfjs-cpu all three agree with ONNX); wasm for the others.
 */
const backendOf = (file: string): 'cpu' | 'wasm' => (/sankalp|nonbang/.test(file) ? 'cpu' : 'wasm');

after(() => setupBackend({ backend: 'wasm' }));

/** Every model of wild and wild2 that the library loads (the others hold a Lambda, MultiHeadAttention or a folder). */
const NATIVE = [
  'wild/02_sankalp_speech.h5',
  'wild/06_lorenzo_sound.h5',
  'wild/08_dysarthria_gru.h5',
  'wild/09_ksur_ecg_resnet.h5',
  'wild/11_nonbang_ecg.h5',
  'wild/12_nonbang_ecg.keras',
  'wild/15_whale_call.keras',
  'wild2/02_hvl_bilstm.keras',
  'wild2/05_cat2people_rescaling.keras',
  'wild2/08_allaudin_ecg_transformer.keras',
  'wild2/12_cdt406_emg_lstm.keras',
];

describe('real-world models of ../shared on ONNX Runtime', { skip: skipWithoutShared }, () => {
  for (const file of NATIVE)
    test(`${file}: compiles; scores and gradients (plain and guided) equal the TensorFlow.js path`, async () => {
      assert.equal(await setupBackend({ backend: backendOf(file) }), backendOf(file));
      const model = await loadModel(resolve(sharedDir, 'models', file));
      const x = tf.randomNormal([2, ...(model.inputShape as number[])], 0, 1, 'float32', 7);
      try {
        for (const guided of [false, true]) {
          const execution = guided ? { rules: [guidedRelu] } : {};
          const expected = tf.tidy(() => {
            const out = model.run(x, { outputIndex: 0, scores: 'logits' });
            const targets = Array.from(tf.argMax(out, 1).dataSync());
            const gradient = targetGradients(model, x, targets, {
              outputIndex: 0,
              scores: 'logits',
              batchSize: 64,
              execution,
            });
            return { scores: out.dataSync(), gradient: gradient.dataSync(), targets };
          });
          const session = await OnnxGradientSession.create(model, { guided });
          try {
            const got = await session.gradients(x.dataSync() as Float32Array, expected.targets);
            const scale = (values: ArrayLike<number>) =>
              Array.from(values).reduce((m, v) => Math.max(m, Math.abs(v)), 0);
            assertClose(
              got.scores,
              expected.scores,
              2e-6 * scale(expected.scores),
              1e-5,
              `${file} scores${guided ? ' (guided)' : ''}`,
            );
            assertClose(
              got.gradient,
              expected.gradient,
              2e-6 * scale(expected.gradient),
              1e-5,
              `${file} gradient${guided ? ' (guided)' : ''}`,
            );
          } finally {
            await session.release();
          }
        }
      } finally {
        x.dispose();
        model.dispose();
      }
    });
});
