import * as tf from '@tensorflow/tfjs';
import assert from 'node:assert/strict';
import { existsSync, statSync } from 'node:fs';
import { basename } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { guidedBackprop } from '../../src/attribution/guided-backprop.js';
import { disposeAttribution } from '../../src/attribution/types.js';
import type { ExplainableModel } from '../../src/execution/explainable-model.js';
import { demoAssetPaths, loadDemoModel, readDemoModelMetadata } from '../../src/node/demo-assets.js';
import { DEMO_SPECIES, synthesizeDataset } from '../../src/demo/synthesize.js';
import { featuresFromRecording, type RecordingLike } from '../../src/signal/features.js';
import { readWavFile } from '../../src/node/read-wav-file.js';
import { useWasm } from '../helpers.js';

/** Potamitis PSD inputs of recordings as one [n, 129, 1] tensor. */
function inputs(recordings: RecordingLike[]): tf.Tensor3D {
  const data = new Float32Array(recordings.length * 129);
  recordings.forEach((rec, i) => data.set(featuresFromRecording(rec, 'potamitis-psd').data, i * 129));
  return tf.tensor3d(data, [recordings.length, 129, 1]);
}

/** Predicted class indices (the model's own executor, inference mode). */
function classify(model: ExplainableModel, x: tf.Tensor3D): number[] {
  const { scores } = model.predict(x, { scores: 'probabilities' });
  const predicted = tf.tidy(() => Array.from(tf.argMax(scores, 1).dataSync()));
  scores.dispose();
  return predicted;
}

describe('shipped demo assets', () => {
  let model: ExplainableModel;
  before(async () => {
    await useWasm();
    model = await loadDemoModel();
  });
  after(() => model?.layersModel?.dispose());

  it('are found relative to the package root, and are small', () => {
    const paths = demoAssetPaths();
    for (const file of [paths.modelJson, paths.labels, paths.metadata]) assert.ok(existsSync(file), `${file} exists`);
    assert.ok(statSync(paths.modelJson).size + statSync(`${paths.modelDir}/weights.bin`).size < 100_000);
    assert.deepEqual(
      paths.recordings.map((p) => basename(p)),
      DEMO_SPECIES.map((s) => `${s}_synthetic.wav`).sort(),
    );
    for (const file of paths.recordings) assert.ok(statSync(file).size < 150_000, `${file} is small`);
  });

  it('loads as an explainable model: input [129,1], one species head with 6 labels, Dropout and ReLU layers', async () => {
    assert.deepEqual(model.inputShape, [129, 1]);
    assert.deepEqual(model.outputNames, ['species']);
    assert.deepEqual(model.labels(0), [...DEMO_SPECIES]);
    assert.equal(model.name, 'wingbeats-demo');
    assert.equal(model.info.preset, 'potamitis-psd');
    assert.ok(model.endsInSoftmax(0));
    const classes = model.layersModel!.layers.map((l) => l.getClassName());
    assert.ok(classes.includes('Dropout'), `layers: ${classes.join(', ')}`);
    assert.ok(classes.includes('ReLU'));
    assert.deepEqual(model.layersModel!.outputs[0].shape, [null, 6]);
    const metadata = await readDemoModelMetadata();
    assert.deepEqual(metadata.inputShape, [129, 1]);
    assert.ok(metadata.training.testAccuracy >= 0.7);
  });

  it('classifies freshly synthesized recordings (a seed not used in training) well above chance', () => {
    const before = tf.memory().numTensors;
    const recordings = synthesizeDataset({ perSpecies: 10, seed: 'demo-test-fresh' });
    const x = inputs(recordings);
    const predicted = classify(model, x);
    x.dispose();
    const correct = predicted.filter((p, i) => p === recordings[i].label).length;
    assert.ok(correct / recordings.length >= 0.7, `accuracy ${correct}/${recordings.length}`);
    assert.equal(tf.memory().numTensors, before, 'no tensor leak');
  });

  it('has a working Monte-Carlo dropout (samples differ, batch norm in inference mode)', () => {
    const before = tf.memory().numTensors;
    const x = inputs(synthesizeDataset({ perSpecies: 1, seed: 'demo-test-mc' }));
    const { scores, std } = model.predict(x, { samples: 8, seed: 1, scores: 'probabilities' });
    const stdMax = tf.tidy(() => tf.max(std!).dataSync()[0]);
    assert.ok(stdMax > 0, 'MC-dropout samples differ');
    tf.dispose([x, scores, std!]);
    assert.equal(tf.memory().numTensors, before, 'no tensor leak');
  });

  it('can be explained with guided backprop (its ReLU layers take the guided rule)', async () => {
    const before = tf.memory().numTensors;
    const x = inputs(synthesizeDataset({ perSpecies: 1, seed: 'demo-test-gbp' }));
    const result = await guidedBackprop(model, x);
    assert.deepEqual(result.attributions.shape, [6, 129, 1]);
    assert.equal(result.targets.length, 6);
    const finite = tf.tidy(() => tf.all(tf.isFinite(result.attributions)).dataSync()[0]);
    const nonZero = tf.tidy(() => tf.max(tf.abs(result.attributions)).dataSync()[0]);
    assert.equal(finite, 1);
    assert.ok(nonZero > 0);
    x.dispose();
    disposeAttribution(result);
    assert.equal(tf.memory().numTensors, before, 'no tensor leak');
  });

  it('ships recordings that decode at 44.1 kHz, 0.75 s, and go through the Potamitis pipeline', async () => {
    const recordings = await Promise.all(demoAssetPaths().recordings.map((p) => readWavFile(p)));
    for (const rec of recordings) {
      assert.equal(rec.sampleRate, 44100);
      assert.equal(rec.samples.length, 33075);
      assert.equal(rec.channels, 1);
      assert.equal(rec.bitsPerSample, 16);
      const features = featuresFromRecording(rec, 'potamitis-psd');
      assert.deepEqual(features.shape, [129, 1]);
    }
    const x = inputs(recordings);
    const predicted = classify(model, x);
    x.dispose();
    const expected = recordings.map((r) =>
      DEMO_SPECIES.indexOf(r.name!.replace('_synthetic.wav', '') as (typeof DEMO_SPECIES)[number]),
    );
    const correct = predicted.filter((p, i) => p === expected[i]).length;
    assert.ok(correct >= 5, `demo recordings classified correctly: ${correct}/6 (${predicted.join(',')})`);
  });
});
