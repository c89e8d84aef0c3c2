/** Class-wise summaries against a plain computation, in one pass or many, and the Hz axis of the top bands. */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { summarizeTable, type TableScan } from '../../src/dataset/summarize.js';
import { heatmapAxis, topRegions } from '../../src/dataset/axis.js';
import { errorRows, rivalClass } from '../../src/dataset/explain-rows.js';
import { explainedClassText } from '../../src/dataset/summary-report.js';
import type { DatasetRow } from '../../src/dataset/table.js';
import { createRng } from '../../src/util/rng.js';
import { assertClose } from '../helpers.js';
import { classComparisonSpec, classProfileSpec } from '../../src/render/class-summary-chart.js';
import { renderChartSvg } from '../../src/render/chart-svg.js';
import { inputRangeWarning } from '../../src/execution/input-range.js';
import { upsamplingWarning } from '../../src/signal/upsampling-warning.js';
import { FORCED_PRESET_WARNING_MARK } from '../../src/models/preset-check.js';
import { warningKind } from '../../src/summary/input-notes.js';

/** Warning lines made by the code that makes them for `explain`. */
const FAR_OFF = inputRangeWarning('r.wav', {
  inputMean: -61,
  trainingMean: -95,
  trainingStd: 9.5,
  deviation: 3.6,
  positions: 129,
  above: 118,
  below: 0,
  threshold: 3,
  farOff: true,
}) as string;
const RESAMPLED = upsamplingWarning('r.wav', 4000, 'potamitis-psd') as string;

function makeRows(): DatasetRow[] {
  const rng = createRng(7);
  const labels = ['Aedes', 'Culex', 'Anopheles'];
  const rows: DatasetRow[] = [];
  for (let e = 0; e < 40; e++) {
    const label = labels[e % 3];
    const predicted = rng.uniform() < 0.75 ? label : labels[(e + 1) % 3];
    for (const method of ['saliency', 'gradients']) {
      const heatmap = Array.from(Float32Array.from({ length: 6 }, () => rng.uniform()));
      rows.push({
        path: `${label}/r${e}.wav`,
        index: 0,
        label,
        split: null,
        method,
        predicted,
        predictedIndex: labels.indexOf(predicted),
        target: 0,
        targetName: null,
        probabilities: null,
        scores: null,
        heads: null,
        input: [e, 2 * e, 1, 0, 0, 0],
        attributions: heatmap,
        heatmap,
        delta: null,
        error: null,
        warnings: e % 5 === 0 ? [FAR_OFF] : e % 7 === 0 ? [RESAMPLED, FAR_OFF] : e % 11 === 0 ? [RESAMPLED] : [],
      });
    }
  }
  rows.push(
    ...errorRows({ path: 'Aedes/bad.wav', label: 'Aedes', split: null }, 0, ['saliency', 'gradients'], 'broken'),
  );
  return rows;
}

/** NumPy's default (linear) quantile written out plainly. */
function quantile(values: number[], q: number): number {
  const sorted = [...values].sort((a, b) => a - b);
  const h = (sorted.length - 1) * q;
  const lo = Math.floor(h);
  const hi = Math.min(lo + 1, sorted.length - 1);
  return sorted[lo] + (h - lo) * (sorted[hi] - sorted[lo]);
}

const scanOf =
  (rows: DatasetRow[]): TableScan =>
  async (visit) =>
    rows.forEach(visit);

