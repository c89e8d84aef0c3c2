import * as tf from '@tensorflow/tfjs';
import { setupBackend } from '../../src/execution/backend.js';
import { loadModelFile } from '../../src/node/load-model-file.js';
import { targetGradients } from '../../src/attribution/target-gradients.js';
import { OnnxGradientSession } from '../../src/node/onnx/onnx-gradient-session.js';
await setupBackend({ backend: 'wasm' });
function relErr(a: Float32Array, b: Float32Array) { let m = 0, s = 0; for (let i = 0; i < a.length; i++) { m = Math.max(m, Math.abs(a[i] - b[i])); s = Math.max(s, Math.abs(b[i])); } return { maxAbs: m, maxRef: s, rel: m / s }; }
for (const [f, shape] of [['Potatamis_Sequential/PSD/Mosquito_CNN_PSD.h5', [8, 129, 1]], ['Potatamis/spectro/SimpleCls/SimpleCls_spectro_frozen.h5', [4, 129, 113, 3]], ['Keogh/Keogh_9/spectro/SimpleCls/SimpleCls_spectro_9.h5', [4,129,33,3]]] as const) {
  const m = await loadModelFile('/work/shared/models/' + f);
  const x = tf.randomNormal([...shape], 0, 1, 'float32', 3);
  const out = m.run(x, { scores: 'logits', outputIndex: 0 }) as tf.Tensor;
  const targets = Array.from((tf.argMax(out, 1).dataSync()));
  const g = targetGradients(m, x, targets, { outputIndex: 0, scores: 'logits', batchSize: 64 });
  const s = await OnnxGradientSession.create(m, { threads: 1 });
  const r = await s.gradients(x.dataSync() as Float32Array, targets);
  const fwd = await s.scores(x.dataSync() as Float32Array);
  console.log(f, 'scores', relErr(r.scores, out.dataSync() as Float32Array), 'fwd', relErr(fwd, out.dataSync() as Float32Array), 'grad', relErr(r.gradient, g.dataSync() as Float32Array));
  await s.release();
}
