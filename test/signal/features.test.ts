import { test } from 'node:test';
import assert from 'node:assert/strict';
import path from 'node:path';
import { featuresFromRecording, computeFeatures } from '../../src/signal/features.js';
import { FEATURE_PRESETS, FEATURE_PRESET_NAMES, featureShape, presetForInputShape } from '../../src/signal/presets.js';
import { loudestWindowStart } from '../../src/signal/crop.js';
import { normalisePeak } from '../../src/signal/normalise.js';
import { readWavFile } from '../../src/node/read-wav-file.js';
import { WingbeatsError } from '../../src/util/errors.js';
import { readJson, recordingFiles, recordingsDir, referenceDir, skipWithoutShared } from './fixtures.js';

test('preset shapes and the default preset for a model input shape', () => {
  assert.deepEqual(FEATURE_PRESET_NAMES, ['potamitis-psd', 'potamitis-spectrogram', 'keogh-psd', 'keogh-spectrogram']);
  assert.deepEqual(featureShape('potamitis-psd'), [129, 1]);
  assert.deepEqual(featureShape('potamitis-spectrogram'), [129, 113, 3]);
  assert.deepEqual(featureShape('keogh-psd'), [129, 1]);
  assert.deepEqual(featureShape('keogh-spectrogram'), [129, 33, 3]);
  assert.equal(presetForInputShape([129, 1]), 'potamitis-psd');
  assert.equal(presetForInputShape([null, 129, 1]), 'potamitis-psd');
  assert.equal(presetForInputShape([129, 113, 3]), 'potamitis-spectrogram');
  assert.equal(presetForInputShape([-1, 129, 33, 3]), 'keogh-spectrogram');
  assert.throws(
    () => presetForInputShape([null, 28, 28, 1]),
    (e: unknown) => {
      assert.ok(e instanceof WingbeatsError);
      assert.equal(e.code, 'SHAPE_MISMATCH');
      assert.match(
        e.message,
        /^No feature preset produces a model input of shape \[,28,28,1\]: the presets give potamitis-psd \[129,1\], potamitis-spectrogram \[129,113,3\]/,
      );
      return true;
    },
  );
});

test(
  'the Potamitis presets reproduce the PSD and spectrogram references of the real recording (first window)',
  { skip: skipWithoutShared('reference/welch') },
  async () => {
    const rec = await readWavFile(path.join(recordingsDir, 'An.Dirus_1F_5D_25C_SmallCylinder_Cut12.wav'));
    const welch = readJson(path.join(referenceDir, 'welch', 'f_real_andirus_8k.json'));
    const psd = featuresFromRecording(rec, 'potamitis-psd', { windows: 'first' });
    assert.equal(psd.start, 0);
    assert.deepEqual(psd.shape, [129, 1]);
    for (let k = 0; k < 129; k++)
      assert.ok(
        Math.abs(psd.data[k] - welch.potamitis.psd_db[k]) < 1e-4,
        `bin ${k}: ${psd.data[k]} vs ${welch.potamitis.psd_db[k]}`,
      );
    const spec = readJson(path.join(referenceDir, 'spectrogram', 'f_real_andirus_8k.json'));
    const image = featuresFromRecording(rec, 'potamitis-spectrogram', { windows: 'first' });
    assert.deepEqual(image.shape, [129, 113, 3]);
    for (let r = 0; r < 129; r++) {
      for (let c = 0; c < 113; c++) {
        const got = image.data[(r * 113 + c) * 3];
        assert.ok(
          Math.abs(got - spec.model_input_channel[r][c]) < 1e-4,
          `[${r},${c}] ${got} vs ${spec.model_input_channel[r][c]}`,
        );
      }
    }
  },
);

test(
  'real recordings g, h (Potamitis, 44.1 and 96 kHz) and i (Keogh, 16 kHz) give the reference PSD inputs',
  { skip: skipWithoutShared('reference/models') },
  async () => {
    const inputs = readJson(path.join(referenceDir, 'models', 'psd_inputs.json')).inputs;
    const cases = [
      ['g_real_aeaegypti_f_8k/potamitis_psd_db', 'potamitis-psd'],
      ['h_real_cxquin_f_8k/potamitis_psd_db', 'potamitis-psd'],
      ['i_real_andirus_16k/keogh_psd_db', 'keogh-psd'],
    ] as const;
    for (const [key, preset] of cases) {
      const entry = inputs[key];
      const rec = await readWavFile(path.join(recordingsDir, entry.description.source_file));
      assert.equal(rec.samples.length, entry.description.source_samples);
      const f = featuresFromRecording(rec, preset, { windows: 'first' });
      for (let k = 0; k < 129; k++)
        assert.ok(Math.abs(f.data[k] - entry.values[k]) < 1e-4, `${key} bin ${k}: ${f.data[k]} vs ${entry.values[k]}`);
    }
  },
);

