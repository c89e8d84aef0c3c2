/**
 * Mel filterbanks and spectrograms in dB (`values: 'db'` recipes) against the independent NumPy reference of
 * scripts/reference/mel_reference.py (test/fixtures/mel-reference.json): Slaney and HTK mel scales, Slaney area
 * normalisation or none, power or magnitude, ref 1 or 'max', top_db, center; float32 outputs to float32 tolerances.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { hzToMel, melFilterbank, melToHz, type MelScale } from '../../src/signal/mel.js';
import { toDecibels } from '../../src/signal/decibels.js';
import { computeFeatures } from '../../src/signal/features.js';
import { featureShape, type SpectrogramFeatureSettings } from '../../src/signal/presets.js';
import { featureAxes } from '../../src/signal/feature-axes.js';
import { parseFeatureSettings } from '../../src/signal/feature-settings-file.js';
import { WingbeatsError } from '../../src/util/errors.js';
import { repoRoot } from './fixtures.js';

interface Bank {
  sr: number;
  n_fft: number;
  n_mels: number;
  fmin: number;
  fmax: number;
  scale: MelScale;
  norm: 'slaney' | 'none';
  centreHz: number[];
  rowSums: number[];
  rowMoments: number[];
  rowMax: number[];
  weights?: number[][];
}
interface Spectrogram {
  name: string;
  frame: number;
  hop: number;
  n_fft: number;
  center: boolean;
  scale: 'mel' | 'linear';
  n_mels?: number;
  bins?: number;
  fmin?: number;
  fmax?: number;
  mel_scale?: MelScale;
  norm?: 'slaney' | 'none';
  power: 1 | 2;
  ref: number | 'max';
  top_db: number | null;
  sampleRate: number;
  db: number[][];
}
const reference = JSON.parse(readFileSync(path.join(repoRoot, 'test', 'fixtures', 'mel-reference.json'), 'utf8')) as {
  scales: { scale: MelScale; hz: number[]; mel: number[] }[];
  banks: Bank[];
  spectrograms: Spectrogram[];
};

/** The reference signal of the script (see its `signal`). */
function referenceSignal(rate: number, n: number): Float64Array {
  return Float64Array.from(
    { length: n },
    (_, t) =>
      Math.sin((2 * Math.PI * 440 * t) / rate) +
      0.5 * Math.sin((2 * Math.PI * 1234 * t) / rate) +
      (0.01 * (((t * 7919) % 101) - 50)) / 50,
  );
}

function close(actual: number, expected: number, tolerance: number, what: string): void {
  assert.ok(
    Math.abs(actual - expected) <= tolerance * Math.max(1, Math.abs(expected)),
    `${what}: ${actual} vs ${expected}`,
  );
}

test('mel scales: Slaney and HTK against NumPy, known points, and melToHz inverts hzToMel', () => {
  assert.equal(hzToMel(1000), 15);
  close(hzToMel(6400), 42, 1e-14, 'slaney 6400 Hz');
  close(hzToMel(700, 'htk'), 2595 * Math.log10(2), 1e-14, 'htk 700 Hz');
  for (const { scale, hz, mel } of reference.scales)
    hz.forEach((f, i) => {
      close(hzToMel(f, scale), mel[i], 1e-13, `${scale} ${f} Hz`);
      close(melToHz(hzToMel(f, scale), scale), f, 1e-12, `${scale} round trip ${f} Hz`);
    });
});

test('mel filterbanks equal the NumPy reference (full weights of small banks, per-band sums of librosa-sized ones)', () => {
  for (const bank of reference.banks) {
    const label = `${bank.scale}/${bank.norm} ${bank.n_mels} bands, n_fft ${bank.n_fft}`;
    const ours = melFilterbank(bank.sr, bank.n_fft, bank.n_mels, {
      fmin: bank.fmin,
      fmax: bank.fmax,
      scale: bank.scale,
      norm: bank.norm,
    });
    assert.equal(ours.bins, bank.n_fft / 2 + 1);
    bank.centreHz.forEach((hz, b) => close(ours.centreHz[b], hz, 1e-12, `${label} centre ${b}`));
    for (let b = 0; b < bank.n_mels; b++) {
      const row = ours.weights.subarray(b * ours.bins, (b + 1) * ours.bins);
      let sum = 0;
      let moment = 0;
      let max = 0;
      row.forEach((w, k) => {
        sum += w;
        moment += k * w;
        max = Math.max(max, w);
        if (bank.weights !== undefined) close(w, bank.weights[b][k], 1e-12, `${label} weight [${b}][${k}]`);
      });
      close(sum, bank.rowSums[b], 1e-11, `${label} sum of band ${b}`);
      close(moment, bank.rowMoments[b], 1e-11, `${label} moment of band ${b}`);
      close(max, bank.rowMax[b], 1e-12, `${label} peak of band ${b}`);
    }
  }
});

