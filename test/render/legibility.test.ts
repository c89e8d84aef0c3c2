/**
 * Pictures a reader can read: every chart's text at least 11 px (in the SVG, and as shown in the report, which never
 * shrinks a picture), spectrogram inputs in dB with the unit on the colour bar (model units said so where the recipe
 * is unknown), the data-set comparison as a classes × frequency heatmap, and no wide empty band in any PNG.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import type { TopLevelSpec } from 'vega-lite';
import { psdExplanationSpec } from '../../src/render/psd-chart.js';
import { spectrogramExplanationSpec } from '../../src/render/spectrogram-chart.js';
import { heatmapRowSpec } from '../../src/render/heatmap-row-chart.js';
import { pixelFlippingSpec } from '../../src/render/pixel-flipping-chart.js';
import { sanityCheckSpec } from '../../src/render/sanity-chart.js';
import { classComparisonSpec, classProfileSpec } from '../../src/render/class-summary-chart.js';
import { explanationSpec, inputLevels } from '../../src/render/explanation-spec.js';
import { renderChartSvg } from '../../src/render/chart-svg.js';
import { svgToPng } from '../../src/node/chart-png.js';
import { renderReport } from '../../src/render/html-report.js';
import { waveformSvg } from '../../src/render/waveform-svg.js';
import { spectrogramImage, spectrogramImageToDb } from '../../src/signal/spectrogram-image.js';
import { stftRealPart } from '../../src/signal/stft.js';
import { computeFeatures } from '../../src/signal/features.js';
import { decodePng, emptyBands } from './png-pixels.js';
import { COLS, frequencies, saliency, signed, spectrogramGrid, spectrum } from './fixtures.js';

/** Every font size an SVG document sets (Vega writes `font-size="11px"`; hand-written SVG `font-size="11"`). */
function fontSizes(svg: string): number[] {
  return [...svg.matchAll(/font-size[=:]\s*"?([\d.]+)(px)?/g)].map((m) => Number(m[1]));
}

const grid = spectrogramGrid();
const psdInput = Float32Array.from(spectrum);
/** A Potamitis spectrogram image of a 470 Hz tone with harmonics (model units: about −1 … −0.6). */
const tone = Float64Array.from(
  { length: 5000 },
  (_, i) => Math.sin((2 * Math.PI * 470 * i) / 8000) + 0.01 * Math.cos(i),
);
const image = computeFeatures(tone, 'potamitis-spectrogram');

const charts: Record<string, () => TopLevelSpec> = {
  psd: () => psdExplanationSpec({ spectrum, attribution: signed, frequencies, method: 'saliency' }),
  'spectrogram side by side': () => spectrogramExplanationSpec({ spectrogram: grid, attribution: grid }),
  'spectrogram overlay': () =>
    spectrogramExplanationSpec({ spectrogram: grid, attribution: grid }, { layout: 'overlay' }),
  'spectrogram overlay with the input in dB': () =>
    spectrogramExplanationSpec(
      { spectrogram: grid, attribution: grid },
      { layout: 'overlay', spectrogramLabel: 'mean input, |level| (dB)' },
    ),
  'quantile maps 2-D': () =>
    heatmapRowSpec({
      panels: ['q25', 'median (q50)', 'q75', 'mean'].map((title) => ({ title, grid })),
      title: 'saliency under Monte-Carlo dropout',
      subtitle: 'target Cu_pipiens; 8 samples',
      timeRange: [0.016, 0.62],
    }),
  'quantile maps 1-D': () =>
    heatmapRowSpec({
      panels: ['q25', 'median (q50)', 'q75', 'mean'].map((title) => ({
        title,
        grid: { values: Float32Array.from(saliency), rows: 1, cols: saliency.length },
      })),
      title: 'saliency under Monte-Carlo dropout',
      subtitle: 'target Cu_pipiens; 8 samples',
    }),
  'pixel flipping': () =>
    pixelFlippingSpec({
      fractions: [0, 0.25, 0.5, 1],
      curves: [{ method: 'saliency', scores: [0.9, 0.5, 0.3, 0.1] }],
      random: [[0.9, 0.85, 0.8, 0.7]],
    }),
  sanity: () =>
    sanityCheckSpec({
      layers: ['dense', 'conv2', 'conv1'],
      curves: [{ method: 'saliency', values: [1, 0.9, 0.5, 0.2] }],
    }),
  'class profile': () =>
    classProfileSpec(
      { x: frequencies, mean: saliency, q25: saliency, median: saliency, q75: saliency, meanInput: spectrum },
      { title: 'Aedes · saliency' },
    ),
  'class comparison': () =>
    classComparisonSpec(
      frequencies,
      ['Ae_aegypti', 'Ae_albopictus', 'An_arabiensis', 'An_gambiae', 'Cu_pipiens'].map((label, k) => ({
        label,
        values: Float64Array.from(saliency, (v, i) => v * (1 + 0.1 * k) + 0.05 * ((i * (k + 3)) % 7)),
      })),
      { title: 'Mean heatmap per true class · saliency' },
    ),
  'explanation of a spectrogram (preset)': () =>
    explanationSpec({
      input: image.data,
      shape: image.shape,
      attributions: image.data,
      heatmap: new Float32Array(image.shape[0] * image.shape[1]).fill(0.5),
      signed: true,
      method: 'gradients',
      preset: 'potamitis-spectrogram',
    }),
};

for (const [name, chart] of Object.entries(charts)) {
  test(`${name}: every text at least 11 px, no wide empty band in its PNG`, async () => {
    const svg = await renderChartSvg(chart());
    const sizes = fontSizes(svg);
    assert.ok(sizes.length > 0, 'the chart has text');
    assert.ok(Math.min(...sizes) >= 11, `smallest text ${Math.min(...sizes)} px`);
    const bands = emptyBands(decodePng(svgToPng(svg, { scale: 1 })));
    assert.ok(bands.widestRows < 0.1, `widest empty band of rows: ${(100 * bands.widestRows).toFixed(1)} %`);
    assert.ok(bands.widestCols < 0.1, `widest empty band of columns: ${(100 * bands.widestCols).toFixed(1)} %`);
    assert.ok(bands.rows < 0.3 && bands.cols < 0.3, `empty rows ${bands.rows}, empty columns ${bands.cols}`);
  });
}

test('the waveform under a recording labels it in 11 px', () => {
  const svg = waveformSvg([0, 1, -1, 0.5], { width: 360, height: 64, sampleRate: 8000 });
  assert.deepEqual(fontSizes(svg), [11]);
});

test('a spectrogram image goes back to the level in dB it encodes: |10·log10|Re STFT|| to float32 rounding', () => {
  const options = { frameLength: 256, frameStep: 42, bins: 129 };
  const { data, shape } = spectrogramImage(tone, options);
  const { real, frames, bins } = stftRealPart(tone, options);
  const db = spectrogramImageToDb(data);
  const [rows, cols] = shape;
  assert.deepEqual([rows, cols], [bins, frames]);
  let worst = 0;
  for (let t = 0; t < frames; t++)
    for (let k = 0; k < bins; k++) {
      const expected = real[t * bins + k] === 0 ? 0 : Math.abs(10 * Math.log10(Math.abs(real[t * bins + k])));
      const got = db[((bins - 1 - k) * frames + t) * 3];
      // x = dB / 127.5 − 1 is rounded to float32 (ulp 2^-24 near 1, 6e-8 · 127.5 ≈ 1e-5 dB), dB itself too.
      worst = Math.max(worst, Math.abs(got - expected) / Math.max(1, expected));
    }
  assert.ok(worst < 2e-5, `worst relative error ${worst}`);
  assert.deepEqual(Array.from(spectrogramImageToDb([-1, -0.6])), [0, Math.fround(Math.fround(0.4) * 127.5)]);
});

test('spectrogram input panel: dB with a dB colour bar for a preset, "model units" otherwise', async () => {
  const picture = {
    input: image.data,
    shape: image.shape,
    attributions: image.data,
    heatmap: new Float32Array(image.shape[0] * image.shape[1]),
    signed: true,
    method: 'gradients',
  };
  const withPreset = await renderChartSvg(explanationSpec({ ...picture, preset: 'potamitis-spectrogram' }));
  assert.ok(withPreset.includes('|level| (dB)'), 'colour bar labelled in dB');
  // The legend's values are levels in dB (tens), not model units (−1 … −0.6).
  const inputLegend = inputLevels(image.data, 'potamitis-spectrogram');
  const levels = Array.from(inputLegend.values);
  assert.ok(
    Math.min(...levels) >= 0 && Math.max(...levels) > 20,
    `levels ${Math.min(...levels)} … ${Math.max(...levels)}`,
  );
  assert.ok(!/>-0\.[6-9]\d*</.test(withPreset), 'no legend label in model units');
  const unknown = await renderChartSvg(explanationSpec(picture));
  assert.ok(unknown.includes('Input (model units)'), 'an input of unknown make says model units');
  const psd = await renderChartSvg(
    explanationSpec({
      input: psdInput,
      shape: [psdInput.length, 1],
      attributions: psdInput,
      heatmap: psdInput,
      signed: true,
      method: 'gradients',
      preset: 'potamitis-psd',
    }),
  );
  assert.ok(psd.includes('Power (dB)'));
});

test('the overlay gives the grey input its own labelled colour bar when it has a unit', async () => {
  const svg = await renderChartSvg(charts['spectrogram overlay with the input in dB']());
  assert.ok(svg.includes('mean input, |level| (dB)') && svg.includes('Attribution'), 'two colour bars');
  const plain = await renderChartSvg(charts['spectrogram overlay']());
  assert.ok(!plain.includes('Input'), 'no input colour bar without a label');
});

test('class comparison is one heatmap row per class, in the given order, on one colour scale', async () => {
  const spec = charts['class comparison']() as { mark: { type: string }; height: number };
  assert.equal(spec.mark.type, 'rect');
  assert.equal(spec.height, 5 * 22);
  const svg = await renderChartSvg(spec as TopLevelSpec);
  const order = ['Ae_aegypti', 'Ae_albopictus', 'An_arabiensis', 'An_gambiae', 'Cu_pipiens'].map((l) => svg.indexOf(l));
  assert.ok(order.every((at) => at > 0));
  assert.ok(svg.includes('Mean heatmap'), 'one legend titled Mean heatmap');
  assert.ok(!svg.includes('<path') || !/stroke-width="1.8"/.test(svg), 'no overlapping lines');
});

test('class comparison draws descending positions (spectrogram rows) on an ascending axis, values kept with their x', () => {
  const spec = classComparisonSpec([4000, 2000, 0], [{ label: 'A', values: [3, 2, 1] }], { title: 't' }) as unknown as {
    data: { values: { x: number; x0: number; x1: number; value: number }[] };
    encoding: { x: { scale: { domain: number[] } } };
  };
  assert.deepEqual(
    spec.data.values.map((v) => [v.x, v.value, v.x0, v.x1]),
    [
      [0, 1, -1000, 1000],
      [2000, 2, 1000, 3000],
      [4000, 3, 3000, 5000],
    ],
  );
  assert.deepEqual(spec.encoding.x.scale.domain, [-1000, 5000]);
});

test('the report shows every picture at its chart size (never shrunk below its 11 px text)', async () => {
  const svg = await renderChartSvg(charts.psd());
  const natural = /<svg[^>]*\swidth="([\d.]+)"/.exec(svg)?.[1];
  const html = renderReport({
    title: 't',
    items: [{ name: 'a', explanations: [{ image: { svg }, caption: 'c' }], features: { image: { svg } } }],
  });
  assert.ok(html.includes(`width="${Math.round(Number(natural))}"`), 'img width is the SVG width');
  assert.match(html, /figure img\{max-width:none/);
  assert.ok(!/img\{[^}]*max-width:100%/.test(html), 'pictures are not scaled to their column');
  assert.equal(COLS, 40);
});
