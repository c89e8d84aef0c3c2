/**
 * The report at 100 % zoom in a real browser (Debian's Chromium through playwright-core): every picture is shown at its
 * chart size, so the smallest chart text on screen is at least 11 px, and two explanations sit side by side in a
 * 1280 px window. Skips when /usr/bin/chromium is absent.
 */
import { after, test } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync, mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { pathToFileURL } from 'node:url';
import { chromium, type Browser } from 'playwright-core';
import { renderReport } from '../../src/render/html-report.js';
import { renderChartSvg } from '../../src/render/chart-svg.js';
import { explanationSpec } from '../../src/render/explanation-spec.js';
import { psdExplanationSpec } from '../../src/render/psd-chart.js';
import { computeFeatures } from '../../src/signal/features.js';
import { frequencies, signed, spectrum } from './fixtures.js';

const CHROMIUM = '/usr/bin/chromium';
const skip = existsSync(CHROMIUM) ? false : `${CHROMIUM} is absent: install Debian's chromium package to run this test`;
let browser: Browser | undefined;
after(async () => {
  await browser?.close();
});

test(
  'report pictures are never shrunk: chart text at least 11 px on screen, explanations side by side',
  { skip },
  async () => {
    const tone = Float64Array.from({ length: 5000 }, (_, i) => Math.sin((2 * Math.PI * 470 * i) / 8000));
    const image = computeFeatures(tone, 'potamitis-spectrogram');
    const heatmap = new Float32Array(image.shape[0] * image.shape[1]).fill(0.5);
    const spectrogram = (method: string) =>
      renderChartSvg(
        explanationSpec({
          input: image.data,
          shape: image.shape,
          attributions: image.data,
          heatmap,
          signed: false,
          method,
          preset: 'potamitis-spectrogram',
          layout: 'attribution-only',
          width: 380,
          height: 270,
        }),
      );
    const psd = await renderChartSvg(
      psdExplanationSpec({ spectrum, attribution: signed, frequencies, method: 'gradients' }, { width: 380 }),
    );
    const html = renderReport({
      title: 'zoom',
      items: [
        {
          name: 'tone',
          features: { image: { svg: psd }, caption: 'input' },
          explanations: [
            { image: { svg: await spectrogram('saliency') }, caption: 'saliency' },
            { image: { svg: await spectrogram('integrated-gradients') }, caption: 'integrated gradients' },
          ],
        },
      ],
    });
    const file = path.join(mkdtempSync(path.join(tmpdir(), 'wingbeats-report-zoom-')), 'report.html');
    writeFileSync(file, html);
    browser = await chromium.launch({
      executablePath: CHROMIUM,
      args: ['--headless', '--no-sandbox', '--disable-gpu'],
    });
    const page = await browser.newPage({ viewport: { width: 1280, height: 900 } });
    await page.goto(pathToFileURL(file).href, { waitUntil: 'load' });
    const shown = await page.$$eval('img', async (list) =>
      Promise.all(
        list.map(async (img) => {
          const svg = await (await fetch(img.src)).text();
          const sizes = [...svg.matchAll(/font-size="([\d.]+)px"/g)].map((m) => Number(m[1]));
          const box = img.getBoundingClientRect();
          return { alt: img.alt, scale: box.width / img.naturalWidth, smallest: Math.min(...sizes), top: box.top };
        }),
      ),
    );
    assert.equal(shown.length, 3);
    for (const picture of shown) {
      assert.ok(Math.abs(picture.scale - 1) < 1e-6, `'${picture.alt}' shown at ×${picture.scale}`);
      assert.ok(picture.smallest * picture.scale >= 11, `'${picture.alt}': smallest text ${picture.smallest} px`);
    }
    assert.equal(shown[1].top, shown[2].top, 'the two explanations sit side by side');
  },
);