test('spectrograms in dB (mel and linear, power and magnitude, ref, top_db, center) equal NumPy to float32 tolerance', () => {
  for (const spec of reference.spectrograms) {
    const settings: SpectrogramFeatureSettings = {
      kind: 'spectrogram',
      values: 'db',
      sampleRate: spec.sampleRate,
      windowLength: 4000,
      normalisation: 'none',
      frameLength: spec.frame,
      frameStep: spec.hop,
      fftLength: spec.n_fft,
      center: spec.center,
      frequencyScale: spec.scale,
      bins: spec.scale === 'mel' ? (spec.n_mels as number) : (spec.bins as number),
      ...(spec.scale === 'mel'
        ? { fmin: spec.fmin, fmax: spec.fmax, melScale: spec.mel_scale, melNorm: spec.norm }
        : {}),
      power: spec.power,
      ref: spec.ref,
      ...(spec.top_db === null ? {} : { topDb: spec.top_db }),
    };
    const rows = spec.db.length;
    const frames = spec.db[0].length;
    assert.deepEqual(featureShape(settings), [rows, frames, 1], `${spec.name}: shape`);
    const { data, shape } = computeFeatures(referenceSignal(spec.sampleRate, 4000), settings);
    assert.deepEqual(shape, [rows, frames, 1]);
    let worst = 0;
    for (let r = 0; r < rows; r++)
      for (let t = 0; t < frames; t++) {
        const expected = spec.db[r][t];
        // float32 output: half an ulp of |dB| ≤ 2^-24 relative, plus float64 FFT and sum-order differences.
        const error = Math.abs(data[r * frames + t] - expected) / Math.max(1, Math.abs(expected));
        worst = Math.max(worst, error);
      }
    assert.ok(worst < 1e-6, `${spec.name}: worst relative error ${worst}`);
  }
});

test('toDecibels: librosa power_to_db rules (ref, amin floor, top_db) and checked options', () => {
  assert.deepEqual(Array.from(toDecibels([1, 0.1, 0], { ref: 'max', topDb: 80 })), [0, -10, -80]);
  assert.deepEqual(Array.from(toDecibels([100, 1e-12])), [20, -100]);
  assert.deepEqual(Array.from(toDecibels([10, 1e-7], { multiplier: 20 })), [20, -100]);
  assert.throws(() => toDecibels([1], { ref: 0 }), /Argument 'options\.ref' passed to 'toDecibels'/);
  assert.throws(() => toDecibels([1], { topDb: -1 }), /options\.topDb/);
});

test('a mel recipe from JSON: librosa names, shape, axes (mel centres, low frequency first), scaling and channels', () => {
  const settings = parseFeatureSettings(
    {
      kind: 'spectrogram',
      sr: 16000,
      windowLength: 16000,
      win_length: 400,
      hop_length: 160,
      n_fft: 512,
      n_mels: 40,
      fmin: 20,
      top_db: 80,
      ref: 'max',
      center: true,
      scaling: 'min-max',
      channels: 3,
      normalisation: 'none',
    },
    'x',
  ) as SpectrogramFeatureSettings;
  assert.equal(settings.values, 'db');
  assert.equal(settings.frequencyScale, 'mel');
  assert.deepEqual(featureShape(settings), [40, 101, 3]);
  const axes = featureAxes(settings);
  assert.equal(axes.frequencyHz.length, 40);
  assert.ok(axes.frequencyHz[0] > 20 && axes.frequencyHz[39] < 8000 && axes.frequencyHz[1] > axes.frequencyHz[0]);
  assert.equal(axes.timeS?.[1], 0.01);
  const x = Float64Array.from({ length: 16000 }, (_, n) => Math.sin((2 * Math.PI * 1000 * n) / 16000));
  const { data, shape } = computeFeatures(x, settings);
  assert.deepEqual(shape, [40, 101, 3]);
  let lo = Infinity;
  let hi = -Infinity;
  for (let i = 0; i < data.length; i += 3) {
    assert.equal(data[i], data[i + 1]);
    assert.equal(data[i], data[i + 2]);
    lo = Math.min(lo, data[i]);
    hi = Math.max(hi, data[i]);
  }
  assert.deepEqual([lo, hi], [0, 1], 'min-max scaling');
  // The loudest band is the one whose centre is nearest 1 kHz (low frequency first).
  let loudest = 0;
  const frame = 50;
  for (let b = 0; b < 40; b++) if (data[(b * 101 + frame) * 3] > data[(loudest * 101 + frame) * 3]) loudest = b;
  const nearest = axes.frequencyHz.reduce(
    (best, f, b) => (Math.abs(f - 1000) < Math.abs(axes.frequencyHz[best] - 1000) ? b : best),
    0,
  );
  assert.ok(Math.abs(loudest - nearest) <= 1, `loudest band ${loudest}, nearest 1 kHz ${nearest}`);
});

