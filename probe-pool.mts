import { setupBackend } from './src/execution/backend.js';
import { loadModel } from './src/models/load-model.js';
import { OnnxGradientSession } from './src/node/onnx/onnx-gradient-session.js';
await setupBackend();
const m = await loadModel('/work/shared/models/Potatamis_Sequential/PSD/Mosquito_CNN_PSD.h5');
const here = await OnnxGradientSession.create(m, { threads: 1 });
const pooled = await OnnxGradientSession.create(m, { threads: 2 });
await pooled.startSessionPool();
for (const rows of [8, 16, 51]) {
  const x = Float32Array.from({ length: rows * 129 }, (_, i) => Math.sin(i) * 10 - 50);
  const t = Array.from({ length: rows }, (_, r) => r % 6);
  const time = async (f: () => Promise<unknown>) => { const a = performance.now(); for (let i = 0; i < 40; i++) await f(); return ((performance.now() - a) / 40).toFixed(2); };
  for (let k = 0; k < 2; k++) {
    const a = await time(() => here.gradients(x, t));
    const b = await time(() => pooled.gradients(x, t));
    const c = await time(() => Promise.all([pooled.gradients(x, t), pooled.gradients(x, t)]));
    console.log(rows, 'rows: here', a, 'pool seq', b, 'pool 2 concurrent (per pair)', c);
  }
}
await here.release(); await pooled.release();