test(
  'every recording becomes a valid input for both Potamitis presets (shape, finite), loudest and all windows',
  { skip: skipWithoutShared('data/recordings') },
  async () => {
    const files = recordingFiles();
    assert.ok(files.length >= 6);
    for (const file of files) {
      const rec = await readWavFile(file);
      for (const preset of ['potamitis-psd', 'potamitis-spectrogram'] as const) {
        const f = featuresFromRecording(rec, preset);
        assert.deepEqual(f.shape, featureShape(preset), `${file} ${preset}`);
        assert.equal(
          f.data.length,
          f.shape.reduce((a, b) => a * b, 1),
        );
        assert.ok(f.data.every(Number.isFinite), `${path.basename(file)} ${preset}: non-finite value`);
        assert.equal(f.sampleRate, 8000);
        assert.ok(f.start >= 0 && f.start + 5000 <= Math.ceil((rec.samples.length * 8000) / rec.sampleRate));
      }
      const all = featuresFromRecording(rec, 'potamitis-psd', { windows: 'all' });
      assert.equal(all.length, Math.floor(Math.ceil((rec.samples.length * 8000) / rec.sampleRate) / 5000));
      assert.deepEqual(
        all.map((w) => w.start),
        all.map((_, i) => i * 5000),
      );
    }
  },
);

test('loudest window: the highest-RMS window is chosen and reported', () => {
  const rate = 8000;
  const x = new Float32Array(20000);
  for (let n = 9000; n < 14000; n++) x[n] = Math.sin((2 * Math.PI * 500 * n) / rate);
  const f = featuresFromRecording({ samples: x, sampleRate: rate }, 'potamitis-psd');
  assert.equal(f.start, 9000);
  assert.equal(f.startSeconds, 9000 / rate);
  assert.equal(loudestWindowStart([0, 0, 3, 4, 0], 2), 2);
  assert.equal(loudestWindowStart([1, 1, 1, 1], 2), 0);
});

test('short recordings are refused with a clear message, or zero-padded on request', () => {
  const rec = {
    samples: Float32Array.from({ length: 3000 }, (_, i) => Math.sin(i / 3)),
    sampleRate: 8000,
    name: 'short.wav',
  };
  assert.throws(
    () => featuresFromRecording(rec, 'potamitis-psd'),
    (e: unknown) => {
      assert.ok(e instanceof WingbeatsError);
      assert.equal(
        e.message,
        "Recording 'short.wav' is too short for preset 'potamitis-psd': 3000 samples at 8000 Hz (0.375 s) after resampling, but a window needs 5000 (0.625 s). Pass pad: true (CLI: --pad) to zero-pad it.",
      );
      return true;
    },
  );
  const f = featuresFromRecording(rec, 'potamitis-psd', { pad: true });
  assert.equal(f.paddedSamples, 2000);
  assert.ok(f.data.every(Number.isFinite));
});

test('silent windows, unknown presets and custom settings', () => {
  const silent = { samples: new Float32Array(6000), sampleRate: 8000 };
  assert.throws(
    () => featuresFromRecording(silent, 'keogh-psd'),
    /The recording is silent in the window starting at sample 0 \(all 1680 samples are 0\)/,
  );
  assert.throws(
    () => featuresFromRecording(silent, 'potamitis' as never),
    /Argument 'preset' passed to 'featuresFromRecording' must be one of potamitis-psd, potamitis-spectrogram, keogh-psd, keogh-spectrogram or a settings object but got 'potamitis'\./,
  );
  const noisy = {
    samples: Float32Array.from({ length: 8000 }, (_, i) => Math.sin(i * 0.37) + 0.3 * Math.sin(i * 1.9)),
    sampleRate: 8000,
  };
  const custom = featuresFromRecording(noisy, { ...FEATURE_PRESETS['keogh-spectrogram'], windowLength: 2048 });
  assert.equal(custom.preset, 'custom');
  assert.deepEqual(custom.shape, [129, 43, 3]);
  assert.deepEqual(custom.shape, featureShape({ ...FEATURE_PRESETS['keogh-spectrogram'], windowLength: 2048 }));
  // computeFeatures on a window at the preset rate equals the recording path with windows 'first'.
  const direct = computeFeatures(noisy.samples.subarray(0, 5000), 'potamitis-psd');
  assert.deepEqual(direct.data, featuresFromRecording(noisy, 'potamitis-psd', { windows: 'first' }).data);
});

test('normalisePeak divides by max |x| and refuses silence', () => {
  assert.deepEqual(Array.from(normalisePeak([0.5, -2, 1])), [0.25, -1, 0.5]);
  assert.throws(
    () => normalisePeak([0, 0]),
    /must not be all zeros \(a silent recording cannot be peak-normalised\) but all 2 samples are 0\./,
  );
});
