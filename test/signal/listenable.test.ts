/**
 * Listenable explanations: the used and ignored parts add up, an all-ones mask is the identity, a relevant band stays
 * (on synthetic tones); and of the whole recording at its own rate: the parts add up to the recording, an all-ones
 * mask (unseen → used) returns it, a relevant band stays in the used part at a rate other than the preset's, and what
 * the model never saw (outside its window, above its last bin) goes to the ignored part.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { relevanceMask, splitByPsdGains, splitBySpectrogramMask } from '../../src/signal/listenable.js';
import { createRng } from '../../src/util/rng.js';
import { assertClose } from '../helpers.js';
import { readFileSync } from 'node:fs';
import { listeningGain, splitRecording } from '../../src/signal/listenable-recording.js';
import { FEATURE_PRESETS } from '../../src/signal/presets.js';

const rate = 8000;

function tones(length: number, hz: number[], noise = 0.05, seed = 1): Float32Array {
  const rng = createRng(seed);
  return Float32Array.from(
    { length },
    (_, t) => hz.reduce((s, f) => s + Math.sin((2 * Math.PI * f * t) / rate), 0) + noise * rng.normal(),
  );
}

/** Energy of `x` at frequency `hz` (the magnitude of its correlation with a complex tone). */
function toneEnergy(x: ArrayLike<number>, hz: number): number {
  let re = 0;
  let im = 0;
  for (let t = 0; t < x.length; t++) {
    re += x[t] * Math.cos((2 * Math.PI * hz * t) / rate);
    im += x[t] * Math.sin((2 * Math.PI * hz * t) / rate);
  }
  return (re * re + im * im) / x.length;
}

test('relevanceMask: hard keeps the top share, soft scales the rest by relevance over the threshold', () => {
  assert.deepEqual(Array.from(relevanceMask([0.1, 0.9, 0.5, 0.2], { share: 0.25 })), [0, 1, 0, 0]);
  assert.deepEqual(Array.from(relevanceMask([0.1, 0.9, 0.5, 0.2], { share: 0.5 })), [0, 1, 1, 0]);
  assertClose(relevanceMask([0.1, 0.9, 0.5, 0.2], { share: 0.5, mapping: 'soft' }), [0.2, 1, 1, 0.4], 1e-7);
  assert.throws(() => relevanceMask([1], { share: 0 }), /'share'/);
  assert.throws(() => relevanceMask([1], { mapping: 'x' as never }), /'mapping'/);
});

test('PSD zero-phase filter: parts add up, all-ones gains return the signal, a relevant band stays in used', () => {
  const signal = tones(5000, [600, 2500]);
  const ones = splitByPsdGains(signal, new Float32Array(129).fill(1), 256);
  assertClose(ones.used, signal, 1e-5);
  addsUp(signal, ones.used, ones.ignored);
  // Relevance on the bins around 600 Hz (bin 600/8000·256 = 19.2).
  const gains = Float32Array.from({ length: 129 }, (_, k) => (Math.abs(k - 19.2) <= 3 ? 1 : 0));
  const { used, ignored } = splitByPsdGains(signal, gains, 256);
  addsUp(signal, used, ignored);
  assert.ok(toneEnergy(used, 600) > 0.95 * toneEnergy(signal, 600), 'the relevant band is kept');
  assert.ok(toneEnergy(used, 2500) < 0.01 * toneEnergy(signal, 2500), 'the other band is removed');
  assert.ok(toneEnergy(ignored, 2500) > 0.95 * toneEnergy(signal, 2500));
});

