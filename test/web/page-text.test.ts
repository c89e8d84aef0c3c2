/** The page's texts without a browser: messages keep their spaces; a JSON file that is no model is named as such. */
import { before, test } from 'node:test';
import assert from 'node:assert/strict';
import { pageMessage } from '../../web/page-message.js';
import { loadPickedModel } from '../../web/model-files.js';
import { explanationCaptionText } from '../../src/pipeline/explanation-caption.js';
import { useWasm } from '../helpers.js';

before(useWasm);

const bytes = (text: string): Uint8Array => new TextEncoder().encode(text);

test('pageMessage keeps every space before a dot and turns CLI hints into page controls', () => {
  assert.equal(
    pageMessage('Pick a Keras .keras or .h5 file, or a model.json together with its .bin weight files.'),
    'Pick a Keras .keras or .h5 file, or a model.json together with its .bin weight files.',
  );
  assert.equal(
    pageMessage("'a.wav' is shorter than one window (CLI: --pad)."),
    "'a.wav' is shorter than one window (on this page: tick 'Zero-pad short recordings').",
  );
  assert.equal(pageMessage('Resampled (CLI: --channel). See .wav notes.'), 'Resampled. See .wav notes.');
});

test("pageMessage: the background set, the preset menu and listening in the page's words", async () => {
  const tf = await import('@tensorflow/tfjs');
  const { backgroundBatch } = await import('../../src/attribution/background.js');
  const { ExplainableModel } = await import('../../src/index.js');
  const net = tf.sequential({ layers: [tf.layers.dense({ inputShape: [3], units: 2 })] });
  const model = ExplainableModel.from(net);
  try {
    const error = (() => {
      try {
        backgroundBatch('gradientShap', model, undefined);
      } catch (caught) {
        return (caught as Error).message;
      }
      return '';
    })();
    assert.equal(
      pageMessage(error),
      "Argument 'background' passed to 'gradientShap' must be a set of reference inputs (e.g. recordings of the data set; on this page: pick them under 'Background set') but got nothing.",
    );
  } finally {
    net.dispose();
  }
  assert.equal(
    pageMessage("Preset 'a' gives inputs of shape [129,1] but the model takes [64,1]; choose another --preset."),
    "Preset 'a' gives inputs of shape [129,1] but the model takes [64,1]; choose another 'Feature preset'.",
  );
  assert.equal(
    pageMessage('Listening to what the model used (--audio) needs a PSD or spectrogram-image recipe.'),
    'Listening to what the model used needs a PSD or spectrogram-image recipe.',
  );
  assert.equal(
    pageMessage("Option '--audio' needs .wav inputs explained with a feature preset, but 'x' is not one."),
    "Listening needs .wav inputs explained with a feature preset, but 'x' is not one.",
  );
});

test('a JSON file picked as the model is reported as not a model.json, not as a bad labels file', async () => {
  await assert.rejects(
    loadPickedModel([{ name: 'notes.json', bytes: bytes('{"a": 1}') }]),
    (error: Error) =>
      error.message ===
      "None of 'notes.json' is a model ('notes.json' is not a TensorFlow.js model.json: it has no modelTopology): pick a Keras .keras or .h5, or a model.json with its .bin weight files.",
  );
});

test('captions come from one function: a spectrogram baseline is mid-grey, a spectrum one 0 dB', () => {
  const spectrum = explanationCaptionText('integrated-gradients', { shape: [129, 1], delta: 0.01, relativeGap: 0.002 });
  assert.match(spectrum, /Baseline: zeros \(0 dB for a spectrum: louder than any recording;/);
  assert.match(spectrum, /Completeness gap 1\.0e-2, 0\.20 % of \|f\(x\) − f\(baseline\)\|\./);
  const image = explanationCaptionText('integrated-gradients', { shape: [129, 113, 3], delta: 0.01 });
  assert.match(image, /Baseline: zeros \(mid-grey for a spectrogram image: \|level\| 127\.5 dB;/);
  assert.doesNotMatch(image, /0 dB for a spectrum/);
  assert.doesNotMatch(explanationCaptionText('saliency', { shape: [129, 1] }), /Baseline/);
  // The SHAP methods with baselines from the data: the background set, not zeros.
  const shap = explanationCaptionText('deeplift-shap', { shape: [129, 1], delta: 1e-6, relativeGap: 1e-7 });
  assert.match(shap, /Baselines: the inputs of the background set \(f\(baseline\): the mean score over them\)\./);
  assert.doesNotMatch(shap, /zeros/);
});

test('the players: the report captions of each part', async () => {
  const { audioPartCaption } = await import('../../src/index.js');
  assert.equal(
    audioPartCaption('used', { file: 'a.used.wav', predicted: 2, predictedName: 'Ae_aegypti', probability: 0.91 }),
    'What the model used: classified as Ae_aegypti (p = 0.910)',
  );
  assert.equal(
    audioPartCaption('ignored', { file: 'a.ignored.wav', predicted: null, probability: null }),
    'What it ignored: classified as nothing (silent)',
  );
});
