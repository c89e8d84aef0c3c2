import { test } from 'node:test';
import assert from 'node:assert/strict';
import { psdExplanationSpec } from '../../src/render/psd-chart.js';
import { spectrogramExplanationSpec } from '../../src/render/spectrogram-chart.js';
import { heatmapRowSpec } from '../../src/render/heatmap-row-chart.js';
import { pixelFlippingSpec } from '../../src/render/pixel-flipping-chart.js';
import { renderChartSvg } from '../../src/render/chart-svg.js';
import { renderChartPng, svgToPng } from '../../src/node/chart-png.js';
import { heatmapRaster } from '../../src/render/heatmap-raster.js';
import { pngSize } from '../../src/render/png-encoder.js';
import { explanationTitle } from '../../src/render/chart-theme.js';
import { WingbeatsError } from '../../src/util/errors.js';
import { COLS, ROWS, frequencies, saliency, signed, spectrogramGrid, spectrum } from './fixtures.js';

const PNG_SIGNATURE = [137, 80, 78, 71, 13, 10, 26, 10];

test('explanation title', () => {
  assert.equal(
    explanationTitle({ className: 'Ae_aegypti', score: 0.9312, method: 'saliency' }),
    'Ae_aegypti — p = 0.93 — saliency',
  );
});

test('PSD chart renders to SVG with title and axis labels', async () => {
  const svg = await renderChartSvg(
    psdExplanationSpec({
      spectrum,
      attribution: signed,
      frequencies,
      className: 'Ae_aegypti',
      score: 0.93,
      method: 'saliency',
    }),
  );
  assert.match(svg, /^<svg/);
  assert.ok(svg.includes('Ae_aegypti — p = 0.93 — saliency'));
  assert.ok(svg.includes('Frequency (Hz)'));
  assert.ok(svg.includes('Power (dB)'));
  assert.ok(svg.includes('Attribution'));
  assert.ok(svg.includes('4,000'), 'frequency axis reaches 4000 Hz');
});

test('PSD chart PNG has the PNG signature and the SVG size times the scale', async () => {
  const spec = psdExplanationSpec({ spectrum, attribution: saliency, title: 'x' }, { width: 300, height: 120 });
  const svg = await renderChartSvg(spec);
  const [, w, h] = /width="(\d+)" height="(\d+)"/.exec(svg) ?? [];
  const png = svgToPng(svg, { scale: 2 });
  assert.deepEqual([...png.subarray(0, 8)], PNG_SIGNATURE);
  assert.deepEqual(pngSize(png), { width: 2 * Number(w), height: 2 * Number(h) });
  const png1 = await renderChartPng(spec, { scale: 1 });
  assert.deepEqual(pngSize(png1), { width: Number(w), height: Number(h) });
});

test('PSD chart rejects mismatched lengths', () => {
  assert.throws(
    () => psdExplanationSpec({ spectrum, attribution: [1, 2, 3] }),
    (e: unknown) => e instanceof WingbeatsError && e.code === 'SHAPE_MISMATCH',
  );
});

test('spectrogram chart: both layouts render with time and frequency axes', async () => {
  const grid = spectrogramGrid();
  for (const layout of ['side-by-side', 'overlay'] as const) {
    const svg = await renderChartSvg(
      spectrogramExplanationSpec(
        {
          spectrogram: grid,
          attribution: grid,
          timeRange: [0, 0.5],
          className: 'Cx_quinq',
          score: 0.7,
          method: 'guided backprop',
        },
        { layout },
      ),
    );
    assert.ok(svg.includes('Cx_quinq — p = 0.70 — guided backprop'));
    assert.ok(svg.includes('Time (s)') && svg.includes('Frequency (Hz)'));
    assert.ok(svg.includes('data:image/png;base64,'), 'heatmap embedded as raster');
  }
  assert.throws(
    () =>
      spectrogramExplanationSpec({ spectrogram: grid, attribution: { values: new Float32Array(4), rows: 2, cols: 2 } }),
    (e: unknown) => e instanceof WingbeatsError && e.code === 'SHAPE_MISMATCH',
  );
});

test('raster puts grid row 0 (highest frequency) on top, or flips for low-first', () => {
  const grid = { values: Float32Array.from([1, 1, 0, 0]), rows: 2, cols: 2 };
  const png = heatmapRaster(grid, { colormap: 'gray', domain: [0, 1] });
  const flipped = heatmapRaster(grid, { colormap: 'gray', domain: [0, 1], rowOrder: 'low-first' });
  assert.deepEqual(pngSize(png), { width: 2, height: 2 });
  // stored deflate: scanlines are readable right after the 2-byte zlib header and 5-byte block header of IDAT
  const idat = (bytes: Uint8Array) => {
    const at = Buffer.from(bytes).indexOf('IDAT');
    return [...bytes.subarray(at + 4 + 7, at + 4 + 7 + 6)];
  };
  assert.deepEqual(idat(png), [0, 254, 254, 0, 0, 0]);
  assert.deepEqual(idat(flipped), [0, 0, 0, 0, 254, 254]);
});

test('heatmap row shares one colour scale (2-D and 1-D)', async () => {
  const grid = spectrogramGrid();
  const spec = heatmapRowSpec({
    title: 'Quantile maps',
    panels: ['q25', 'q50', 'q75', 'mean', 'std'].map((title) => ({ title, grid })),
  });
  const svg = await renderChartSvg(spec);
  for (const t of ['Quantile maps', 'q25', 'q50', 'q75', 'mean', 'std']) assert.ok(svg.includes(`>${t}<`), t);
  assert.equal((svg.match(/>Heatmap</g) ?? []).length, 1, 'one legend');
  const strips = await renderChartSvg(
    heatmapRowSpec({ panels: [{ title: 'q50', grid: { values: saliency, rows: 1, cols: 129 } }] }),
  );
  assert.ok(strips.includes('Frequency (Hz)'));
  assert.equal(ROWS * COLS, grid.values.length);
});

test('pixel-flipping chart draws methods and the random band', async () => {
  const fractions = [0, 0.1, 0.2, 0.3];
  const svg = await renderChartSvg(
    pixelFlippingSpec(
      {
        fractions,
        curves: [{ method: 'saliency', scores: [0.9, 0.5, 0.3, 0.1] }],
        random: [
          [0.9, 0.85, 0.8, 0.7],
          [0.9, 0.8, 0.75, 0.72],
        ],
      },
      { band: 'std' },
    ),
  );
  assert.ok(svg.includes('saliency') && svg.includes('random (mean, ±1 sd, n = 2)'));
  assert.ok(svg.includes('Fraction of features flipped') && svg.includes('Target score'));
  assert.throws(
    () => pixelFlippingSpec({ fractions, curves: [{ method: 'a', scores: [1] }] }),
    (e: unknown) => e instanceof WingbeatsError && e.code === 'SHAPE_MISMATCH',
  );
});
