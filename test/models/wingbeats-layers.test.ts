/**
 * The wingbeats custom layers: a full Keras model that uses them loads from its model_config and equals the
 * weights-only reconstruction; TensorFlow.js model.json round trip (path and bytes); the tfjs call() path agrees
 * with the adapter; guided ReLU reaches the ReLUs inside the blocks.
 */
import * as tf from '@tensorflow/tfjs';
import assert from 'node:assert/strict';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { after, before, describe, test } from 'node:test';
import { ExplainableModel } from '../../src/execution/explainable-model.js';
import type { ExecutionSettings } from '../../src/execution/execution-settings.js';
import { guidedRelu } from '../../src/rules/guided-relu.js';
import { readKerasH5 } from '../../src/models/hdf5.js';
import { loadModel } from '../../src/models/load-model.js';
import { assertClose, sharedDir, skipWithoutShared, useWasm } from '../helpers.js';
import { writeKerasH5 } from './write-keras-h5.js';

const dir = mkdtempSync(join(tmpdir(), 'wingbeats-layers-'));
const source = resolve(sharedDir, 'models', 'Keogh/Keogh_9/psd/SimpleEmbCls/SimpleEmbCls_psd_9.h5');

function node(
  name: string,
  className: string,
  config: Record<string, unknown>,
  from?: string,
): Record<string, unknown> {
  return {
    class_name: className,
    name,
    config: { name, ...config },
    inbound_nodes: from === undefined ? [] : [[[from, 0, 0, {}]]],
  };
}

/** Keras config of SimpleEmbCls over the custom layers, as Keras would write it for a full model. */
const simpleEmbClsConfig = {
  class_name: 'Functional',
  config: {
    name: 'SimpleEmbCls',
    layers: [
      node('psd', 'InputLayer', { batch_input_shape: [null, 129, 1], dtype: 'float32' }),
      node('CNN_Blocks_SimpleEmbCls', 'CNN1D', { drop_rate: 0.5, monte_carlo_dropout: false, trainable: true }, 'psd'),
      node('dense_emb', 'Dense', { units: 9, activation: 'linear' }, 'CNN_Blocks_SimpleEmbCls'),
      node('embedding', 'L2_Norm', {}, 'dense_emb'),
      node('dense_species', 'DenseBlock', { units: 9, reg_param: 0.001 }, 'dense_emb'),
      node('species', 'Activation', { activation: 'softmax' }, 'dense_species'),
    ],
    input_layers: [['psd', 0, 0]],
    output_layers: [
      ['embedding', 0, 0],
      ['species', 0, 0],
    ],
  },
};

function outputs(model: ExplainableModel, x: tf.Tensor): number[][] {
  return model.outputNames.map((output) =>
    tf.tidy(() => Array.from(model.run(x, { output, scores: 'logits' }).dataSync())),
  );
}

describe('wingbeats custom layers in real models', { skip: skipWithoutShared }, () => {
  let reference: ExplainableModel;
  let x: tf.Tensor;
  before(async () => {
    await useWasm();
    reference = await loadModel(source);
    x = tf.randomNormal([3, 129, 1], -80, 15, 'float32', 21);
  });
  after(() => {
    reference?.layersModel?.dispose();
    x?.dispose();
    rmSync(dir, { recursive: true, force: true });
  });

  test('a full model built from CNN1D, DenseBlock and L2_Norm loads from model_config (auto-numbered sublayer names too)', async () => {
    const contents = await readKerasH5(new Uint8Array(readFileSync(source)));
    // Keras numbers unnamed sublayers globally; another session would have written dense_species/dense_3/...
    const layers = contents.layerNames.map((name) => [
      name,
      (contents.weights.get(name) ?? []).map((w) => ({
        ...w,
        name: w.name.replace('/batch_normalization/', '/batch_normalization_4/').replace('/dense/', '/dense_3/'),
      })),
    ]) as [string, { name: string; shape: number[]; values: Float32Array }[]][];
    const path = join(dir, 'SimpleEmbCls_full_9.h5');
    await writeKerasH5(path, layers, simpleEmbClsConfig);
    const model = await loadModel(path);
    try {
      assert.equal(model.info.format, 'keras-h5');
      assert.equal(model.info.dataset, 'keogh-9');
      assert.deepEqual(model.outputNames, ['embedding', 'species']);
      assert.equal(model.labels(1)?.[0], 'beetles');
      const a = outputs(model, x);
      const b = outputs(reference, x);
      a.forEach((values, i) => assertClose(values, b[i], 0, 0, model.outputNames[i]));
    } finally {
      model.layersModel?.dispose();
    }
  });

  test('the tfjs call() path (model.predict) agrees with the adapter', () => {
    const model = reference.layersModel as tf.LayersModel;
    const predicted = model.predict(x) as tf.Tensor[];
    const probabilities = tf.tidy(() =>
      Array.from(reference.run(x, { output: 'species', scores: 'probabilities' }).dataSync()),
    );
    assertClose(predicted[1].dataSync(), probabilities, 1e-6, 0, 'species');
    tf.dispose(predicted);
  });

  test('TensorFlow.js model.json round trip: from a path and from bytes', async () => {
    const model = reference.layersModel as tf.LayersModel;
    let saved: tf.io.ModelArtifacts | undefined;
    await model.save(
      tf.io.withSaveHandler(async (artifacts) => {
        saved = artifacts;
        return { modelArtifactsInfo: { dateSaved: new Date(), modelTopologyType: 'JSON' } };
      }),
    );
    const artifacts = saved as tf.io.ModelArtifacts;
    const json = {
      modelTopology: artifacts.modelTopology,
      format: 'layers-model',
      weightsManifest: [{ paths: ['weights.bin'], weights: artifacts.weightSpecs }],
    };
    const jsonPath = join(dir, 'keogh_9', 'model.json');
    (await import('node:fs')).mkdirSync(join(dir, 'keogh_9'), { recursive: true });
    writeFileSync(jsonPath, JSON.stringify(json));
    writeFileSync(join(dir, 'keogh_9', 'weights.bin'), new Uint8Array(artifacts.weightData as ArrayBuffer));
    const fromPath = await loadModel(jsonPath);
    const fromBytes = await loadModel(new TextEncoder().encode(JSON.stringify(json)), {
      fileName: 'keogh/model.json',
      weightData: artifacts.weightData as ArrayBuffer,
    });
    try {
      for (const loaded of [fromPath, fromBytes]) {
        assert.equal(loaded.info.format, 'tfjs-layers');
        assert.equal(loaded.info.dataset, 'keogh-9');
        assert.deepEqual(loaded.outputNames, ['embedding', 'species']);
        const a = outputs(loaded, x);
        outputs(reference, x).forEach((values, i) => assertClose(a[i], values, 0, 0, loaded.outputNames[i]));
      }
    } finally {
      fromPath.layersModel?.dispose();
      fromBytes.layersModel?.dispose();
    }
  });

  test('guided ReLU reaches the ReLUs inside the conv blocks', () => {
    const gradient = (execution?: ExecutionSettings): number[] =>
      tf.tidy(() => {
        const f = (input: tf.Tensor): tf.Scalar =>
          tf.sum(tf.mul(reference.run(input, { output: 'species', execution }), tf.oneHot([0], 9))) as tf.Scalar;
        return Array.from(tf.grad(f)(x.slice(0, 1)).dataSync());
      });
    const plain = gradient();
    const guided = gradient({ rules: [guidedRelu] });
    assert.notDeepEqual(guided, plain);
    assert.deepEqual(gradient(), plain, 'the rule applied to that call only');
  });
});