test('spectrogram mask with overlap-add: parts add up, all-ones mask returns the signal, a relevant band stays', () => {
  const settings = { frameLength: 256, frameStep: 42, fftLength: 256 };
  const signal = tones(5000, [1000, 3000]);
  const frames = 113;
  const ones = splitBySpectrogramMask(signal, new Float32Array(129 * frames).fill(1), 129, frames, settings);
  assertClose(ones.used, signal, 1e-5);
  addsUp(signal, ones.used, ones.ignored);
  const mask = Float32Array.from({ length: 129 * frames }, (_, i) =>
    Math.abs(Math.floor(i / frames) - 32) <= 3 ? 1 : 0,
  );
  const { used, ignored } = splitBySpectrogramMask(signal, mask, 129, frames, settings);
  addsUp(signal, used, ignored);
  assert.ok(toneEnergy(used, 1000) > 0.9 * toneEnergy(signal, 1000), 'the relevant band is kept');
  assert.ok(toneEnergy(used, 3000) < 0.01 * toneEnergy(signal, 3000), 'the other band is removed');
  // A mask on the second half of the frames keeps the second half in time.
  const late = Float32Array.from({ length: 129 * frames }, (_, i) => (i % frames >= 60 ? 1 : 0));
  const split = splitBySpectrogramMask(signal, late, 129, frames, settings);
  const energy = (x: Float32Array, a: number, b: number) => x.slice(a, b).reduce((s, v) => s + v * v, 0);
  assert.ok(energy(split.used, 0, 2000) < 0.01 * energy(signal, 0, 2000));
  assert.ok(energy(split.used, 3000, 5000) > 0.95 * energy(signal, 3000, 5000));
  assert.throws(() => splitBySpectrogramMask(signal, mask, 129, 100, settings), /'mask'/);
});

/** `tones` at any rate. */
function tonesAt(length: number, rate: number, hz: number[], noise = 0.05, seed = 1): Float32Array {
  const rng = createRng(seed);
  return Float32Array.from(
    { length },
    (_, t) => hz.reduce((s, f) => s + Math.sin((2 * Math.PI * f * t) / rate), 0) + noise * rng.normal(),
  );
}

/** Energy of `x[from … to)` at `hz` (the squared magnitude of its correlation with a complex tone, per sample). */
function toneEnergyAt(x: ArrayLike<number>, rate: number, hz: number, from = 0, to = x.length): number {
  let re = 0;
  let im = 0;
  for (let t = from; t < to; t++) {
    re += x[t] * Math.cos((2 * Math.PI * hz * t) / rate);
    im += x[t] * Math.sin((2 * Math.PI * hz * t) / rate);
  }
  return (re * re + im * im) / (to - from);
}

const energy = (x: ArrayLike<number>, from: number, to: number): number => {
  let s = 0;
  for (let t = from; t < to; t++) s += x[t] * x[t];
  return s;
};

function addsUp(signal: Float32Array, used: Float32Array, ignored: Float32Array): void {
  assert.equal(used.length, signal.length);
  assert.equal(ignored.length, signal.length);
  const scale = Math.max(...signal.map(Math.abs));
  // Each part is rounded once to float32, so their sum is within one rounding of each of the recording's scale.
  assertClose(
    used.map((u, i) => u + ignored[i]),
    signal,
    4 * 2 ** -24 * scale,
    0,
    'used + ignored',
  );
}

const psd = FEATURE_PRESETS['potamitis-psd'];
const spectrogram = FEATURE_PRESETS['potamitis-spectrogram'];

