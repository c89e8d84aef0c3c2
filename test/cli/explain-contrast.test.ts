/** `explain --contrast CLASS|rival`: the margin score(target) − score(contrast), as the library computes it. */
import { before, test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { contrastiveAttribution } from '../../src/attribution/contrast.js';
import { disposeAttribution } from '../../src/attribution/types.js';
import { loadModelFile } from '../../src/node/load-model-file.js';
import { assertClose, flat, useWasm } from '../helpers.js';
import { conv1dNet, randomBatch } from '../tiny-models.js';
import { runCli, saveModelJson } from './cli-helpers.js';

before(useWasm);

const work = mkdtempSync(path.join(tmpdir(), 'wingbeats-contrast-'));

test('explain --contrast: JSON carries contrast per result, attributions equal the library; non-linear methods refused', async () => {
  const net = conv1dNet(111);
  const modelFile = await saveModelJson(net, path.join(work, 'conv1d'));
  net.dispose();
  const x = randomBatch([2, 12, 2], 112);
  const inputFile = path.join(work, 'inputs.json');
  writeFileSync(inputFile, JSON.stringify(x.arraySync()));
  const base = ['explain', '--model', modelFile, '--input', inputFile, '--json', '--quiet'];
  for (const [method, contrast] of [
    ['input-x-gradient', '2'],
    ['integrated-gradients', 'rival'],
  ]) {
    const { code, stdout, stderr } = await runCli([
      ...base,
      '--method',
      method,
      '--contrast',
      contrast,
      '--target',
      '0',
    ]);
    assert.equal(code, 0, stderr);
    const document = JSON.parse(stdout) as { results: { contrast: number; attributions: number[][] }[] };
    const model = await loadModelFile(modelFile);
    const library = await contrastiveAttribution(method as 'input-x-gradient', model, x, {
      target: 0,
      contrast: contrast === 'rival' ? 'rival' : 2,
      seed: 0,
    });
    assert.deepEqual(
      document.results.map((r) => r.contrast),
      library.contrasts,
    );
    const size = 24;
    const values = flat(library.attributions);
    document.results.forEach((r, i) => assertClose(flat(r.attributions), values.slice(i * size, (i + 1) * size), 1e-6));
    disposeAttribution(library);
    model.dispose();
  }
  const refused = await runCli([...base, '--method', 'grad-cam', '--contrast', '1']);
  assert.notEqual(refused.code, 0);
  assert.match(refused.stderr, /'contrast' of 'grad-cam' is not supported/);
  const same = await runCli([...base, '--contrast', '0', '--target', '0']);
  assert.notEqual(same.code, 0);
  assert.match(same.stderr, /'--contrast'/);
  x.dispose();
});
