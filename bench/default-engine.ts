/**
 * `npm run bench -- default-engine`: the default path a user gets (no engine option: `'auto'`, ONNX Runtime where the
 * model lowers) against `engine: 'tfjs'`, interleaved round by round on the Potamitis PSD and spectrogram CNNs;
 * medians, the ratio default ÷ tfjs, the engine each result names, and the machine's load.
 */
import * as tf from '@tensorflow/tfjs';
import { existsSync } from 'node:fs';
import { loadavg } from 'node:os';
import { fileURLToPath } from 'node:url';
import {
  disposeAttribution,
  guidedBackprop,
  integratedGradients,
  deeplift,
  gradCam,
  lrp,
  saliency,
  smoothGrad,
  type AttributionResult,
} from '../src/node-main.js';
import { loadModelFile } from '../src/node/load-model-file.js';

const SHARED = fileURLToPath(new URL('../../shared/models/', import.meta.url));
const ROUNDS = Number(process.env.DEFAULT_ENGINE_ROUNDS ?? 5);
/** Only the cases whose name matches this regular expression (default: all). */
const CASES = new RegExp(process.env.DEFAULT_ENGINE_CASES ?? '');

type Call = (options: Record<string, unknown>) => Promise<AttributionResult>;

/** Times one call (ms) and returns the engine its result names. */
async function timed(call: Call, options: Record<string, unknown>): Promise<{ ms: number; engine: string }> {
  const started = performance.now();
  const result = await call(options);
  const ms = performance.now() - started;
  const engine = result.engine;
  disposeAttribution(result);
  return { ms, engine };
}

const median = (values: number[]): number => [...values].sort((a, b) => a - b)[Math.floor(values.length / 2)];

/** Each case: default (auto) and tfjs, interleaved, after one warm-up call of each. */
export async function benchDefaultEngine(): Promise<unknown> {
  const psdFile = `${SHARED}Potatamis_Sequential/PSD/Mosquito_CNN_PSD.h5`;
  const spectroFile = `${SHARED}Potatamis/spectro/SimpleCls/SimpleCls_spectro_frozen.h5`;
  if (!existsSync(psdFile) || !existsSync(spectroFile)) return { skipped: '../shared/models is absent' };
  const psd = await loadModelFile(psdFile);
  const spectro = await loadModelFile(spectroFile);
  const psdX = tf.tidy(() => tf.add(tf.mul(tf.randomNormal([8, 129, 1], 0, 1, 'float32', 5), 15), -60));
  const specX = tf.randomUniform([1, ...(spectro.inputShape as number[])], -1, -0.6, 'float32', 6);
  const specX32 = tf.tile(specX, [32, 1, 1, 1]);
  const specX2 = tf.tidy(() => tf.concat([specX, tf.reverse(specX, 1)], 0));
  const cases: [string, Call][] = [
    ['IG-50, PSD CNN, 8 inputs', (o) => integratedGradients(psd, psdX, { steps: 50, ...o })],
    ['IG-50, spectrogram CNN, 1 input', (o) => integratedGradients(spectro, specX, { steps: 50, ...o })],
    ['saliency, spectrogram CNN, 32 inputs', (o) => saliency(spectro, specX32, o)],
    ['guided backprop, PSD CNN, 8 inputs', (o) => guidedBackprop(psd, psdX, o)],
    ['SmoothGrad ×10, PSD CNN, 8 inputs', (o) => smoothGrad(saliency)(psd, psdX, { noiseSamples: 10, ...o })],
    ['LRP-ε, PSD CNN, 8 inputs', (o) => lrp(psd, psdX, o)],
    ['LRP-ε, spectrogram CNN, 1 input', (o) => lrp(spectro, specX, o)],
    ['DeepLIFT, PSD CNN, 8 inputs', (o) => deeplift(psd, psdX, o)],
    ['DeepLIFT, spectrogram CNN, 1 input', (o) => deeplift(spectro, specX, o)],
    ['Grad-CAM, PSD CNN, 8 inputs', (o) => gradCam(psd, psdX, o)],
    ['Grad-CAM, spectrogram CNN, 1 input', (o) => gradCam(spectro, specX, o)],
    ['Grad-CAM, spectrogram CNN, 2 inputs', (o) => gradCam(spectro, specX2, o)],
  ];
  const load = { before: loadavg()[0] };
  const rows = [];
  for (const [name, call] of cases.filter(([name]) => CASES.test(name))) {
    await timed(call, {});
    await timed(call, { engine: 'tfjs' });
    const auto: number[] = [];
    const tfjs: number[] = [];
    let engines = { auto: '', tfjs: '' };
    for (let round = 0; round < ROUNDS; round++) {
      const order = round % 2 === 0 ? (['auto', 'tfjs'] as const) : (['tfjs', 'auto'] as const);
      for (const side of order) {
        const { ms, engine } = await timed(call, side === 'auto' ? {} : { engine: 'tfjs' });
        (side === 'auto' ? auto : tfjs).push(ms);
        engines = { ...engines, [side]: engine };
      }
    }
    const row = {
      case: name,
      defaultMs: +median(auto).toFixed(1),
      tfjsMs: +median(tfjs).toFixed(1),
      ratio: +(median(auto) / median(tfjs)).toFixed(2),
      engines,
    };
    console.error(`bench default-engine: ${JSON.stringify(row)}`);
    rows.push(row);
  }
  tf.dispose([psdX, specX, specX32, specX2]);
  psd.dispose();
  spectro.dispose();
  return { rounds: ROUNDS, load: { ...load, after: loadavg()[0] }, rows };
}