test('bad mel and dB settings: one message naming the key', () => {
  const base = {
    kind: 'spectrogram',
    values: 'db',
    sampleRate: 8000,
    windowLength: 4000,
    frameLength: 256,
    frameStep: 128,
    fftLength: 256,
    bins: 32,
    normalisation: 'none',
  };
  const cases: [unknown, RegExp][] = [
    [
      { ...base, frequencyScale: 'mel', fmax: 5000 },
      /^f: 'fmax' must be at most sampleRate \/ 2 = 4000 but got 5000\.$/,
    ],
    [
      { ...base, frequencyScale: 'mel', fmin: 3000, fmax: 2000 },
      /^f: 'fmin' \(3000\) must be less than 'fmax' \(2000\)\.$/,
    ],
    [{ ...base, fmin: 10 }, /^f: 'fmin' is a setting of mel bands: add "frequencyScale": "mel"\.$/],
    [{ ...base, ref: 0 }, /^f: 'ref' must be "max" or a number > 0 \(the level of 0 dB\) but got 0\.$/],
    [{ ...base, ref: 'peak' }, /'ref' must be "max" or a number > 0/],
    [{ ...base, topDb: -3 }, /^f: 'topDb' must be a number in \[0, 10000000\] but got -3\.$/],
    [{ ...base, frequencyScale: 'bark' }, /^f: 'frequencyScale' must be 'linear' or 'mel' but got "bark"\.$/],
    [{ ...base, melScale: 'htk' }, /'melScale' is a setting of mel bands/],
    [{ ...base, power: 3 }, /^f: 'power' must be 1 or 2 but got 3\.$/],
    [{ ...base, scaling: 'max' }, /^f: 'scaling' must be 'none' or 'min-max' or 'z-score' but got "max"\.$/],
    [{ ...base, fftLength: 300 }, /^f: 'fftLength' must be a power of two \(256, 512, 1024, \.\.\.\) but got 300\.$/],
    [{ ...base, values: undefined, topDb: 80 }, /^f: 'topDb' is a setting of a spectrogram in dB: add "values": "db"/],
    [{ ...base, bins: 200 }, /'bins' must be at most fftLength \/ 2 \+ 1 = 129 but got 200\./],
    [{ ...base, center: true, frameLength: 255, fftLength: 256 }, /'frameLength' must be even with "center": true/],
    [{ ...base, n_mels: 40 }, /'n_mels' and another name of 'bins' are both given; keep one\./],
    [{ ...base, channels: 0 }, /^f: 'channels' must be an integer in \[1, 10000000\] but got 0\.$/],
  ];
  for (const [value, message] of cases)
    assert.throws(
      () => parseFeatureSettings(value, 'f'),
      (error: unknown) =>
        error instanceof WingbeatsError && error.code === 'INVALID_ARGUMENT' && message.test(error.message),
      `${JSON.stringify(value)} → ${String(message)}`,
    );
  const mel = parseFeatureSettings({ ...base, frequencyScale: 'mel', bins: 300 }, 'f');
  assert.equal(mel.bins, 300, 'mel bands may outnumber FFT bins (librosa warns of empty filters, it does not refuse)');
});

test("a PSD recipe's ref and topDb: the preset's values shifted to the loudest bin and clipped", () => {
  const x = referenceSignal(8000, 5000);
  const plain = computeFeatures(x, 'potamitis-psd').data;
  const settings = parseFeatureSettings({ extends: 'potamitis-psd', ref: 'max', topDb: 30 }, 'f');
  const { data } = computeFeatures(x, settings);
  const loudest = Math.max(...plain);
  for (let k = 0; k < data.length; k++) {
    const expected = Math.max(plain[k] - loudest, -30);
    assert.ok(Math.abs(data[k] - expected) < 1e-4, `bin ${k}: ${data[k]} vs ${expected}`);
  }
});
