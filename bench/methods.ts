/** Benchmarks of Grad-CAM, guided Grad-CAM, occlusion, DeepLIFT, LRP and the sanity check (one row per method). */
import * as tf from '@tensorflow/tfjs';
import { existsSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { gradients } from '../src/attribution/gradients.js';
import { gradCam } from '../src/attribution/grad-cam.js';
import { guidedGradCam } from '../src/attribution/guided-grad-cam.js';
import { occlusion } from '../src/attribution/occlusion.js';
import { deeplift } from '../src/attribution/deeplift.js';
import { lrp } from '../src/attribution/lrp.js';
import { disposeAttribution, type AttributionResult } from '../src/attribution/types.js';
import { sanityCheck } from '../src/evaluation/sanity-check.js';
import { ExplainableModel } from '../src/execution/explainable-model.js';
import { loadModelFile } from '../src/node/load-model-file.js';
import { medianMs, psdLikeModel } from './attribution.js';

type Run = (model: ExplainableModel, x: tf.Tensor) => Promise<AttributionResult>;

const METHODS: [string, Run][] = [
  ['gradients', (m, x) => gradients(m, x)],
  ['gradCam', (m, x) => gradCam(m, x)],
  ['guidedGradCam', (m, x) => guidedGradCam(m, x)],
  ['deeplift', (m, x) => deeplift(m, x)],
  ['lrpEpsilon', (m, x) => lrp(m, x)],
  ['lrpAlphaBeta', (m, x) => lrp(m, x, { rule: 'alpha-beta' })],
  ['lrpEpsilonFoldedBatchNorm', (m, x) => lrp(m, x, { foldBatchNorm: true })],
];

async function rows(
  model: ExplainableModel,
  x: tf.Tensor,
  repeats: number,
  occlusionWindow: number,
): Promise<Record<string, unknown>> {
  const out: Record<string, number> = {};
  for (const [name, run] of METHODS)
    out[`${name}Ms`] = await medianMs(async () => disposeAttribution(await run(model, x)), repeats);
  out.occlusionMs = await medianMs(
    async () => disposeAttribution(await occlusion(model, x, { window: occlusionWindow, stride: occlusionWindow })),
    Math.max(1, Math.floor(repeats / 3)),
  );
  const ratios: Record<string, number> = {};
  for (const [key, value] of Object.entries(out))
    if (key !== 'gradientsMs') ratios[key.replace(/Ms$/, 'OverGradients')] = value / out.gradientsMs;
  return { ...out, occlusionWindow, ratios };
}

/** One example through each method on the PSD-like CNN (random weights) and, when ../shared exists, the real SimpleCls models. */
export async function benchMethods(): Promise<Record<string, unknown>> {
  const model = ExplainableModel.from(psdLikeModel());
  const x = tf.randomNormal([1, 129, 1], -80, 20, 'float32', 1);
  const result: Record<string, unknown> = {
    model: 'PSD-like 1-D CNN, 129×1 input, random weights',
    backend: tf.getBackend(),
    ...(await rows(model, x, 7, 8)),
  };
  result.sanityCheck3MethodsMs = await medianMs(
    async () =>
      void (await sanityCheck(model, x, {
        methods: ['gradients', 'guided-backprop', 'integrated-gradients'],
        methodOptions: { steps: 16 },
      })),
    1,
  );
  x.dispose();
  model.dispose();
  const shared = fileURLToPath(new URL('../../shared/models/', import.meta.url));
  if (!existsSync(shared)) return { ...result, realModels: { skipped: `../shared is absent (${shared})` } };
  const real: Record<string, unknown> = {};
  for (const [name, file, shape, repeats, window] of [
    ['potamitisPsdSimpleCls', 'Potatamis/psd/SimpleCls/SimpleCls_psd_frozen.h5', [1, 129, 1], 5, 8],
    [
      'potamitisSpectrogramSimpleCls',
      'Potatamis/spectro/SimpleCls/SimpleCls_spectro_frozen.h5',
      [1, 129, 113, 3],
      1,
      16,
    ],
  ] as const) {
    const loaded = await loadModelFile(shared + file);
    const input = tf.randomNormal([...shape], -1, 0.3, 'float32', 5);
    real[name] = await rows(loaded, input, repeats, window);
    input.dispose();
    loaded.dispose();
  }
  return { ...result, realModels: real };
}
