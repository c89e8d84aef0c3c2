import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { WingbeatsError } from '../../src/util/errors.js';
import { DEMO_SPECIES, SPECIES_PROFILES, synthesizeDataset, synthesizeWingbeat } from '../../src/demo/synthesize.js';
import { featuresFromRecording } from '../../src/signal/features.js';

/** Frequency (Hz) of the largest Potamitis PSD bin above DC. */
function psdPeakHz(samples: Float32Array, sampleRate: number): number {
  const { data } = featuresFromRecording({ samples, sampleRate }, 'potamitis-psd');
  let best = 1;
  for (let i = 2; i < data.length; i++) if (data[i] > data[best]) best = i;
  return (best * 8000) / 256;
}

function median(values: number[]): number {
  const s = [...values].sort((a, b) => a - b);
  return s.length % 2 === 1 ? s[(s.length - 1) / 2] : (s[s.length / 2 - 1] + s[s.length / 2]) / 2;
}

describe('synthesizeWingbeat', () => {
  it('is reproducible from its seed and differs between seeds', () => {
    const a = synthesizeWingbeat('An_gambiae', { seed: 7 });
    const b = synthesizeWingbeat('An_gambiae', { seed: 7 });
    const c = synthesizeWingbeat('An_gambiae', { seed: 8 });
    assert.deepEqual(a.samples, b.samples);
    assert.equal(a.fundamental, b.fundamental);
    assert.notDeepEqual(a.samples, c.samples);
  });

  it('gives 0.7 s at 8 kHz by default (longer than the 5000-sample window), peak 0.9, finite samples', () => {
    const rec = synthesizeWingbeat(0, { seed: 1 });
    assert.equal(rec.species, 'Ae_aegypti');
    assert.equal(rec.label, 0);
    assert.equal(rec.name, 'Ae_aegypti_synthetic');
    assert.equal(rec.sampleRate, 8000);
    assert.equal(rec.samples.length, 5600);
    let peak = 0;
    for (const v of rec.samples) {
      assert.ok(Number.isFinite(v));
      peak = Math.max(peak, Math.abs(v));
    }
    assert.ok(Math.abs(peak - 0.9) < 1e-6, `peak ${peak}`);
    const rate44 = synthesizeWingbeat('Cu_pipiens', { seed: 1, sampleRate: 44100, duration: 0.75 });
    assert.equal(rate44.samples.length, 33075);
  });

  it('puts the PSD peak at the drawn fundamental, which lies around the species mean', () => {
    for (const species of DEMO_SPECIES) {
      const { meanFrequency, frequencySd } = SPECIES_PROFILES[species];
      const peaks: number[] = [];
      for (let i = 0; i < 12; i++) {
        const rec = synthesizeWingbeat(species, { seed: `${species}-${i}` });
        assert.ok(
          Math.abs(rec.fundamental - meanFrequency) <= 3 * frequencySd + 1e-9,
          `${species}: fundamental ${rec.fundamental}`,
        );
        peaks.push(psdPeakHz(rec.samples, rec.sampleRate));
      }
      // Bins are 31.25 Hz wide; the median over recordings is within about a bin and a half of the mean.
      assert.ok(
        Math.abs(median(peaks) - meanFrequency) <= 50,
        `${species}: median PSD peak ${median(peaks)} Hz vs mean ${meanFrequency} Hz`,
      );
    }
    // A given fundamental (no draw) is where the peak is, also after resampling from 44.1 kHz.
    const rec = synthesizeWingbeat('Cu_quinquefasciatus', { seed: 3, fundamental: 400, sampleRate: 44100, snrDb: 30 });
    assert.ok(Math.abs(psdPeakHz(rec.samples, rec.sampleRate) - 400) <= 20);
  });

  it('orders the means as the literature does: Culex < Anopheles < Ae. aegypti < Ae. albopictus', () => {
    const m = (s: (typeof DEMO_SPECIES)[number]) => SPECIES_PROFILES[s].meanFrequency;
    assert.ok(m('Cu_pipiens') < m('An_arabiensis') && m('Cu_quinquefasciatus') < m('An_arabiensis'));
    assert.ok(m('An_gambiae') < m('Ae_aegypti') && m('Ae_aegypti') < m('Ae_albopictus'));
    for (const s of DEMO_SPECIES) {
      const n = SPECIES_PROFILES[s].harmonics.length;
      assert.ok(n >= 4 && n <= 6, `${s}: ${n} harmonics`);
    }
  });

  it('rejects an unknown species and bad options with clear errors', () => {
    assert.throws(
      () => synthesizeWingbeat('Ae_vexans' as never),
      (e: unknown) =>
        e instanceof WingbeatsError && e.code === 'INVALID_ARGUMENT' && /species.*Ae_aegypti/.test(e.message),
    );
    assert.throws(() => synthesizeWingbeat(6), /species/);
    assert.throws(() => synthesizeWingbeat('Ae_aegypti', { sampleRate: -1 }), /options.sampleRate/);
    assert.throws(() => synthesizeWingbeat('Ae_aegypti', { fundamental: 900 }), /Nyquist/);
    assert.throws(() => synthesizeDataset({ perSpecies: 0 }), /perSpecies/);
  });
});

describe('synthesizeDataset', () => {
  it('gives perSpecies recordings of every species in label order, reproducibly', () => {
    const a = synthesizeDataset({ perSpecies: 2, seed: 5 });
    const b = synthesizeDataset({ perSpecies: 2, seed: 5 });
    assert.deepEqual(
      a.map((r) => r.label),
      [0, 0, 1, 1, 2, 2, 3, 3, 4, 4, 5, 5],
    );
    assert.deepEqual(
      a.map((r) => r.species),
      DEMO_SPECIES.flatMap((s) => [s, s]),
    );
    a.forEach((r, i) => assert.deepEqual(r.samples, b[i].samples));
    assert.notDeepEqual(a[0].samples, a[1].samples);
  });
});
