/**
 * Charts: the PSD, spectrogram, heatmap-row and pixel-flipping specs render to SVG and PNG with their titles, axes and
 * colour scales. Chart definitions (a colour bar's gradient) get ids counted per process by Vega; `restartChartIds`
 * (called at the start of every report) makes a document's SVG the same whatever the process drew before. Pictures of
 * inputs made with custom feature settings (`--features FILE.json`) label their axes from that recipe, not from a
 * preset: a PSD's bins at its own rate and FFT length, mel bands at their centres (in the recipe's row order), frames
 * at the recipe's own hop; the axis numbers are checked in the spec and in the rendered SVG.
 * Pictures a reader can read: every chart's text at least 11 px (in the SVG, and as shown in the report, which never
 * shrinks a picture), spectrogram inputs in dB with the unit on the colour bar (model units said so where the recipe
 * is unknown), the data-set comparison as a classes × frequency heatmap, and no wide empty band in any PNG.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { psdExplanationSpec } from '../../src/render/psd-chart.js';
import { spectrogramExplanationSpec } from '../../src/render/spectrogram-chart.js';
import { heatmapRowSpec } from '../../src/render/heatmap-row-chart.js';
import { pixelFlippingSpec } from '../../src/render/pixel-flipping-chart.js';
import { renderChartSvg, restartChartIds } from '../../src/render/chart-svg.js';
import { renderChartPng, svgToPng } from '../../src/node/chart-png.js';
import { heatmapRaster } from '../../src/render/heatmap-raster.js';
import { pngSize } from '../../src/render/png-encoder.js';
import { explanationTitle } from '../../src/render/chart-theme.js';
import { WingbeatsError } from '../../src/util/errors.js';
import { COLS, ROWS, frequencies, saliency, signed, spectrogramGrid, spectrum } from './fixtures.js';
import type { TopLevelSpec } from 'vega-lite';
import { explanationSpec, presetTimeRange, recipeFrequencies, inputLevels } from '../../src/render/explanation-spec.js';
import { parseFeatureSettings } from '../../src/signal/feature-settings-file.js';
import { featureAxes } from '../../src/signal/feature-axes.js';
import { melFilterbank } from '../../src/signal/mel.js';
import { sanityCheckSpec } from '../../src/render/sanity-chart.js';
import { classComparisonSpec, classProfileSpec } from '../../src/render/class-summary-chart.js';
import { renderReport } from '../../src/render/html-report.js';
import { waveformSvg } from '../../src/render/waveform-svg.js';
import { spectrogramImage, spectrogramImageToDb } from '../../src/signal/spectrogram-image.js';
import { stftRealPart } from '../../src/signal/stft.js';
import { computeFeatures } from '../../src/signal/features.js';
import { decodePng, emptyBands } from './png-pixels.js';

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

/** The text of every `<text>` element of an SVG (axis labels, titles). */
function svgTexts(svg: string): string[] {
  return [...svg.matchAll(/<text[^>]*>([^<]*)<\/text>/g)].map((m) => m[1]);
}

/** Every object in a Vega-Lite spec that has an `axis` with `title` `title` (the encodings of that axis). */
function encodingsWithAxis(spec: unknown, title: string): Record<string, any>[] {
  const found: Record<string, any>[] = [];
  const walk = (node: unknown): void => {
    if (Array.isArray(node)) node.forEach(walk);
    else if (node !== null && typeof node === 'object') {
      const record = node as Record<string, any>;
      if (record.axis?.title === title) found.push(record);
      Object.values(record).forEach(walk);
    }
  };
  walk(spec);
  return found;
}

function picture(shape: number[], preset: unknown) {
  const size = shape.reduce((a, b) => a * b, 1);
  const values = Float32Array.from({ length: size }, (_, i) => Math.sin(i / 7));
  const heatmapSize = shape.length === 3 ? shape[0] * shape[1] : shape[0];
  return {
    input: values,
    shape,
    attributions: values,
    heatmap: Float32Array.from({ length: heatmapSize }, (_, i) => (i % 5) / 4),
    signed: true,
    method: 'gradients',
    preset: preset as never,
  };
}

