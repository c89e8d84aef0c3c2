/**
 * The real-world Keras models of ../shared/models/wild and wild2 that the library loads: those the ONNX lowering
 * covers compile and give the TensorFlow.js path's scores and input gradients to float32 rounding (plain and guided);
 * the others are refused in one line naming the layer (the recurrent layers, not lowered yet).
 */
import * as tf from '@tensorflow/tfjs';
import assert from 'node:assert/strict';
import { resolve } from 'node:path';
import { before, describe, test } from 'node:test';
import { loadModel } from '../../src/models/load-model.js';
import { targetGradients } from '../../src/attribution/target-gradients.js';
import { guidedRelu } from '../../src/rules/guided-relu.js';
import { OnnxGradientSession } from '../../src/node/onnx/onnx-gradient-session.js';
import { setupBackend } from '../../src/execution/backend.js';
import { assertClose, sharedDir, skipWithoutShared } from '../helpers.js';

// The TensorFlow.js reference runs on tfjs-cpu: tfjs-backend-wasm's own MaxPoolGrad, used for overlapping windows,
// drops the gradient of windows whose maximum is ≤ 0 (docs/performance.md), and 02_sankalp_speech pools 3×3 with
// stride 2 after batch norms (its wasm gradient is all zeros on these inputs; tfjs-cpu and ONNX agree).
before(async () => assert.equal(await setupBackend({ backend: 'cpu' }), 'cpu'));

/** Models that run natively. */
const NATIVE = [
  'wild/02_sankalp_speech.h5',
  'wild/06_lorenzo_sound.h5',
  'wild/09_ksur_ecg_resnet.h5',
  'wild/15_whale_call.keras',
  'wild2/05_cat2people_rescaling.keras',
];

/** Models that load but stay on TensorFlow.js, with the layer class that stops the lowering. */
const FALLBACK: [string, string][] = [
  ['wild/08_dysarthria_gru.h5', 'GRUResetAfter'],
  ['wild/11_nonbang_ecg.h5', 'LSTM'],
  ['wild/12_nonbang_ecg.keras', 'LSTM'],
  ['wild2/02_hvl_bilstm.keras', 'Bidirectional'],
  ['wild2/12_cdt406_emg_lstm.keras', 'LSTM'],
];

describe('real-world models of ../shared on ONNX Runtime', { skip: skipWithoutShared }, () => {
  for (const file of NATIVE)
    test(`${file}: compiles; scores and gradients (plain and guided) equal the TensorFlow.js path`, async () => {
      const model = await loadModel(resolve(sharedDir, 'models', file));
      const x = tf.randomNormal([3, ...(model.inputShape as number[])], 0, 1, 'float32', 7);
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

  for (const [file, className] of FALLBACK)
    test(`${file}: refused in one line naming its ${className} layer (TensorFlow.js explains it)`, async () => {
      const model = await loadModel(resolve(sharedDir, 'models', file));
      try {
        await assert.rejects(
          OnnxGradientSession.create(model),
          new RegExp(`^WingbeatsError: Layer '[^']+' \\(${className}\\) cannot be compiled to ONNX: [^\\n]+\\.$`),
        );
      } finally {
        model.dispose();
      }
    });
});
