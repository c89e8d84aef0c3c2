/**
 * Infidelity and max-sensitivity on the Potamitis PSD model against independent float64 PyTorch numbers (Captum's
 * definitions, written out in scripts/reference/metric_reference.py; numbers in test/fixtures/metric-reference.json):
 * exactly on fixed perturbations, statistically on the library's own random ones. Skips without ../shared.
 */
import { before, test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { resolve } from 'node:path';
import * as tf from '@tensorflow/tfjs';
import { loadModel } from '../../src/models/load-model.js';
import { infidelity } from '../../src/evaluation/infidelity.js';
import { sensitivityMax } from '../../src/evaluation/sensitivity-max.js';
import { gradients } from '../../src/attribution/gradients.js';
import { inputXGradient } from '../../src/attribution/input-x-gradient.js';
import { disposeAttribution } from '../../src/attribution/types.js';
import { assertClose, repoRoot, sharedDir, skipWithoutShared, useWasm } from '../helpers.js';

before(useWasm);

interface Reference {
  targets: number[];
  sigma: number;
  radius: number;
  noise: number[][][][];
  perturbed: number[][][][];
  exact: Record<string, { infidelity: number[]; infidelityNormalized: number[]; sensitivityMax: number[] }>;
  statistical: Record<
    string,
    {
      infidelitySquaredError: { mean: number; std: number }[];
      sensitivityMaxOf100: { q001: number; q999: number; median: number }[];
    }
  >;
}

const reference = JSON.parse(
  readFileSync(resolve(repoRoot, 'test/fixtures/metric-reference.json'), 'utf8'),
) as Reference;
const methods = { gradients, 'input-x-gradient': inputXGradient } as const;

async function psdModelAndInputs() {
  const model = await loadModel(resolve(sharedDir, 'models/Potatamis_Sequential/PSD/Mosquito_CNN_PSD.h5'));
  const cases = JSON.parse(
    readFileSync(resolve(sharedDir, 'reference/models/Potatamis_Sequential__PSD__Mosquito_CNN_PSD.json'), 'utf8'),
  ).cases as { input: number[] }[];
  const x = tf.tensor(
    cases.slice(0, 2).map((c) => c.input.map((v) => [v])),
    [2, 129, 1],
  );
  return { model, x };
}

test(
  "infidelity and max-sensitivity equal Captum's definitions on fixed perturbations (Potamitis PSD model)",
  { skip: skipWithoutShared },
  async () => {
    const { model, x } = await psdModelAndInputs();
    const targets = reference.targets;
    for (const [name, method] of Object.entries(methods)) {
      const expected = reference.exact[name];
      const result = await method(model, x, { target: targets });
      assert.deepEqual(result.targets, targets);
      const perturb = (input: Float32Array, e: number, s: number) => {
        const perturbation = Float32Array.from(reference.noise[e][s].flat());
        return { perturbation, perturbed: Float32Array.from(input, (v, i) => v - perturbation[i]) };
      };
      for (const normalize of [false, true]) {
        const got = await infidelity(model, x, {
          attributions: result.attributions,
          perturb,
          perturbations: 4,
          normalize,
          target: targets,
        });
        const want = normalize ? expected.infidelityNormalized : expected.infidelity;
        // Float32 logits (≈ 30) carry ≈ 2e-6 of rounding; infidelity squares score changes of 0.01–0.05 built from them.
        assertClose(got, want, 2e-7, 3e-4, `${name} infidelity (normalize ${normalize})`);
      }
      const sensitivity = await sensitivityMax(model, x, {
        method: name,
        perturb: (_input, e, s) => Float32Array.from(reference.perturbed[e][s].flat()),
        perturbations: 4,
        target: targets,
      });
      assertClose(sensitivity, expected.sensitivityMax, 0, 1e-5, `${name} sensitivity-max`);
      disposeAttribution(result);
    }
    x.dispose();
    model.dispose();
  },
);

test(
  "infidelity and max-sensitivity with the library's random perturbations follow the reference distributions",
  { skip: skipWithoutShared },
  async () => {
    const { model, x } = await psdModelAndInputs();
    const targets = reference.targets;
    for (const [name, method] of Object.entries(methods)) {
      const expected = reference.statistical[name];
      const result = await method(model, x, { target: targets });
      const draws = 2000;
      const got = await infidelity(model, x, {
        attributions: result.attributions,
        noiseStdev: reference.sigma,
        perturbations: draws,
        seed: 11,
        target: targets,
      });
      got.forEach((value, e) => {
        const { mean, std } = expected.infidelitySquaredError[e];
        const error = 4.5 * (std / Math.sqrt(draws));
        assert.ok(Math.abs(value - mean) <= error, `${name} infidelity ${value} vs ${mean} ± ${error} (example ${e})`);
      });
      const sensitivity = await sensitivityMax(model, x, {
        method: name,
        radius: reference.radius,
        perturbations: 100,
        seed: 12,
        target: targets,
      });
      sensitivity.forEach((value, e) => {
        const { q001, q999 } = expected.sensitivityMaxOf100[e];
        assert.ok(
          value >= q001 * 0.999 && value <= q999 * 1.001,
          `${name} sensitivity-max ${value} outside [${q001}, ${q999}] (example ${e})`,
        );
      });
      disposeAttribution(result);
    }
    x.dispose();
    model.dispose();
  },
);