test('summaries equal a plain loop: mean, std, quartiles per class and method, by label and by prediction', async () => {
  const rows = makeRows();
  const summary = await summarizeTable(scanOf(rows), { heatmapShape: [6], axis: { kind: 'index' } });
  assert.equal(summary.examples, 41);
  assert.equal(summary.errors, 1);
  assert.deepEqual(summary.failed, [{ path: 'Aedes/bad.wav', index: 0, error: 'broken' }]);
  assert.deepEqual(summary.methods, ['saliency', 'gradients']);
  assert.equal(summary.classes.length, 2 * 3 * 2);
  for (const group of summary.classes) {
    const members = rows.filter(
      (r) =>
        r.error === null && r.method === group.method && (group.by === 'label' ? r.label : r.predicted) === group.label,
    );
    assert.equal(group.count, members.length);
    const far = members.filter((r) => r.warnings.some((w) => w.includes('not trained on inputs like this'))).length;
    assert.equal(group.outOfRange, far, `${group.by} ${group.label} ${group.method} out of range`);
    assert.equal(group.outOfRangeShare, far / members.length);
    for (let p = 0; p < 6; p++) {
      const values = members.map((r) => (r.heatmap as number[])[p]);
      const mean = values.reduce((a, b) => a + b, 0) / values.length;
      const std = Math.sqrt(values.reduce((a, v) => a + (v - mean) ** 2, 0) / values.length);
      assertClose(
        [group.mean[p], group.std[p]],
        [mean, std],
        1e-12,
        0,
        `${group.by} ${group.label} ${group.method} mean/std at ${p}`,
      );
      assertClose(
        [group.q25[p], group.median[p], group.q75[p], group.iqr[p]],
        [
          quantile(values, 0.25),
          quantile(values, 0.5),
          quantile(values, 0.75),
          quantile(values, 0.75) - quantile(values, 0.25),
        ],
        1e-15,
        0,
        'quartiles',
      );
    }
    const meanInput0 = members.reduce((a, r) => a + (r.input as number[])[0], 0) / members.length;
    assertClose([group.meanInput[0]], [meanInput0], 1e-12);
  }
  const first = rows.filter((r) => r.method === 'saliency' && r.error === null);
  assert.equal(summary.accuracy, first.filter((r) => r.label === r.predicted).length / first.length);
  const confusion = summary.confusion!;
  assert.deepEqual(confusion.labels, ['Aedes', 'Anopheles', 'Culex']);
  for (const [i, l] of confusion.labels.entries()) {
    for (const [j, p] of confusion.predicted.entries())
      assert.equal(confusion.counts[i][j], first.filter((r) => r.label === l && r.predicted === p).length);
  }
});

test('a small memory budget (many passes over the table) gives the same summaries as one pass', async () => {
  const rows = makeRows();
  const onePass = await summarizeTable(scanOf(rows), { heatmapShape: [6], axis: { kind: 'index' } });
  let scans = 0;
  const manyPasses = await summarizeTable(
    async (visit) => {
      scans++;
      rows.forEach(visit);
    },
    { heatmapShape: [6], axis: { kind: 'index' }, memoryValues: 200 },
  );
  assert.equal(
    scans,
    1 + 6,
    'one pass for the moments, then one per position (200 values < 2 × 80 rows × 2 positions)',
  );
  assert.deepEqual(manyPasses, onePass);
});

test('without labels the summary groups by predicted class only and has no accuracy', async () => {
  const rows = makeRows().map((r) => ({ ...r, label: null }));
  const summary = await summarizeTable(scanOf(rows), { heatmapShape: [6], axis: { kind: 'index' } });
  assert.ok(summary.classes.every((c) => c.by === 'predicted'));
  assert.equal(summary.accuracy, null);
  assert.equal(summary.confusion, null);
});

test('a heatmap of the wrong size is named', async () => {
  const rows = makeRows();
  rows[3] = { ...rows[3], heatmap: [1, 2] };
  await assert.rejects(
    summarizeTable(scanOf(rows), { heatmapShape: [6], axis: { kind: 'index' } }),
    /The heatmap of 'Culex\/r1\.wav#0' \(gradients\) has 2 values but the table's heatmaps have shape \[6\]/,
  );
});

test('top bands carry Hz from the preset: PSD bins and spectrogram cells (row 0 = highest frequency)', () => {
  const psd = heatmapAxis('potamitis-psd', [129]);
  assert.equal(psd.kind, 'psd');
  const values = new Array(129).fill(0);
  values[16] = 1;
  values[32] = 0.5;
  assert.deepEqual(topRegions(values, psd, 2), [
    { position: 16, value: 1, hz: 500, lowHz: 484.375, highHz: 515.625 },
    { position: 32, value: 0.5, hz: 1000, lowHz: 984.375, highHz: 1015.625 },
  ]);
  const spec = heatmapAxis('potamitis-spectrogram', [129, 113]);
  assert.equal(spec.kind, 'spectrogram');
  const grid = new Array(129 * 113).fill(0);
  grid[128 * 113 + 2] = 1; // last row (0 Hz), frame 2
  const [top] = topRegions(grid, spec, 1);
  assert.equal(top.hz, 0);
  assert.equal(top.seconds, (128 + 2 * 42) / 8000);
  assert.deepEqual(heatmapAxis('potamitis-psd', [50]), { kind: 'index' });
});

