/** A preset from another data set than the model's is refused unless forced. */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { ExplainableModel } from '../../src/execution/explainable-model.js';
import { checkPresetForModel } from '../../src/models/preset-check.js';

const scores = (x: import('@tensorflow/tfjs').Tensor) => x;

test('checkPresetForModel: refuses a Keogh preset on a Potamitis model, warns when forced, passes unknown data sets', () => {
  const potamitis = ExplainableModel.from(scores, { name: 'Mosquito_CNN_PSD', info: { dataset: 'potamitis' } });
  assert.deepEqual(checkPresetForModel(potamitis, 'potamitis-psd'), []);
  assert.throws(
    () => checkPresetForModel(potamitis, 'keogh-psd'),
    (error: Error & { code?: string }) => {
      assert.equal(error.code, 'PRESET_MISMATCH');
      assert.equal(
        error.message,
        "Preset 'keogh-psd' is made for recordings of the Keogh data set, but model 'Mosquito_CNN_PSD' was trained on the Potamitis data set (its inputs come from 'potamitis-psd'). Use 'potamitis-psd', or force the preset (CLI: --force-preset) if the recordings really are like the training data.",
      );
      return true;
    },
  );
  const forced = checkPresetForModel(potamitis, 'keogh-psd', { force: true });
  assert.equal(forced.length, 1);
  assert.match(forced[0], /used anyway because the preset was forced/);
  const keogh = ExplainableModel.from(scores, { info: { dataset: 'keogh-9' } });
  assert.deepEqual(checkPresetForModel(keogh, 'keogh-spectrogram'), []);
  assert.throws(
    () => checkPresetForModel(keogh, 'potamitis-spectrogram'),
    /use 'keogh-spectrogram'|Use 'keogh-spectrogram'/,
  );
  assert.deepEqual(checkPresetForModel(ExplainableModel.from(scores), 'keogh-psd'), [], 'unknown data set');
});