test('PSD at 16 kHz: all-ones with unseen → used returns the recording; the relevant band stays, unseen goes to ignored', () => {
  const rate = 16000;
  // 1 s at 16 kHz; the model's window is 5000 samples at 8 kHz from sample 1000 there: 2000 … 12000 here.
  const signal = tonesAt(16000, rate, [600, 2500, 5000]);
  const ones = splitRecording(signal, rate, new Float32Array(129).fill(1), psd, 1000, { unseen: 'used' });
  assert.equal(ones.sampleRate, rate);
  assert.deepEqual([ones.windowStart, ones.windowEnd, ones.maxHz], [2000, 12000, 4000]);
  assertClose(ones.used, signal, 1e-5);
  addsUp(signal, ones.used, ones.ignored);
  // Relevance on the bins around 600 Hz (bin 600 / 8000 · 256 = 19.2).
  const gains = Float32Array.from({ length: 129 }, (_, k) => (Math.abs(k - 19.2) <= 3 ? 1 : 0));
  const { used, ignored } = splitRecording(signal, rate, gains, psd, 1000);
  addsUp(signal, used, ignored);
  assert.ok(toneEnergyAt(used, rate, 600, 2000, 12000) > 0.95 * toneEnergyAt(signal, rate, 600, 2000, 12000));
  assert.ok(toneEnergyAt(used, rate, 2500, 2000, 12000) < 0.01 * toneEnergyAt(signal, rate, 2500, 2000, 12000));
  // 5 kHz is above what the model saw at 8 kHz: ignored, even with an all-ones mask.
  const seen = splitRecording(signal, rate, new Float32Array(129).fill(1), psd, 1000);
  assert.ok(toneEnergyAt(seen.used, rate, 5000, 2000, 12000) < 0.01 * toneEnergyAt(signal, rate, 5000, 2000, 12000));
  assert.ok(toneEnergyAt(seen.used, rate, 2500, 2000, 12000) > 0.95 * toneEnergyAt(signal, rate, 2500, 2000, 12000));
  // Outside the window nothing is used.
  assert.equal(energy(used, 0, 2000) + energy(used, 12000, 16000), 0);
  assert.deepEqual(ignored.slice(0, 2000), signal.slice(0, 2000));
  assert.throws(() => splitRecording(signal, rate, gains.slice(1), psd, 0), /'gains'/);
  assert.throws(() => splitRecording(signal, rate, gains, psd, 0, { unseen: 'x' as never }), /'options.unseen'/);
});

test('spectrogram at 44.1 kHz: the mask is mapped in seconds and Hz onto the recording’s own STFT', () => {
  const rate = 44100;
  const frames = 113;
  const length = 39690; // 0.9 s; the model's window (0.625 s) starts at 0.1 s (800 samples at 8 kHz).
  const signal = tonesAt(length, rate, [1000, 3000, 7000]);
  const ones = splitRecording(signal, rate, new Float32Array(129 * frames).fill(1), spectrogram, 800, {
    unseen: 'used',
  });
  assertClose(ones.used, signal, 1e-5);
  addsUp(signal, ones.used, ones.ignored);
  assert.deepEqual([ones.windowStart, ones.windowEnd], [4410, 31973]);
  // A band at 1000 Hz (model bin 32) over every frame.
  const band = Float32Array.from({ length: 129 * frames }, (_, i) =>
    Math.abs(Math.floor(i / frames) - 32) <= 3 ? 1 : 0,
  );
  const { used, ignored } = splitRecording(signal, rate, band, spectrogram, 800);
  addsUp(signal, used, ignored);
  // Well inside the window (one frame, 1411 samples, away from its edges) the band is kept and the rest removed.
  const [a, b] = [4410 + 1411, 31973 - 1411];
  assert.ok(toneEnergyAt(used, rate, 1000, a, b) > 0.9 * toneEnergyAt(signal, rate, 1000, a, b), 'band kept');
  assert.ok(toneEnergyAt(used, rate, 3000, a, b) < 0.01 * toneEnergyAt(signal, rate, 3000, a, b), 'rest removed');
  assert.ok(toneEnergyAt(used, rate, 7000, a, b) < 0.01 * toneEnergyAt(signal, rate, 7000, a, b), 'unseen removed');
  // Outside the window (beyond one frame of fading) nothing is used.
  assert.ok(energy(used, 0, 4410 - 1411) < 1e-9 * energy(signal, 0, 4410 - 1411));
  assert.ok(energy(used, 31973 + 1411, length) < 1e-9 * energy(signal, 31973 + 1411, length));
  // A mask on the model's late frames (≥ 60: from 800 + 60·42 + 128 = 3448 samples at 8 kHz, 0.431 s) keeps late time.
  const late = Float32Array.from({ length: 129 * frames }, (_, i) => (i % frames >= 60 ? 1 : 0));
  const split = splitRecording(signal, rate, late, spectrogram, 800);
  const cut = Math.round((3448 / 8000) * rate);
  assert.ok(energy(split.used, 4410, cut - 1411) < 0.01 * energy(signal, 4410, cut - 1411));
  assert.ok(energy(split.used, cut + 1411, 31973 - 1411) > 0.5 * energy(signal, cut + 1411, 31973 - 1411));
});

