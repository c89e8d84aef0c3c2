/**
 * Class names only from evidence: a data set's names only for a recognised wingbeats architecture, names given by the
 * caller (`labels`, `--labels FILE`), otherwise `class 0` … `class N−1` with a hint; a model's own output names are
 * never renamed. Tiny models written with the project's own HDF5 writer. The data set a model was trained on also
 * decides the feature presets it takes: a preset from another data set is refused unless forced.
 */
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, test } from 'node:test';
import { loadModel } from '../../src/models/load-model.js';
import { ExplainableModel } from '../../src/execution/explainable-model.js';
import { checkPresetForModel } from '../../src/models/preset-check.js';
import { rejectsWithoutLeaks, repoRoot, useWasm, withoutLeaks } from '../helpers.js';
import { runCli } from '../cli/cli-helpers.js';
import { writeKerasH5 } from './write-keras-h5.js';

const dir = mkdtempSync(join(tmpdir(), 'wingbeats-labels-'));
after(() => rmSync(dir, { recursive: true, force: true }));
before(useWasm);

/** A Sequential (or its subclass `rootClass`) over [4]: Dense 'dense' with `classes` units and softmax. */
async function writeClassifier(path: string, classes: number, rootClass = 'Sequential'): Promise<string> {
  await writeKerasH5(
    path,
    [
      [
        'dense',
        [
          {
            name: 'dense/kernel:0',
            shape: [4, classes],
            values: Float32Array.from({ length: 4 * classes }, (_, i) => ((i * 7) % 5) / 10 - 0.2),
          },
          { name: 'dense/bias:0', shape: [classes], values: new Float32Array(classes) },
        ],
      ],
    ],
    {
      class_name: rootClass,
      config: {
        name: 'sequential',
        layers: [
          {
            class_name: 'Dense',
            config: { name: 'dense', units: classes, activation: 'softmax', batch_input_shape: [null, 4] },
          },
        ],
      },
    },
  );
  return path;
}

const classNames = (n: number): string[] => Array.from({ length: n }, (_, k) => `class ${k}`);

describe('class names only from evidence', () => {
  test('a 9-class model in a Keogh folder and a 6-class one named Potamitis get class 0…N−1, their heads keep their names', async () => {
    for (const [file, n] of [
      [join(dir, 'Keogh_emg_wrist.h5'), 9],
      [join(dir, 'potamitis_vehicle.h5'), 6],
    ] as const) {
      const model = await loadModel(await writeClassifier(file, n));
      try {
        assert.deepEqual(model.outputNames, ['dense']);
        assert.deepEqual(model.labels(0), classNames(n));
        assert.equal(model.info.labelSource, 'class-index');
        assert.equal(model.info.dataset, undefined);
      } finally {
        model.dispose();
      }
    }
  });

  test("a recognised wingbeats architecture (the original project's Mosquito_CNN class) gets its data set's names", async () => {
    const model = await loadModel(await writeClassifier(join(dir, 'Mosquito_CNN_PSD.h5'), 6, 'Mosquito_CNN_PSD'));
    try {
      assert.equal(model.info.dataset, 'potamitis');
      assert.equal(model.info.labelSource, 'dataset');
      assert.deepEqual(model.outputNames, ['species']);
      assert.equal(model.labels(0)?.[0], 'Ae_aegypti');
    } finally {
      model.dispose();
    }
  });

  test('labels given by the caller win, and are checked against the head', async () => {
    const path = await writeClassifier(join(dir, 'three.h5'), 3);
    const model = await loadModel(path, { labels: ['yes', 'no', 'noise'] });
    try {
      assert.deepEqual(model.labels(0), ['yes', 'no', 'noise']);
      assert.equal(model.info.labelSource, 'option');
    } finally {
      model.dispose();
    }
    await rejectsWithoutLeaks(
      () => loadModel(path, { labels: ['yes', 'no'] }),
      /Argument 'options.labels' passed to 'loadModel' must be 3 class names \(strings\) for head 'dense' but got 2 entries\./,
    );
    await rejectsWithoutLeaks(
      () => loadModel(path, { labels: { species: ['a', 'b', 'c'] } }),
      /must be class names per head of the model \('dense'\) but got names for a head 'species'\./,
    );
  });

  test('the CLI names classes class k with a hint to pass --labels, and reads --labels FILE (lines or JSON)', async () => {
    const model = await writeClassifier(join(dir, 'cli.h5'), 3);
    const input = join(dir, 'x.json');
    writeFileSync(input, JSON.stringify([[1, 0.5, -0.5, 2]]));
    const run = (extra: string[]) =>
      withoutLeaks(() =>
        runCli(['explain', '--model', model, '--input', input, '--method', 'gradients', '--json', ...extra]),
      );
    const plain = await run([]);
    assert.equal(plain.code, 0, plain.stderr);
    assert.match(plain.stderr, /note: 'cli\.h5' does not name its classes, .*pass --labels FILE/);
    const target = JSON.parse(plain.stdout).results[0].target as number;
    assert.equal(JSON.parse(plain.stdout).results[0].targetName, `class ${target}`);
    const names = ['yes', 'no', 'noise'];
    writeFileSync(join(dir, 'names.txt'), `${names.join('\n')}\n`);
    writeFileSync(join(dir, 'names.json'), JSON.stringify({ dense: names }));
    for (const file of ['names.txt', 'names.json']) {
      const named = await run(['--labels', join(dir, file)]);
      assert.equal(named.code, 0, named.stderr);
      assert.doesNotMatch(named.stderr, /does not name its classes/);
      assert.equal(JSON.parse(named.stdout).results[0].targetName, names[target]);
    }
    writeFileSync(join(dir, 'two.txt'), 'yes\nno\n');
    const wrong = await run(['--labels', join(dir, 'two.txt')]);
    assert.notEqual(wrong.code, 0);
    assert.match(
      wrong.stderr,
      /'options\.labels' .* must be 3 class names \(strings\) for head 'dense' but got 2 entries/,
    );
  });
});

test('names a model.json stores (userDefinedMetadata.labels) are used: the demo model keeps its own head name', async () => {
  const model = await loadModel(join(repoRoot, 'assets', 'demo-model', 'model.json'));
  try {
    assert.equal(model.info.labelSource, 'model');
    assert.deepEqual(model.outputNames, ['species']);
    assert.equal(model.labels(0)?.[4], 'Cu_pipiens');
  } finally {
    model.dispose();
  }
});

describe("a preset from another data set than the model's", () => {
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
});
