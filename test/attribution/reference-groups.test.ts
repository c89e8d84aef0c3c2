/**
 * Exact Shapley values and feature ablation over groups against independent float64 PyTorch numbers (the definitions
 * of Captum's ShapleyValues / FeatureAblation with a feature_mask, written out in
 * scripts/reference/group_attribution_reference.py; numbers in test/fixtures/group-attribution-reference.json): the
 * tiny seeded networks always; the Potamitis PSD model over 8 bands with a zero (0 dB) and the data-mean (−95.0 dB)
 * baseline when ../shared is present, where the sampled methods are also checked statistically against the exact
 * values (within 4 standard errors). Tolerances: float32 rounding relative to the largest reference value.
 */
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { resolve } from 'node:path';
import * as tf from '@tensorflow/tfjs';
import { shapley } from '../../src/attribution/shapley.js';
import { featureAblation } from '../../src/attribution/feature-ablation.js';
import { shapleySampling } from '../../src/attribution/shapley-sampling.js';
import { kernelShap } from '../../src/attribution/kernel-shap.js';
import { disposeAttribution, type AttributionResult } from '../../src/attribution/types.js';
import type { GroupMethodOptions } from '../../src/attribution/group-method.js';
import type { ExplainableModel, ModelInput } from '../../src/execution/explainable-model.js';
import { loadModel } from '../../src/models/load-model.js';
import { repoRoot, sharedDir, skipWithoutShared, useWasm } from '../helpers.js';
import { maxAbs, reference, tinyReferenceModel } from './reference-models.js';

before(useWasm);

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

function assertMatches(got: number[][], expected: number[][], tolerance: number, what: string): void {
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
    assertMatches(await values(shapley(model, x, options)), s.values, tolerance, `shapley ${s.groups} ${s.baseline}`);
  }
  for (const a of entry.featureAblation) {
    const options = { target, baseline: baselines[a.baseline], ...(a.groups === null ? {} : { groups: a.groups }) };
    const what = `feature-ablation ${a.groups ?? 'positions'} ${a.baseline}`;
    assertMatches(await values(featureAblation(model, x, options)), a.values, tolerance, what);
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
