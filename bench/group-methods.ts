/**
 * Benchmarks of the group methods: coalitions (forward rows) per second of feature ablation, exact Shapley values,
 * Shapley value sampling, KernelSHAP and LIME over 8 bands of the PSD models and 8 tiles of the spectrogram model,
 * and the cost of exact Shapley values against the number of groups G (2^G − 1 rows per example).
 */
import * as tf from '@tensorflow/tfjs';
import { existsSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { featureAblation } from '../src/attribution/feature-ablation.js';
import { shapley } from '../src/attribution/shapley.js';
import { shapleySampling } from '../src/attribution/shapley-sampling.js';
import { kernelShap } from '../src/attribution/kernel-shap.js';
import { lime } from '../src/attribution/lime.js';
import { disposeAttribution, type AttributionResult } from '../src/attribution/types.js';
import { ExplainableModel } from '../src/execution/explainable-model.js';
import { loadModelFile } from '../src/node/load-model-file.js';
import { medianMs, psdLikeModel } from './attribution.js';

type Run = (model: ExplainableModel, x: tf.Tensor, groups: string) => Promise<AttributionResult>;

/** Each method with the rows it evaluates per example for G groups. */
const METHODS: [string, Run, (g: number) => number][] = [
  ['featureAblation', (m, x, groups) => featureAblation(m, x, { groups }), (g) => g],
  ['shapley', (m, x, groups) => shapley(m, x, { groups }), (g) => 2 ** g - 1],
  [
    'shapleySampling64',
    (m, x, groups) => shapleySampling(m, x, { groups, permutations: 64, seed: 1 }),
    (g) => 1 + 64 * (g - 1),
  ],
  ['kernelShap128', (m, x, groups) => kernelShap(m, x, { groups, coalitions: 128, seed: 1 }), () => 129],
  ['lime128', (m, x, groups) => lime(m, x, { groups, coalitions: 128, seed: 1 }), () => 128],
];

async function methodRows(
  model: ExplainableModel,
  x: tf.Tensor,
  groups: string,
  g: number,
  repeats: number,
): Promise<Record<string, unknown>> {
  const out: Record<string, unknown> = { groups };
  for (const [name, run, rows] of METHODS) {
    const ms = await medianMs(async () => disposeAttribution(await run(model, x, groups)), repeats);
    out[name] = { ms, rows: rows(g), coalitionsPerSecond: Math.round((1000 * rows(g)) / ms) };
  }
  return out;
}

/** The group methods on the PSD-like CNN (random weights) and, with ../shared, the Potamitis PSD and spectrogram models. */
export async function benchGroupMethods(): Promise<Record<string, unknown>> {
  const model = ExplainableModel.from(psdLikeModel());
  const x = tf.randomNormal([1, 129, 1], -80, 20, 'float32', 1);
  const result: Record<string, unknown> = {
    model: 'PSD-like 1-D CNN, 129×1 input, random weights',
    backend: tf.getBackend(),
    bands8: await methodRows(model, x, 'bands:8', 8, 3),
  };
  const cost: Record<string, unknown> = {};
  for (const g of [4, 6, 8, 10, 12]) {
    const ms = await medianMs(async () => disposeAttribution(await shapley(model, x, { groups: `bands:${g}` })), 1);
    cost[`G${g}`] = { ms, rows: 2 ** g - 1, coalitionsPerSecond: Math.round((1000 * (2 ** g - 1)) / ms) };
  }
  result.shapleyCostAgainstGroups = cost;
  x.dispose();
  model.dispose();
  const shared = fileURLToPath(new URL('../../shared/models/', import.meta.url));
  if (!existsSync(shared)) return { ...result, realModels: { skipped: `../shared is absent (${shared})` } };
  const real: Record<string, unknown> = {};
  for (const [name, file, shape, groups, g] of [
    ['potamitisPsdSequential', 'Potatamis_Sequential/PSD/Mosquito_CNN_PSD.h5', [1, 129, 1], 'bands:8', 8],
    [
      'potamitisSpectrogramSimpleCls',
      'Potatamis/spectro/SimpleCls/SimpleCls_spectro_frozen.h5',
      [1, 129, 113, 3],
      'tiles:4x2',
      8,
    ],
  ] as const) {
    const loaded = await loadModelFile(shared + file);
    const input = tf.randomNormal(
      [...shape],
      shape.length === 3 ? -80 : -0.9,
      shape.length === 3 ? 20 : 0.1,
      'float32',
      2,
    );
    real[name] = await methodRows(loaded, input, groups, g, 1);
    input.dispose();
    loaded.dispose();
  }
  return { ...result, realModels: real };
}
