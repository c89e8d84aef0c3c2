import { test } from 'node:test';
import assert from 'node:assert/strict';
import path from 'node:path';
import { resampleFilter, resamplePoly, resampleTo } from '../../src/signal/resample.js';
import { readWavFile } from '../../src/node/read-wav-file.js';
import { readJson, recordingsDir, referenceDir, skipWithoutShared } from './fixtures.js';

/** Amplitude of the component at `f` (cycles/sample) by least squares on cos/sin, over [from, to). */
function toneAmplitude(x: Float64Array, f: number, from: number, to: number): number {
  let cc = 0,
    ss = 0,
    cs = 0,
    xc = 0,
    xs = 0;
  for (let n = from; n < to; n++) {
    const c = Math.cos(2 * Math.PI * f * n);
    const s = Math.sin(2 * Math.PI * f * n);
    cc += c * c;
    ss += s * s;
    cs += c * s;
    xc += x[n] * c;
    xs += x[n] * s;
  }
  const det = cc * ss - cs * cs;
  const a = (xc * ss - xs * cs) / det;
  const b = (xs * cc - xc * cs) / det;
  return Math.hypot(a, b);
}

function tone(rate: number, hz: number, seconds: number): Float64Array {
  const x = new Float64Array(Math.round(rate * seconds));
  for (let n = 0; n < x.length; n++) x[n] = Math.sin((2 * Math.PI * hz * n) / rate + 0.4);
  return x;
}

test(
  'WAV reader + resampler reproduce scipy resample_poly(80, 441) of the real recording to 1e-6 of its peak',
  { skip: skipWithoutShared('reference/welch') },
  async () => {
    const ref = readJson(path.join(referenceDir, 'welch', 'f_real_andirus_8k.json'));
    const rec = await readWavFile(path.join(recordingsDir, 'An.Dirus_1F_5D_25C_SmallCylinder_Cut12.wav'));
    assert.equal(rec.sampleRate, 44100);
    assert.equal(rec.bitsPerSample, 24);
    const y = resampleTo(rec.samples, 44100, 8000);
    assert.equal(y.length, Math.ceil((rec.samples.length * 80) / 441));
    const want = Float32Array.from(ref.resampled_unnormalised as number[]);
    let peak = 0;
    let worst = 0;
    for (let i = 0; i < want.length; i++) {
      peak = Math.max(peak, Math.abs(want[i]));
      worst = Math.max(worst, Math.abs(y[i] - want[i]));
    }
    assert.ok(worst <= 1e-6 * peak, `max difference ${worst / peak} of the peak`);
  },
);

test('passband: tones up to 0.85 of the output Nyquist keep their level within 0.1 dB', () => {
  for (const [from, to, hz] of [
    [44100, 8000, 1000],
    [44100, 8000, 3000],
    [96000, 8000, 3300],
    [44100, 16000, 6000],
    [8000, 16000, 3000],
  ]) {
    const y = resampleTo(tone(from, hz, 0.5), from, to);
    const a = toneAmplitude(y, hz / to, 200, y.length - 200);
    const db = 20 * Math.log10(a);
    assert.ok(Math.abs(db) < 0.1, `${hz} Hz, ${from} -> ${to}: ${db.toFixed(4)} dB`);
  }
});

test('stopband: a tone 1.5x above the new Nyquist is attenuated by at least 60 dB (no alias)', () => {
  for (const [from, to, hz] of [
    [44100, 8000, 6000],
    [96000, 8000, 7000],
    [44100, 16000, 12500],
  ]) {
    const alias = to - hz; // where it would fold to
    const y = resampleTo(tone(from, hz, 0.5), from, to);
    const a = toneAmplitude(y, alias / to, 200, y.length - 200);
    const db = 20 * Math.log10(a);
    assert.ok(db < -60, `${hz} Hz, ${from} -> ${to}: alias at ${alias} Hz is ${db.toFixed(1)} dB`);
  }
});

test('filter design follows scipy: length 2*10*max+1, symmetric, DC gain up; factors reduced by gcd', () => {
  const f = resampleFilter(160, 882);
  assert.equal(f.up, 80);
  assert.equal(f.down, 441);
  assert.equal(f.taps.length, 2 * 10 * 441 + 1);
  let sum = 0;
  for (let i = 0; i < f.taps.length; i++) {
    sum += f.taps[i];
    assert.ok(Math.abs(f.taps[i] - f.taps[f.taps.length - 1 - i]) < 1e-15, `tap ${i} not symmetric`);
  }
  assert.ok(Math.abs(sum - 80) < 1e-9);
});

test('resamplePoly matches a direct (non-polyphase) upfirdn with delay compensation, for odd factors and short inputs', () => {
  for (const [up, down, n] of [
    [3, 2, 50],
    [2, 3, 7],
    [1, 4, 30],
    [5, 1, 3],
    [7, 5, 1],
  ]) {
    const x = Float64Array.from({ length: n }, (_, i) => Math.sin(i * 0.7) + 0.1 * i);
    const { taps, halfLength } = resampleFilter(up, down);
    const outLength = Math.ceil((n * up) / down);
    const y = resamplePoly(x, up, down);
    assert.equal(y.length, outLength);
    for (let j = 0; j < outLength; j++) {
      let acc = 0;
      for (let k = 0; k < n; k++) {
        const tap = j * down + halfLength - k * up;
        if (tap >= 0 && tap < taps.length) acc += taps[tap] * x[k];
      }
      assert.ok(Math.abs(acc - y[j]) < 1e-12, `up ${up} down ${down} j ${j}: ${y[j]} vs ${acc}`);
    }
  }
  assert.deepEqual(Array.from(resamplePoly([1, 2, 3], 3, 3)), [1, 2, 3]);
});

test('resampling validates its factors and rates', () => {
  assert.throws(
    () => resamplePoly([1, 2], 0, 1),
    /Argument 'up' passed to 'resamplePoly' must be an integer >= 1 but got 0\./,
  );
  assert.throws(
    () => resampleTo([1, 2], 44100.5, 8000),
    /Argument 'fromRate' passed to 'resampleTo' must be an integer number of Hz but got 44100.5\./,
  );
});
