import { test } from 'node:test';
import assert from 'node:assert/strict';
import path from 'node:path';
import { spectrogramImage } from '../../src/signal/spectrogram-image.js';
import { stftRealPart } from '../../src/signal/stft.js';
import { readJson, referenceFiles, skipWithoutShared } from './fixtures.js';

const files = referenceFiles('spectrogram');

test(
  'spectrogram images equal the references (abs 1e-4 off sensitive cells; all-zero frames exactly -1)',
  { skip: skipWithoutShared('reference/spectrogram') },
  () => {
    assert.equal(files.length, 5);
    for (const file of files) {
      const ref = readJson(file);
      const where = path.basename(file);
      const welch = readJson(path.join(path.dirname(file), '..', ref.signal_ref.file));
      const signal = Float32Array.from(welch[ref.signal_ref.key] as number[]);
      const s = ref.settings;
      const bins = 129;
      const options = { frameLength: s.frame_length, frameStep: s.frame_step, fftLength: s.fft_length, bins };
      const { data, shape } = spectrogramImage(signal, options);
      const expected: number[][] = ref.model_input_channel;
      const frames = expected[0].length;
      assert.deepEqual(shape, [bins, frames, 3], where);

      // The real part of the STFT against the float64 reference (7 significant digits).
      const stft = stftRealPart(signal, options);
      let scale = 0;
      let worst = 0;
      for (let t = 0; t < frames; t++) {
        for (let k = 0; k < bins; k++) {
          scale = Math.max(scale, Math.abs(ref.stft_real[t][k]));
          worst = Math.max(worst, Math.abs(stft.real[t * bins + k] - ref.stft_real[t][k]));
        }
      }
      assert.ok(worst <= 1e-6 * scale, `${where}: STFT real part differs by ${worst / scale} of its largest value`);

      const sensitive = new Set((ref.sensitive_cells as [number, number][]).map(([r, c]) => r * frames + c));
      let compared = 0;
      for (let r = 0; r < bins; r++) {
        for (let c = 0; c < frames; c++) {
          const at = (r * frames + c) * 3;
          assert.ok(data[at] === data[at + 1] && data[at] === data[at + 2], `${where} [${r},${c}]: channels differ`);
          const want = Math.fround(expected[r][c]);
          const zeroFrame = (ref.stft_real[c] as number[]).slice(0, bins).every((v) => v === 0);
          if (zeroFrame) {
            assert.equal(data[at], -1, `${where} [${r},${c}] in an all-zero frame must be exactly -1`);
            assert.equal(want, -1);
          } else if (!sensitive.has(r * frames + c)) {
            assert.ok(Math.abs(data[at] - want) <= 1e-4, `${where} [${r},${c}]: ${data[at]} vs ${want}`);
            compared++;
          }
        }
      }
      assert.ok(compared > 0, `${where}: no cell compared`);
    }
  },
);

test('the image orientation: row 0 is the highest frequency, a tone lands on its row', () => {
  const fs = 8000;
  const x = new Float32Array(5000);
  for (let n = 0; n < x.length; n++) x[n] = Math.cos((2 * Math.PI * 1000 * n) / fs); // bin 32 of 256
  const { data, shape } = spectrogramImage(x, { frameLength: 256, frameStep: 42, bins: 129 });
  assert.deepEqual(shape, [129, 113, 3]);
  // The tone's bin has the largest |re|; its row is 128 - 32 and holds |10 log10 |re|| / 127.5 - 1.
  const { real } = stftRealPart(x, { frameLength: 256, frameStep: 42, bins: 129 });
  let best = 0;
  for (let k = 0; k < 129; k++) if (Math.abs(real[k]) > Math.abs(real[best])) best = k;
  assert.equal(best, 32);
  const row = 128 - best;
  const value = data[(row * 113 + 0) * 3];
  const db = Math.abs(10 * Math.log10(Math.abs(real[best])));
  assert.ok(Math.abs(value - (db / 127.5 - 1)) < 1e-6, `row ${row} holds bin ${best}: ${value}`);
});

test('stftRealPart drops frames that do not fit and validates its options', () => {
  const r = stftRealPart(new Float32Array(300), { frameLength: 256, frameStep: 42 });
  assert.equal(r.frames, 2);
  assert.equal(r.bins, 129);
  assert.throws(
    () => stftRealPart(new Float32Array(100), { frameLength: 256 }),
    /Argument 'signal' passed to 'stftRealPart' must be at least 256 samples long \(one STFT frame\) but got 100 samples\./,
  );
  assert.throws(
    () => spectrogramImage(new Float32Array(1000), { frameLength: 256, frameStep: 0 }),
    /Argument 'options.frameStep' passed to 'spectrogramImage' must be an integer >= 1 but got 0\./,
  );
});
