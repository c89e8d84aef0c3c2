/** Listenable explanations: the used and ignored parts add up, an all-ones mask is the identity, a relevant band stays. */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { relevanceMask, splitByPsdGains, splitBySpectrogramMask } from '../../src/signal/listenable.js';
import { createRng } from '../../src/util/rng.js';
import { assertClose } from '../helpers.js';

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

function addsUp(signal: Float32Array, used: Float32Array, ignored: Float32Array): void {
  const scale = Math.max(...signal.map(Math.abs));
  assertClose(
    used.map((u, i) => u + ignored[i]),
    signal,
    4 * 2 ** -24 * scale,
    0,
    'used + ignored',
  );
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
