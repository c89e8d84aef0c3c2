/**
 * The check of the onnx-wild-models*.test.ts files: a real-world Keras model of ../shared/models/wild or wild2 that the
 * library loads compiles for ONNX Runtime and gives the TensorFlow.js path's scores and input gradients to float32
 * rounding (plain and guided). The models are split over two test files so that the runner runs them side by side.
 */
import * as tf from '@tensorflow/tfjs';
import assert from 'node:assert/strict';
import { resolve } from 'node:path';
import { loadModel } from '../../src/models/load-model.js';
import { targetGradients } from '../../src/attribution/target-gradients.js';
import { guidedRelu } from '../../src/rules/guided-relu.js';
import { OnnxGradientSession } from '../../src/node/onnx/node-onnx-sessions.js';
import { setupBackend } from '../../src/execution/backend.js';
import { assertClose, sharedDir } from '../helpers.js';

/**
 * The TensorFlow.js backend of the reference: tfjs-cpu for 02_sankalp_speech (3×3 stride-2 pools after batch norms)
 * and the two nonbang ECG models, whose overlapping pools meet tfjs-backend-wasm's own MaxPoolGrad, which drops the
 * gradient of windows whose maximum is ≤ 0 (docs/performance.md; sankalp's wasm gradient is all zeros on these inputs;
 * on tfjs-cpu all three agree with ONNX); wasm for the others.
 */
const backendOf = (file: string): 'cpu' | 'wasm' => (/sankalp|nonbang/.test(file) ? 'cpu' : 'wasm');

/**
 * Every model of wild and wild2 that the library loads (the others hold a Lambda, MultiHeadAttention or a folder): the
 * convolutional ones (onnx-wild-models.test.ts), the small recurrent and attention ones and the bidirectional LSTM (63
 * steps of two stacked bidirectional LSTMs: unrolled, ONNX Runtime took about 100 s of CPU to open each graph; as Scans,
 * a fraction of a second, and the TensorFlow.js reference takes most of the time), onnx-wild-models-recurrent.test.ts.
 */
export const WILD_MODELS = {
  convolutional: [
    'wild/02_sankalp_speech.h5',
    'wild/06_lorenzo_sound.h5',
    'wild/09_ksur_ecg_resnet.h5',
    'wild/11_nonbang_ecg.h5',
    'wild/12_nonbang_ecg.keras',
    'wild/15_whale_call.keras',
    'wild2/05_cat2people_rescaling.keras',
  ],
  recurrent: ['wild/08_dysarthria_gru.h5', 'wild2/08_allaudin_ecg_transformer.keras', 'wild2/12_cdt406_emg_lstm.keras'],
  bidirectionalLstm: 'wild2/02_hvl_bilstm.keras',
};

/** The test name of {@link agreesWithTensorFlow} for `file` and `propagation`. */
export const agreementTitle = (file: string, propagation: Propagation = 'plain and guided'): string =>
  `${file}: compiles; scores and gradients (${propagation}) equal the TensorFlow.js path`;

/** Which graphs {@link agreesWithTensorFlow} compiles and checks: plain gradients, guided backprop, or both. */
export type Propagation = 'plain' | 'guided' | 'plain and guided';

/**
 * Loads `file` (a path under ../shared/models), compiles it for ONNX Runtime (plain, guided or both), and asserts that
 * the scores and input gradients of two random inputs equal the TensorFlow.js path's to float32 rounding.
 */
export async function agreesWithTensorFlow(file: string, propagation: Propagation = 'plain and guided'): Promise<void> {
  assert.equal(await setupBackend({ backend: backendOf(file) }), backendOf(file));
  const model = await loadModel(resolve(sharedDir, 'models', file));
  const x = tf.randomNormal([2, ...(model.inputShape as number[])], 0, 1, 'float32', 7);
  try {
    for (const guided of { plain: [false], guided: [true], 'plain and guided': [false, true] }[propagation]) {
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
        const scale = (values: ArrayLike<number>) => Array.from(values).reduce((m, v) => Math.max(m, Math.abs(v)), 0);
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
}
