/**
 * Grad-CAM, occlusion, DeepLIFT and LRP against independent float64 PyTorch numbers (Captum's definitions, written
 * out in scripts/reference/attribution_reference.py, run with Debian's torch 1.13; numbers in
 * test/fixtures/attribution-reference.json). Tiny seeded networks always; the Potamitis PSD and spectrogram models
 * when ../shared is present. Tolerances: float32 rounding, relative to the largest reference value.
 * Exact Shapley values and feature ablation over groups against independent float64 PyTorch numbers (the definitions
 * of Captum's ShapleyValues / FeatureAblation with a feature_mask, written out in
 * scripts/reference/group_attribution_reference.py; numbers in test/fixtures/group-attribution-reference.json): the
 * tiny seeded networks always; the Potamitis PSD model over 8 bands with a zero (0 dB) and the data-mean (−95.0 dB)
 * baseline when ../shared is present, where the sampled methods are also checked statistically against the exact
 * values (within 4 standard errors).
 */
import { before, describe, test, after } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { resolve } from 'node:path';
import * as tf from '@tensorflow/tfjs';
import { gradCam } from '../../src/attribution/grad-cam.js';
import { occlusion } from '../../src/attribution/occlusion.js';
import { deeplift } from '../../src/attribution/deeplift.js';
import { lrp } from '../../src/attribution/lrp.js';
import { disposeAttribution, type AttributionResult } from '../../src/attribution/types.js';
import { loadModel } from '../../src/models/load-model.js';
import type { ExplainableModel, ModelInput } from '../../src/execution/explainable-model.js';
import { flat, sharedDir, skipWithoutShared, useWasm, repoRoot } from '../helpers.js';
import { ReferenceEntry, maxAbs, reference, tinyReferenceModel } from './reference-models.js';
import { shapley } from '../../src/attribution/shapley.js';
import { featureAblation } from '../../src/attribution/feature-ablation.js';
import { shapleySampling } from '../../src/attribution/shapley-sampling.js';
import { kernelShap } from '../../src/attribution/kernel-shap.js';
import type { GroupMethodOptions } from '../../src/attribution/group-method.js';

before(useWasm);

/**
 * Asserts |got − expected| ≤ max(tolerance · max(1, max|expected|), 3 · float32Deviation) everywhere, where
 * `float32Deviation` is how far PyTorch's own float32 run of the same method lies from its float64 reference (recorded
 * by the script): where a method is ill-conditioned at float32 precision, no float32 implementation can do better.
 */
function assertMatches(
  got: ArrayLike<number>,
  expected: number[],
  tolerance: number,
  what: string,
  float32Deviation = 0,
): void {
  assert.equal(got.length, expected.length, `${what}: length`);
  const bound = Math.max(tolerance * Math.max(1, maxAbs(expected)), 3 * float32Deviation);
  let worst = 0;
  for (let i = 0; i < expected.length; i++) worst = Math.max(worst, Math.abs(got[i] - expected[i]));
  assert.ok(worst <= bound, `${what}: largest difference ${worst.toExponential(2)} > ${bound.toExponential(2)}`);
}

/** Values of `result.attributions` at the reference's sampled flat indices (all of them without a sample). */
function picked(t: tf.Tensor, sample?: number[]): number[] {
  const values = Array.from(t.dataSync());
  return sample === undefined ? values : sample.map((i) => values[i]);
}

/** Position values of per-position references (Grad-CAM, occlusion): the first channel of each position. */
function perPosition(t: tf.Tensor): number[] {
  const values = t.dataSync();
  const channels = t.rank <= 2 ? 1 : t.shape[t.rank - 1];
  return Array.from({ length: values.length / channels }, (_, i) => values[i * channels]);
}

