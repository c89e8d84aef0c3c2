/**
 * Contrast maps of a data set: each misclassified example's map of score(predicted) − score(label) (against a textbook
 * tf.grad of the margin), null for the others and for methods that cannot explain a margin; the summary's mean per
 * off-diagonal confusion cell (against a plain average of the rows); the report's section.
 */
import { before, test } from 'node:test';
import assert from 'node:assert/strict';
import * as tf from '@tensorflow/tfjs';
import { ExplainableModel } from '../../src/execution/explainable-model.js';
import { explainExamples, normalisedContrastMap, type LoadedExample } from '../../src/dataset/explain-rows.js';
import { summarizeTable } from '../../src/dataset/summarize.js';
import { contrastMapSections } from '../../src/dataset/contrast-maps-report.js';
import type { DatasetRow } from '../../src/dataset/table.js';
import { conv1dNet } from '../tiny-models.js';
import { assertClose, useWasm } from '../helpers.js';
import { createRng } from '../../src/util/rng.js';
import { contrastiveAttribution } from '../../src/attribution/contrast.js';
import { disposeAttribution } from '../../src/attribution/types.js';

before(useWasm);

const labels = ['a', 'b', 'c'];

function examples(n: number): LoadedExample[] {
  const rng = createRng(11);
  return Array.from({ length: n }, (_, i) => ({
    example: { path: `${labels[i % 3]}/${i}.npy`, label: labels[i % 3], split: null },
    inputs: [Float32Array.from({ length: 24 }, () => rng.normal())],
  }));
}

/** ∂(s_p − s_l)/∂x of one input by tf.grad through the model. */
function marginGradient(model: ExplainableModel, input: Float32Array, p: number, l: number): number[] {
  return tf.tidy(() => {
    const w = new Float32Array(3);
    w[p] = 1;
    w[l] = -1;
    const grad = tf.grad((x: tf.Tensor) => tf.sum(tf.matMul(model.run(x), tf.tensor2d(w, [3, 1]))));
    return Array.from(grad(tf.tensor(input, [1, 12, 2])).dataSync());
  });
}

test('misclassified rows carry the contrast map of score(predicted) − score(label); the summary averages them per confusion cell', async () => {
  const model = ExplainableModel.from(conv1dNet(31), { labels });
  const loaded = examples(12);
  const settings = {
    methods: ['gradients', 'input-x-gradient', 'integrated-gradients', 'guided-backprop'] as const,
    methodOptions: { steps: 7 },
    scores: 'logits' as const,
    seed: 5,
  };
  const before = tf.memory().numTensors;
  const rows = await explainExamples(model, loaded, settings);
  assert.equal(tf.memory().numTensors, before, 'no tensor leak');
  const alone: DatasetRow[] = [];
  for (const one of loaded) alone.push(...(await explainExamples(model, [one], settings)));
  assert.deepEqual(rows, alone, 'a chunk at once equals its examples one by one');
  const wrong = rows.filter((r) => r.label !== r.predicted);
  assert.ok(wrong.length > 0 && wrong.length < rows.length, 'the tiny model gets some examples wrong');
  for (const row of rows) {
    const misclassified = row.label !== row.predicted;
    if (!misclassified || row.method === 'guided-backprop') {
      assert.equal(row.contrastMap, null, `${row.path} ${row.method}: no contrast map`);
      continue;
    }
    const map = row.contrastMap as number[];
    assert.equal(map.length, 12);
    assert.equal(Math.max(...map.map(Math.abs)), 1, 'normalised by its largest |value|');
    if (row.method === 'gradients' || row.method === 'input-x-gradient') {
      const input = loaded.find((l) => l.example.path === row.path)?.inputs?.[0] as Float32Array;
      const g = marginGradient(model, input, row.predictedIndex as number, labels.indexOf(row.label as string));
      const a = row.method === 'gradients' ? g : g.map((v, i) => v * input[i]);
      assertClose(map, normalisedContrastMap(a, 2), 1e-5, 0, `${row.path} ${row.method}`);
    }
  }
  const summary = await summarizeTable(async (visit) => rows.forEach(visit), {
    heatmapShape: [12],
    axis: { kind: 'index' },
    classes: labels,
  });
  const cells = summary.confusion?.counts.flatMap((line, i) =>
    line.flatMap((n, j) => {
      const label = summary.confusion?.labels[i] as string;
      const predicted = summary.confusion?.predicted[j] as string;
      return n > 0 && label !== predicted ? [{ label, predicted, n }] : [];
    }),
  );
  assert.ok((cells?.length ?? 0) > 0);
  assert.deepEqual(
    [...new Set(summary.contrasts.map((c) => c.method))],
    ['gradients', 'input-x-gradient', 'integrated-gradients'],
  );
  for (const c of summary.contrasts) {
    const members = rows.filter((r) => r.label === c.label && r.predicted === c.predicted && r.method === c.method);
    assert.equal(c.count, cells?.find((cell) => cell.label === c.label && cell.predicted === c.predicted)?.n);
    assert.equal(c.count, members.length);
    const mean = Array.from(
      { length: 12 },
      (_, i) => members.reduce((s, r) => s + (r.contrastMap as number[])[i], 0) / c.count,
    );
    assertClose(c.mean, mean, 1e-12);
    assert.equal(c.towardsPredicted[0].value, Math.max(...mean));
    assert.equal(c.towardsLabel[0].value, Math.min(...mean));
  }
  assert.equal(summary.contrasts.length, (cells?.length ?? 0) * 3, 'every off-diagonal cell, every linear method');
  const sections = await contrastMapSections(summary);
  assert.equal(sections.length, 3);
  assert.match(sections[0].title, /What separates the confused species · gradients/);
  assert.match(JSON.stringify(sections[0].figures?.[0].image), /<svg/);
  assert.equal(sections[0].table?.rows.length, cells?.length);
  model.dispose();
});

test('the contrast maps that reuse a row of the predicted class equal those of contrastiveAttribution bit for bit, also with --target label', async () => {
  const model = ExplainableModel.from(conv1dNet(31), { labels });
  const loaded = examples(9);
  for (const target of [undefined, 'label'] as const) {
    const settings = {
      methods: ['integrated-gradients', 'input-x-gradient'] as const,
      methodOptions: { steps: 9 },
      scores: 'logits' as const,
      seed: 5,
      ...(target === undefined ? {} : { target }),
    };
    const before = tf.memory().numTensors;
    const rows = await explainExamples(model, loaded, settings);
    assert.equal(tf.memory().numTensors, before, 'no tensor leak');
    let checked = 0;
    for (const row of rows) {
      if (row.contrastMap === null) continue;
      const input = loaded.find((l) => l.example.path === row.path)?.inputs?.[0] as Float32Array;
      const x = tf.tensor(input, [1, 12, 2]);
      const result = await contrastiveAttribution(row.method as 'integrated-gradients', model, x, {
        steps: 9,
        seed: 5,
        scores: 'logits',
        target: [row.predictedIndex as number],
        contrast: [labels.indexOf(row.label as string)],
      });
      const expected = normalisedContrastMap(result.attributions.dataSync(), 2);
      disposeAttribution(result);
      x.dispose();
      assert.deepEqual(row.contrastMap, expected, `${target ?? 'predicted'} ${row.path} ${row.method}`);
      checked++;
    }
    assert.ok(checked > 0, 'some rows are misclassified');
  }
  model.dispose();
});