test('against an independent NumPy version (scripts/reference/listenable_recording_reference.py) at 16 kHz', () => {
  const reference = JSON.parse(
    readFileSync(new URL('../fixtures/listenable-recording-reference.json', import.meta.url), 'utf8'),
  ) as {
    rate: number;
    length: number;
    start: number;
    picks: number[];
    psd: { used: number[]; energy: number };
    spectrogram: { used: number[]; energy: number };
  };
  const { rate, length, start, picks } = reference;
  const signal = Float32Array.from(
    { length },
    (_, t) =>
      Math.sin((2 * Math.PI * 600 * t) / rate) +
      0.5 * Math.sin((2 * Math.PI * 2500 * t) / rate) +
      0.3 * Math.sin((2 * Math.PI * 5000 * t) / rate),
  );
  const psdGains = Float32Array.from({ length: 129 }, (_, k) => (Math.abs(k - 19.2) <= 3 ? 1 : 0));
  const mask = Float32Array.from(
    { length: 129 * 113 },
    (_, i) => ((Math.floor(i / 113) * 7 + (i % 113) * 3) % 11) / 10,
  );
  for (const [name, parts, expected] of [
    ['psd', splitRecording(signal, rate, psdGains, psd, start), reference.psd],
    ['spectrogram', splitRecording(signal, rate, mask, spectrogram, start), reference.spectrogram],
  ] as const) {
    // float32 output of a float64 computation: one rounding of values up to ~1.8.
    assertClose(
      picks.map((i) => parts.used[i]),
      expected.used,
      2e-7 * 2,
      0,
      `${name}: used`,
    );
    assertClose([energy(parts.used, 0, length)], [expected.energy], 1e-6 * expected.energy, 0, `${name}: energy`);
  }
});

test('listeningGain: one gain for the recording and both parts, the loudest of the three at 0.9', () => {
  const x = tonesAt(8000, 8000, [600, 1800], 0.05, 3).map((v) => 0.1 * v);
  const parts = splitRecording(
    x,
    8000,
    Float32Array.from({ length: 129 }, (_, k) => (k < 40 ? 1 : 0)),
    psd,
    0,
  );
  const gain = listeningGain(x, parts);
  let loudest = 0;
  for (const s of [x, parts.used, parts.ignored]) for (const v of s) loudest = Math.max(loudest, Math.abs(v));
  assertClose([gain * loudest], [0.9], 1e-12);
  // The same gain keeps used + ignored = recording × gain (what peak-normalising each part would break).
  const sum = parts.used.map((u, i) => Math.fround(u * gain) + Math.fround(parts.ignored[i] * gain));
  assertClose(
    sum,
    x.map((v) => v * gain),
    8 * 2 ** -24,
    0,
  );
  assert.equal(listeningGain([0, 0], { used: [0, 0], ignored: [0, 0] }), 1);
  assert.equal(listeningGain([0.5], { used: [0.2], ignored: [0.3] }, 1), 2);
  assert.throws(() => listeningGain([1], parts), /Argument 'parts.used' passed to 'listeningGain' must be 1 samples/);
  assert.throws(
    () => listeningGain(x, parts, 1.5),
    /Argument 'peak' passed to 'listeningGain' must be a number in \(0, 1\]/,
  );
});