async function checkAll(
  model: tf.LayersModel | ExplainableModel,
  x: tf.Tensor,
  entry: ReferenceEntry,
  tolerance: number,
  skipOcclusion = false,
): Promise<void> {
  const target = entry.targets;
  const run = async (
    label: string,
    result: Promise<AttributionResult>,
    check: (r: AttributionResult) => void,
  ): Promise<void> => {
    const r = await result;
    try {
      check(r);
    } finally {
      disposeAttribution(r);
    }
    void label;
  };
  for (const g of entry.gradCam) {
    await run('grad-cam', gradCam(model, x, { target, layer: g.layer }), (r) => {
      assertMatches(
        flat(r.layerMap as tf.Tensor),
        flat(g.layerMap as number[]),
        tolerance,
        `grad-cam ${g.layer} layerMap`,
      );
      const positions = perPosition(r.attributions);
      const expected = flat(g.attributions as number[]);
      const sample = entry.sample?.map((i) => Math.floor(i / x.shape[x.rank - 1]));
      assertMatches(
        sample === undefined ? positions : sample.map((i) => positions[i]),
        expected,
        tolerance,
        `grad-cam ${g.layer} attributions`,
      );
    });
  }
  if (!skipOcclusion) {
    for (const o of entry.occlusion) {
      await run('occlusion', occlusion(model, x, { target, window: o.window, stride: o.stride }), (r) => {
        assertMatches(
          perPosition(r.attributions),
          flat(o.attributions as number[]),
          tolerance,
          `occlusion ${o.window}`,
        );
      });
    }
  }
  for (const d of entry.deeplift) {
    const baseline =
      d.baseline === 'zeros' ? 0 : d.baseline === 'random' ? (entry.baseline as number[]) : Number(d.baseline);
    await run('deeplift', deeplift(model, x, { target, baseline: baseline as number }), (r) => {
      assertMatches(
        picked(r.attributions, entry.sample),
        flat(d.attributions as number[]),
        tolerance,
        `deeplift (${d.baseline})`,
        d.float32Deviation,
      );
      (r.delta as number[]).forEach((gap, i) =>
        assert.ok(Math.abs(gap) <= tolerance * Math.max(1, Math.abs(d.sums[i])), `deeplift delta ${gap}`),
      );
    });
  }
  for (const l of entry.lrp) {
    await run(
      'lrp',
      lrp(model, x, {
        target,
        rule: l.rule,
        epsilon: l.epsilon,
        gamma: l.gamma,
        alpha: l.alpha,
        beta: l.beta,
        foldBatchNorm: l.foldBatchNorm ?? false,
      }),
      (r) => {
        const what = `lrp ${l.rule} ε=${l.epsilon}${l.foldBatchNorm === true ? ' folded' : ''}`;
        assertMatches(
          picked(r.attributions, entry.sample),
          flat(l.attributions as number[]),
          tolerance,
          what,
          l.float32Deviation,
        );
        const sums = tf.tidy(() => Array.from(tf.sum(tf.reshape(r.attributions, [x.shape[0], -1]), 1).dataSync()));
        assertMatches(
          sums,
          l.sums,
          tolerance * 10,
          `${what} sums`,
          l.float32Deviation * Math.sqrt(x.size / x.shape[0]),
        );
      },
    );
  }
}

for (const name of ['tiny1d', 'tiny2d'] as const) {
  test(`${name}: Grad-CAM, occlusion, DeepLIFT and every LRP rule equal the float64 PyTorch reference`, async () => {
    const model = tinyReferenceModel(name);
    const entry = reference.models[name];
    const x = tf.tensor(entry.inputs as number[][]);
    await checkAll(model, x, entry, 2e-6);
    x.dispose();
    model.dispose();
  });
}

describe('real models of ../shared against the PyTorch reference', { skip: skipWithoutShared }, () => {
  test('Potamitis PSD model (Mosquito_CNN_PSD): Grad-CAM, occlusion, DeepLIFT, LRP', async () => {
    const entry = reference.models['potamitis-psd'];
    const model = await loadModel(resolve(sharedDir, 'models/Potatamis_Sequential/PSD/Mosquito_CNN_PSD.h5'));
    const x = tf.tensor(entry.inputs as unknown as number[][][]);
    await checkAll(model, x, entry, 2e-5);
    x.dispose();
    model.dispose();
  });

  test('Potamitis spectrogram model (SimpleCls): Grad-CAM, DeepLIFT, LRP on 300 sampled cells and the sums', async () => {
    const entry = reference.models['potamitis-spectrogram'];
    const model = await loadModel(resolve(sharedDir, 'models/Potatamis/spectro/SimpleCls/SimpleCls_spectro_frozen.h5'));
    const channel = (
      JSON.parse(readFileSync(resolve(sharedDir, 'reference/spectrogram/b_wingbeat_8k.json'), 'utf8')) as {
        model_input_channel: number[][];
      }
    ).model_input_channel;
    const x = tf.tidy(() =>
      tf.tile(tf.tensor(Float32Array.from(channel.flat()), [1, channel.length, channel[0].length, 1]), [1, 1, 1, 3]),
    );
    // γ on this model divides by near-zero sums (PyTorch float32 vs float64 differ by 1.5e3 on values up to 6.8e4): skipped.
    await checkAll(model, x, { ...entry, lrp: entry.lrp.filter((l) => l.rule !== 'gamma') }, 2e-5, true);
    x.dispose();
    model.dispose();
  });
});

interface GroupEntry {
  targets: number[];
  dataMean?: number;
  shapley: { baseline: string; groups: string; values: number[][]; gap: number[] }[];
  featureAblation: { baseline: string; groups: string | null; values: number[][] }[];
}