test('class charts: profile and comparison specs render, and arrays of the wrong length are named', async () => {
  const x = [0, 31.25, 62.5];
  const profile = {
    x,
    mean: [0.1, 0.5, 0.2],
    q25: [0, 0.4, 0.1],
    median: [0.1, 0.5, 0.2],
    q75: [0.2, 0.6, 0.3],
    meanInput: [-40, -30, -50],
  };
  const svg = await renderChartSvg(classProfileSpec(profile, { title: 'Aedes · saliency' }));
  assert.match(svg, /Aedes · saliency/);
  assert.match(svg, /Frequency \(Hz\)/);
  assert.match(
    await renderChartSvg(
      classComparisonSpec(
        x,
        [
          { label: 'Aedes', values: [1, 2, 3] },
          { label: 'Culex', values: [3, 2, 1] },
        ],
        { title: 'all' },
      ),
    ),
    /Culex/,
  );
  assert.throws(
    () => classProfileSpec({ ...profile, q75: [1] }, { title: 't' }),
    /Argument 'profile\.q75' passed to 'classProfileSpec' must be of length 3 \(as x\) but got length 1/,
  );
  assert.throws(() => classComparisonSpec(x, [{ label: 'A', values: [1] }], { title: 't' }), /classes\['A'\]\.values/);
});

test('warnings: each kind recognised, counted once per example, shares per class', async () => {
  assert.equal(warningKind(FAR_OFF), 'out-of-range');
  assert.equal(warningKind(RESAMPLED), 'resampled-up');
  assert.equal(warningKind(`Preset 'keogh-psd' is made for ...; ${FORCED_PRESET_WARNING_MARK}: ...`), 'forced-preset');
  assert.equal(warningKind('something else'), 'other');
  const rows = makeRows();
  const summary = await summarizeTable(scanOf(rows), { heatmapShape: [6], axis: { kind: 'index' } });
  const range = Array.from({ length: 40 }, (_, e) => e);
  assert.deepEqual(summary.warnings, {
    examples: range.filter((e) => e % 5 === 0 || e % 7 === 0 || e % 11 === 0).length,
    'out-of-range': range.filter((e) => e % 5 === 0 || e % 7 === 0).length,
    'resampled-up': range.filter((e) => e % 5 !== 0 && (e % 7 === 0 || e % 11 === 0)).length,
    'forced-preset': 0,
    other: 0,
  });
  assert.ok(summary.classes.some((c) => c.outOfRangeShare > 0 && c.outOfRangeShare < 1));
});

test('labels that are not classes of the model are listed apart and kept out of accuracy and confusion', async () => {
  const rows = makeRows();
  const all = await summarizeTable(scanOf(rows), { heatmapShape: [6], axis: { kind: 'index' } });
  assert.deepEqual(all.labelsOutsideModel, []);
  const summary = await summarizeTable(scanOf(rows), {
    heatmapShape: [6],
    axis: { kind: 'index' },
    classes: ['Aedes', 'Culex', 'Other'],
  });
  const first = rows.filter((r) => r.method === 'saliency' && r.error === null);
  const inside = first.filter((r) => r.label !== 'Anopheles');
  assert.deepEqual(summary.labelsOutsideModel, [{ label: 'Anopheles', examples: first.length - inside.length }]);
  assert.equal(summary.accuracy, inside.filter((r) => r.label === r.predicted).length / inside.length);
  assert.deepEqual(summary.confusion?.labels, ['Aedes', 'Culex']);
  assert.ok(
    summary.classes.some((c) => c.by === 'label' && c.label === 'Anopheles'),
    'still summarised as a class',
  );
});

test('the runner-up class (--target rival) and the words that name the explained class', () => {
  assert.equal(rivalClass([0.1, 0.7, 0.2]), 2);
  assert.equal(rivalClass([0.9, 0.05, 0.05]), 1, 'ties: the lower index');
  assert.equal(rivalClass([-1, -3, -2, 5]), 0);
  assert.equal(rivalClass([3, 3]), 1, 'a tie for the top: the first is predicted, the second is the rival');
  const labels = ['Aedes', 'Culex'];
  assert.equal(explainedClassText(null, labels), 'the predicted class');
  assert.equal(explainedClassText('label', labels), 'the true label');
  assert.equal(explainedClassText('rival', labels), 'the runner-up class (second-highest score)');
  assert.equal(explainedClassText(1, labels), "class 'Culex'");
  assert.equal(explainedClassText(3, null), "class '3'");
  assert.equal(explainedClassText('Aedes', labels), "class 'Aedes'");
});
