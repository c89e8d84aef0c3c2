/**
 * Chart definitions (a colour bar's gradient) get ids counted per process by Vega; `restartChartIds` (called at the
 * start of every report) makes a document's SVG the same whatever the process drew before.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import type { TopLevelSpec } from 'vega-lite';
import { renderChartSvg, restartChartIds } from '../../src/render/chart-svg.js';

const HEATMAP: TopLevelSpec = {
  data: { values: [0, 1, 2, 3].map((i) => ({ x: i % 2, y: Math.floor(i / 2), v: i })) },
  mark: 'rect',
  encoding: {
    x: { field: 'x', type: 'ordinal' },
    y: { field: 'y', type: 'ordinal' },
    color: { field: 'v', type: 'quantitative' },
  },
};

test('a restart of the chart ids makes the same chart give the same SVG; without it the gradient id moves on', async () => {
  restartChartIds();
  const first = await renderChartSvg(HEATMAP);
  assert.match(first, /<linearGradient id="gradient_0"/);
  const second = await renderChartSvg(HEATMAP);
  assert.notEqual(second, first, 'ids stay unique within a document');
  restartChartIds();
  assert.equal(await renderChartSvg(HEATMAP), first);
});
