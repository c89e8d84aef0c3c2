/** Physical axes of the model inputs, and the warning for recordings resampled up from a low rate. */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { featureAxes, featureFrequencies } from '../../src/signal/feature-axes.js';
import { upsamplingWarning } from '../../src/signal/upsampling-warning.js';
import { featureShape } from '../../src/signal/presets.js';

test('featureAxes: 31.25 Hz bins up to 4 kHz for every preset; spectrogram rows descend; frame centres in seconds', () => {
  for (const preset of ['potamitis-psd', 'keogh-psd'] as const) {
    const { frequencyHz, timeS } = featureAxes(preset);
    assert.equal(frequencyHz.length, 129);
    assert.equal(frequencyHz[1], 31.25);
    assert.equal(frequencyHz[128], 4000);
    assert.equal(timeS, undefined);
  }
  const potamitis = featureAxes('potamitis-spectrogram');
  assert.equal(potamitis.frequencyHz[0], 4000, 'row 0 is the highest frequency');
  assert.equal(potamitis.frequencyHz[128], 0);
  assert.equal(potamitis.timeS?.length, featureShape('potamitis-spectrogram')[1]);
  assert.equal(potamitis.timeS?.[0], 128 / 8000);
  assert.equal(potamitis.timeS?.[112], (112 * 42 + 128) / 8000);
  const keogh = featureAxes('keogh-spectrogram');
  assert.equal(keogh.timeS?.length, 33);
  assert.equal(keogh.timeS?.[1], (36 + 256) / 16000);
  assert.deepEqual(featureFrequencies('keogh-psd').slice(0, 3), [0, 31.25, 62.5]);
});

test('upsamplingWarning: only when the recording holds nothing in part of the model input range, with the figures', () => {
  assert.equal(upsamplingWarning('a.wav', 44100, 'potamitis-psd'), undefined, 'resampled down');
  assert.equal(
    upsamplingWarning('a.wav', 8000, 'keogh-psd'),
    undefined,
    'up 2x, but 4 kHz still covers the 129 kept bins',
  );
  assert.equal(
    upsamplingWarning('a.wav', 4000, 'potamitis-psd'),
    "'a.wav' was recorded at 4000 Hz and resampled up to 8000 Hz: it holds nothing above 2000 Hz, so 64 of the 129 frequency bins (2000–4000 Hz) of the model input are empty, unlike the training data. Predictions and explanations of such recordings are unreliable.",
  );
  assert.match(
    upsamplingWarning('b.wav', 6000, 'keogh-spectrogram') ?? '',
    /recorded at 6000 Hz and resampled up to 16000 Hz: it holds nothing above 3000 Hz, so 32 of the 129/,
  );
});
