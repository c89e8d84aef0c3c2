import { test } from 'node:test';
import assert from 'node:assert/strict';
import path from 'node:path';
import { powerToDb, welchPsd } from '../../src/signal/welch.js';
import { WingbeatsError } from '../../src/util/errors.js';
import { readJson, referenceFiles, skipWithoutShared } from './fixtures.js';

const files = referenceFiles('welch');

test(
  'Welch PSD and dB equal the scipy references (psd rel 1e-6, dB abs 1e-4)',
  { skip: skipWithoutShared('reference/welch') },
  () => {
    assert.equal(files.length, 6);
    let checked = 0;
    for (const file of files) {
      const ref = readJson(file);
      const signal = Float32Array.from(ref.signal as number[]);
      for (const flavour of ['potamitis', 'keogh'] as const) {
        const r = ref[flavour];
        if (r === null) continue;
        const s = r.settings;
        const bins = s.bins_kept as number;
        const result = welchPsd(signal, s.fs, {
          segmentLength: s.nperseg,
          overlap: s.noverlap,
          fftLength: s.nfft,
          bins,
        });
        const where = `${path.basename(file)} ${flavour}`;
        assert.equal(result.segments, r.n_segments, where);
        assert.equal(result.unusedTailSamples, r.unused_tail_samples, where);
        assert.deepEqual(Array.from(result.frequencies), r.frequencies_hz, where);
        const db = powerToDb(result.psd);
        const skip = new Set<number>(r.roundoff_dominated_bins);
        for (let k = 0; k < bins; k++) {
          if (skip.has(k)) {
            assert.ok(db[k] < -250, `${where} bin ${k}: round-off bin should be below -250 dB, got ${db[k]}`);
            continue;
          }
          const rel = Math.abs(result.psd[k] - r.psd[k]) / Math.abs(r.psd[k]);
          assert.ok(rel <= 1e-6, `${where} bin ${k}: psd ${result.psd[k]} vs ${r.psd[k]} (rel ${rel})`);
          const diff = Math.abs(db[k] - r.psd_db[k]);
          assert.ok(diff <= 1e-4, `${where} bin ${k}: dB ${db[k]} vs ${r.psd_db[k]} (diff ${diff})`);
          checked++;
        }
      }
    }
    assert.ok(checked >= 600, `compared only ${checked} bins`);
  },
);

test("a sine's PSD peaks at its frequency, and Parseval holds (sum psd * df = signal power)", () => {
  const fs = 8000;
  for (const f of [500, 1234.5, 3000]) {
    const x = new Float64Array(5000);
    for (let n = 0; n < x.length; n++) x[n] = 0.7 * Math.sin((2 * Math.PI * f * n) / fs + 0.3);
    const { psd, frequencies } = welchPsd(x, fs, { segmentLength: 256, overlap: 192 });
    let peak = 0;
    for (let k = 1; k < psd.length; k++) if (psd[k] > psd[peak]) peak = k;
    assert.ok(Math.abs(frequencies[peak] - f) <= 31.25 / 2, `peak at ${frequencies[peak]} Hz for a ${f} Hz sine`);
    let total = 0;
    for (let k = 0; k < psd.length; k++) total += psd[k] * (fs / 256);
    // Power of a sine of amplitude A is A²/2; the Hann window's leakage conserves it to a fraction of 1e-3.
    assert.ok(Math.abs(total - 0.245) / 0.245 < 2e-3, `Parseval: ${total} vs 0.245 at ${f} Hz`);
  }
});

test('Parseval holds exactly for one segment: sum psd * fs/N = sum (w (x - mean))^2 / sum w^2', () => {
  const N = 256;
  const x = new Float64Array(N);
  let seed = 1;
  for (let i = 0; i < N; i++) {
    seed = (seed * 16807) % 2147483647;
    x[i] = seed / 2147483647 - 0.5;
  }
  let mean = 0;
  for (const v of x) mean += v / N;
  const { psd } = welchPsd(x, 1000, { segmentLength: N, overlap: 0 });
  let lhs = 0;
  for (const p of psd) lhs += (p * 1000) / N;
  let num = 0;
  let den = 0;
  for (let n = 0; n < N; n++) {
    const w = 0.5 - 0.5 * Math.cos((2 * Math.PI * n) / N);
    num += (w * (x[n] - mean)) ** 2;
    den += w * w;
  }
  assert.ok(Math.abs(lhs - num / den) < 1e-12 * (num / den), `${lhs} vs ${num / den}`);
});

test('welchPsd rejects bad arguments with named messages', () => {
  assert.throws(
    () => welchPsd(new Float32Array(100), 8000, { segmentLength: 256 }),
    (e: unknown) => {
      assert.ok(e instanceof WingbeatsError);
      assert.equal(
        e.message,
        "Argument 'signal' passed to 'welchPsd' must be at least 256 samples long (one Welch segment) but got 100 samples.",
      );
      return true;
    },
  );
  assert.throws(
    () => welchPsd(new Float32Array(1000), 8000, { segmentLength: 256, overlap: 256 }),
    /Argument 'options.overlap' passed to 'welchPsd' must be < segmentLength \(256\) but got 256\./,
  );
  assert.throws(
    () => welchPsd(new Float32Array(1000), 8000, { segmentLength: 200 }),
    /'options.fftLength' passed to 'welchPsd' must be a power of two >= 4 but got 200/,
  );
  assert.throws(
    () => welchPsd(new Float32Array(1000), 8000, { bins: 200 }),
    /'options.bins' passed to 'welchPsd' must be <= fftLength \/ 2 \+ 1 \(129\) but got 200/,
  );
  assert.throws(
    () => welchPsd(new Float32Array(1000), -1),
    /'sampleRate' passed to 'welchPsd' must be a finite number > 0 but got -1/,
  );
});

test('powerToDb is float64 10*log10 cast to float32, zero gives -Infinity', () => {
  const db = powerToDb(Float64Array.of(1, 0.01, 2, 0));
  assert.deepEqual(Array.from(db), [0, -20, Math.fround(10 * Math.log10(2)), -Infinity]);
});
