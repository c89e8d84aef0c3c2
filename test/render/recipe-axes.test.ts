/**
 * Pictures of inputs made with custom feature settings (`--features FILE.json`) label their axes from that recipe, not
 * from a preset: a PSD's bins at its own rate and FFT length, mel bands at their centres (in the recipe's row order),
 * frames at the recipe's own hop. The axis numbers are checked in the spec and in the rendered SVG.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { explanationSpec, presetTimeRange, recipeFrequencies } from '../../src/render/explanation-spec.js';
import { renderChartSvg } from '../../src/render/chart-svg.js';
import { parseFeatureSettings } from '../../src/signal/feature-settings-file.js';
import { featureAxes } from '../../src/signal/feature-axes.js';
import { melFilterbank } from '../../src/signal/mel.js';

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