const groupReference = JSON.parse(
  readFileSync(resolve(repoRoot, 'test/fixtures/group-attribution-reference.json'), 'utf8'),
) as { models: Record<string, GroupEntry> };

async function values(promise: Promise<AttributionResult>): Promise<AttributionResult['groupAttributions'] & {}> {
  const result = await promise;
  try {
    return result.groupAttributions ?? [];
  } finally {
    disposeAttribution(result);
  }
}

function assertGroupsMatch(got: number[][], expected: number[][], tolerance: number, what: string): void {
  const bound = tolerance * Math.max(1, maxAbs(expected.flat()));
  const worst = Math.max(...got.flat().map((v, i) => Math.abs(v - expected.flat()[i])));
  assert.equal(got.flat().length, expected.flat().length, `${what}: length`);
  assert.ok(worst <= bound, `${what}: largest difference ${worst.toExponential(2)} > ${bound.toExponential(2)}`);
}

async function checkExact(
  model: ModelInput,
  x: tf.Tensor,
  entry: GroupEntry,
  baselines: Record<string, GroupMethodOptions['baseline']>,
  tolerance: number,
): Promise<void> {
  const target = entry.targets;
  for (const s of entry.shapley) {
    const options = { target, groups: s.groups, baseline: baselines[s.baseline] };
    assertGroupsMatch(
      await values(shapley(model, x, options)),
      s.values,
      tolerance,
      `shapley ${s.groups} ${s.baseline}`,
    );
  }
  for (const a of entry.featureAblation) {
    const options = { target, baseline: baselines[a.baseline], ...(a.groups === null ? {} : { groups: a.groups }) };
    const what = `feature-ablation ${a.groups ?? 'positions'} ${a.baseline}`;
    assertGroupsMatch(await values(featureAblation(model, x, options)), a.values, tolerance, what);
  }
}

describe('group methods against the float64 PyTorch reference', () => {
  for (const name of ['tiny1d', 'tiny2d'] as const) {
    test(`${name}: exact Shapley values and feature ablation (zero and random baselines)`, async () => {
      const model = tinyReferenceModel(name);
      const x = tf.tensor(reference.models[name].inputs as number[][]);
      const baselines = { zeros: 0, random: reference.models[name].baseline as number[][] };
      await checkExact(model, x, groupReference.models[name], baselines, 2e-6);
      x.dispose();
      model.dispose();
    });
  }
});

describe('Potamitis PSD model of ../shared against the PyTorch reference', { skip: skipWithoutShared }, () => {
  // One load of the model for both tests.
  let model: ExplainableModel;
  before(async () => {
    model = await loadModel(resolve(sharedDir, 'models/Potatamis_Sequential/PSD/Mosquito_CNN_PSD.h5'));
  });
  after(() => model?.dispose());

  test('exact Shapley values over 8 bands (0 dB and data-mean baselines) and feature ablation', async () => {
    const entry = groupReference.models['potamitis-psd'];
    const x = tf.tensor(reference.models['potamitis-psd'].inputs as unknown as number[][][]);
    await checkExact(model, x, entry, { zeros: 0, 'data-mean': entry.dataMean }, 2e-5);
    x.dispose();
  });

  test('shapley-sampling and kernel-shap lie within 4 standard errors of the exact values (data-mean baseline)', async () => {
    const entry = groupReference.models['potamitis-psd'];
    const exact = entry.shapley.find((s) => s.baseline === 'data-mean') as GroupEntry['shapley'][number];
    const x = tf.tensor(reference.models['potamitis-psd'].inputs as unknown as number[][][]);
    const options = { target: entry.targets, groups: 'bands:8', baseline: entry.dataMean, seed: 21 };
    for (const [name, run] of [
      ['shapley-sampling', () => shapleySampling(model, x, { ...options, permutations: 100 })],
      ['kernel-shap', () => kernelShap(model, x, { ...options, coalitions: 100 })],
    ] as const) {
      const result = await run();
      try {
        const got = result.groupAttributions ?? [];
        const se = result.standardErrors ?? [];
        got.forEach((row, e) =>
          row.forEach((v, g) => {
            const z = Math.abs(v - exact.values[e][g]) / Math.max(se[e][g], 1e-9);
            assert.ok(z < 4, `${name} example ${e} band ${g}: |error| ${z.toFixed(1)} standard errors`);
          }),
        );
        result.delta?.forEach((d) => assert.ok(Math.abs(d) < 1e-3, `${name} efficiency gap ${d}`));
      } finally {
        disposeAttribution(result);
      }
    }
    x.dispose();
  });
});
