/** `explain` with grad-cam, guided-grad-cam, occlusion, deeplift and lrp: flags from the option specs, JSON contract. */
import { before, test } from 'node:test';
import assert from 'node:assert/strict';
import * as tf from '@tensorflow/tfjs';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { gradCam } from '../../src/attribution/grad-cam.js';
import { lrp } from '../../src/attribution/lrp.js';
import { occlusion } from '../../src/attribution/occlusion.js';
import { disposeAttribution } from '../../src/attribution/types.js';
import { loadModelFile } from '../../src/node/load-model-file.js';
import { assertClose, flat, useWasm } from '../helpers.js';
import { conv1dNet, randomBatch } from '../tiny-models.js';
import { runCli, saveModelJson } from './cli-helpers.js';

before(useWasm);

const work = mkdtempSync(path.join(tmpdir(), 'wingbeats-new-methods-'));

test('explain --method grad-cam|guided-grad-cam|occlusion|deeplift|lrp: attributions in the input shape, layerMap, delta; flags reach the library', async () => {
  const net = conv1dNet(101);
  const modelFile = await saveModelJson(net, path.join(work, 'conv1d'));
  const layerName = net.layers[0].name;
  net.dispose();
  const x = randomBatch([2, 12, 2], 102);
  const inputFile = path.join(work, 'inputs.json');
  writeFileSync(inputFile, JSON.stringify(x.arraySync()));
  const run = async (...args: string[]): Promise<{ results: Record<string, unknown>[] }> => {
    const { code, stdout, stderr } = await runCli([
      'explain',
      '--model',
      modelFile,
      '--input',
      inputFile,
      '--json',
      '--quiet',
      ...args,
    ]);
    assert.equal(code, 0, stderr);
    return JSON.parse(stdout);
  };
  const model = await loadModelFile(modelFile);
  const cam = await run('--method', 'grad-cam', '--layer', layerName);
  const camApi = await gradCam(model, x, { layer: layerName });
  assert.equal(cam.results[0].layer, layerName);
  assert.deepEqual((cam.results[0].layerMap as number[]).length, 12);
  assertClose(
    cam.results.flatMap((r) => r.layerMap as number[]),
    flat(camApi.layerMap as tf.Tensor),
    1e-6,
    1e-6,
    'layerMap',
  );
  assert.deepEqual(
    [(cam.results[0].attributions as number[][]).length, (cam.results[0].attributions as number[][])[0].length],
    [12, 2],
  );
  disposeAttribution(camApi);
  const guided = await run('--method', 'guided-grad-cam');
  assert.equal(guided.results[0].layer, layerName);
  const occ = await run('--method', 'occlusion', '--window', '3', '--stride', '2');
  const occApi = await occlusion(model, x, { window: 3, stride: 2 });
  assertClose(
    occ.results.flatMap((r) => (r.attributions as number[][]).flat()),
    flat(occApi.attributions),
    1e-6,
    1e-6,
    'occlusion',
  );
  disposeAttribution(occApi);
  const dl = await run('--method', 'deeplift');
  for (const r of dl.results) assert.ok(Math.abs(r.delta as number) < 1e-4, `delta ${r.delta}`);
  const relevance = await run(
    '--method',
    'lrp',
    '--rule',
    'alpha-beta',
    '--alpha',
    '1',
    '--beta',
    '0',
    '--epsilon',
    '0.001',
    '--fold-batch-norm',
  );
  const lrpApi = await lrp(model, x, { rule: 'alpha-beta', alpha: 1, beta: 0, epsilon: 0.001, foldBatchNorm: true });
  assertClose(
    relevance.results.flatMap((r) => (r.attributions as number[][]).flat()),
    flat(lrpApi.attributions),
    1e-6,
    1e-6,
    'lrp',
  );
  disposeAttribution(lrpApi);
  const bad = await runCli([
    'explain',
    '--model',
    modelFile,
    '--input',
    inputFile,
    '--method',
    'lrp',
    '--epsilon',
    '-1',
  ]);
  assert.equal(bad.code, 1);
  assert.match(bad.stderr, /Option '--epsilon' must be a number in \[0, 1000000\] but got '-1'\./);
  model.dispose();
  x.dispose();
});