test('a custom PSD recipe (16 kHz, n_fft 128, 65 bins) spans 0–8000 Hz in steps of 125 Hz, not the presets’ 0–4000', async () => {
  const recipe = parseFeatureSettings(
    {
      kind: 'psd',
      sampleRate: 16000,
      windowLength: 4000,
      segmentLength: 128,
      overlap: 64,
      nFft: 128,
      bins: 65,
      normalisation: 'peak',
    },
    'x',
  );
  assert.deepEqual(
    recipeFrequencies(recipe, 65),
    Array.from({ length: 65 }, (_, k) => k * 125),
  );
  const spec = explanationSpec(picture([65, 1], recipe));
  const text = JSON.stringify(spec);
  assert.ok(text.includes('"f1":8000'), 'the last bin ends at 8000 Hz');
  const labels = svgTexts(await renderChartSvg(spec));
  assert.ok(labels.includes('8,000'), `a tick at 8,000 Hz: ${labels.join(' | ')}`);
  assert.ok(labels.includes('6,000'), 'a tick at 6,000 Hz');
});

test('a log-mel recipe labels its rows at the mel band centres, lowest row at the bottom, time from its hop', async () => {
  const recipe = parseFeatureSettings(
    {
      kind: 'spectrogram',
      sr: 8000,
      windowLength: 4000,
      win_length: 256,
      hop_length: 128,
      n_fft: 256,
      n_mels: 32,
      fmin: 50,
      center: true,
      normalisation: 'peak',
    },
    'x',
  );
  const centres = Array.from(melFilterbank(8000, 256, 32, { fmin: 50 }).centreHz);
  assert.deepEqual(recipeFrequencies(recipe, 32), centres);
  const frames = featureAxes(recipe).timeS!.length;
  // center: true — frame t is centred on t · hop / rate.
  assert.deepEqual(presetTimeRange(recipe, frames), [0, ((frames - 1) * 128) / 8000]);
  const spec = explanationSpec(picture([32, frames, 1], recipe));
  const [frequency] = encodingsWithAxis(spec, 'Frequency (Hz)');
  const rows: number[] = frequency.axis.values;
  assert.deepEqual(rows, [0, 4, 9, 13, 18, 22, 27, 31]);
  assert.deepEqual(frequency.scale.domain, [-0.5, 31.5]);
  const expected = rows.map((row) => `${Math.round(centres[row])}`);
  // labelExpr is `{"row": "Hz", …}[datum.value]`: every ticked row is labelled with its own band centre.
  const table = JSON.parse(frequency.axis.labelExpr.replace(/\[datum\.value\]$/, '')) as Record<string, string>;
  assert.deepEqual(
    rows.map((row) => table[row]),
    expected,
  );
  // Vega hides labels that would overlap; those it draws are mel centres.
  const labels = svgTexts(await renderChartSvg(spec));
  const drawn = expected.filter((label) => labels.includes(label));
  assert.ok(drawn.length >= 4, `mel centres labelled: ${labels.join(' | ')}`);
  assert.ok(!labels.includes('4,000') && !labels.includes('4000'), 'no preset 0–4000 Hz axis');
  const [time] = encodingsWithAxis(spec, 'Time (s)');
  const step = ((frames - 1) * 128) / 8000 / (frames - 1);
  assert.deepEqual(time.scale.domain, [-step / 2, ((frames - 1) * 128) / 8000 + step / 2]);
  assert.ok(JSON.stringify(spec).includes('Level (dB)'), 'the input is labelled in dB');
});

test('a spectrogram image recipe with its own hop (frameStep 84) draws 0.016–0.604 s, not the preset’s step 42', () => {
  const recipe = parseFeatureSettings({ extends: 'potamitis-spectrogram', frameStep: 84 }, 'x');
  const spec = explanationSpec(picture([129, 57, 3], recipe));
  const [time] = encodingsWithAxis(spec, 'Time (s)');
  const first = 128 / 8000;
  const last = (128 + 56 * 84) / 8000;
  const half = (last - first) / 56 / 2;
  assert.deepEqual(time.scale.domain, [first - half, last + half]);
  const [frequency] = encodingsWithAxis(spec, 'Frequency (Hz)');
  const binHalf = 4000 / 128 / 2;
  assert.deepEqual(frequency.scale.domain, [-binHalf, 4000 + binHalf]);
  assert.equal(frequency.axis.values, undefined, 'evenly spaced bins: a plain Hz axis');
});

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
