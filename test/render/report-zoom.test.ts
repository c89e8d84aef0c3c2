/**
 * The HTML report: it escapes text, embeds every picture and references nothing external, refuses remote pictures and
 * mismatched predictions, and is written with its chart files. At 100 % zoom in a real browser (Debian's Chromium
 * through playwright-core): every picture is shown at its chart size, so the smallest chart text on screen is at least
 * 11 px, and two explanations sit side by side in a 1280 px window (skips when /usr/bin/chromium is absent).
 */
import { after, test } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync, mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path, { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { chromium, type Browser } from 'playwright-core';
import { renderReport, type ReportData } from '../../src/render/html-report.js';
import { renderChartSvg } from '../../src/render/chart-svg.js';
import { explanationSpec } from '../../src/render/explanation-spec.js';
import { psdExplanationSpec } from '../../src/render/psd-chart.js';
import { computeFeatures } from '../../src/signal/features.js';
import { frequencies, signed, spectrum, saliency } from './fixtures.js';
import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { escapeHtml } from '../../src/render/html-escape.js';
import { waveformSvg } from '../../src/render/waveform-svg.js';
import { bytesToBase64, textToBase64 } from '../../src/render/base64.js';
import { encodeRgbaPng } from '../../src/render/png-encoder.js';
import { writeChartFiles, writeReportFile } from '../../src/node/chart-files.js';
import { WingbeatsError } from '../../src/util/errors.js';

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

const svgPicture = '<svg xmlns="http://www.w3.org/2000/svg" width="10" height="10"><text>π — ok</text></svg>';
const pngPicture = encodeRgbaPng({ width: 2, height: 1, data: new Uint8Array([255, 0, 0, 255, 0, 0, 255, 255]) });

function sampleReport(): ReportData {
  return {
    title: 'Report <script>alert(1)</script>',
    model: { name: 'cnn & co', description: 'A "model"', details: { Input: '129 × 1' } },
    items: [
      {
        name: '<script>evil()</script>.wav',
        waveform: { samples: Float32Array.from({ length: 800 }, (_, i) => Math.sin(i / 5)), sampleRate: 8000 },
        features: { image: { svg: svgPicture }, caption: 'features' },
        predictions: [{ head: 'species', classNames: ['Ae_aegypti', '<b>x</b>'], probabilities: [0.9, 0.1] }],
        explanations: [
          { image: { png: pngPicture, scale: 1 }, caption: 'saliency' },
          { image: { dataUrl: 'data:image/png;base64,AAAA' }, caption: 'ig' },
        ],
        sections: [
          {
            title: 'Pixel flipping',
            text: 'one\n\ntwo',
            table: { columns: ['Method', 'AOPC'], rows: [['saliency', 0.5]] },
          },
        ],
      },
    ],
    sections: [{ title: 'Uncertainty', figures: [{ image: { svg: svgPicture } }] }],
  };
}

test('report escapes text, embeds every picture, references nothing external', () => {
  const html = renderReport(sampleReport());
  assert.ok(html.startsWith('<!DOCTYPE html>'));
  assert.ok(!html.includes('<script>'), 'no raw script tag');
  assert.ok(html.includes('&lt;script&gt;evil()&lt;/script&gt;.wav'));
  assert.ok(html.includes('&lt;b&gt;x&lt;/b&gt;'));
  assert.ok(!/(src|href)\s*=\s*["']?\s*(https?:)?\/\//i.test(html), 'no external src/href');
  assert.ok(!/@import|url\(\s*['"]?https?:/i.test(html), 'no external CSS');
  assert.ok(html.includes(`data:image/svg+xml;base64,${textToBase64(svgPicture)}`));
  assert.ok(html.includes(`data:image/png;base64,${bytesToBase64(pngPicture)}" width="2" height="1"`));
  assert.ok(html.includes('data:image/png;base64,AAAA'));
  assert.equal((html.match(/<img /g) ?? []).length, 4);
  assert.ok(html.includes('<svg'), 'inline waveform');
  assert.ok(html.includes('<p>one</p><p>two</p>'));
});

test('report refuses remote pictures and mismatched predictions', () => {
  const remote = sampleReport();
  remote.items[0].explanations = [{ image: { dataUrl: 'https://example.org/x.png' } }];
  assert.throws(
    () => renderReport(remote),
    (e: unknown) => e instanceof WingbeatsError && /data:image/.test(e.message),
  );
  const bad = sampleReport();
  bad.items[0].predictions = [{ head: 'h', classNames: ['a', 'b'], probabilities: [1] }];
  assert.throws(() => renderReport(bad), WingbeatsError);
});

test('escapeHtml and base64', () => {
  assert.equal(escapeHtml(`<a href="x">'&'</a>`), '&lt;a href=&quot;x&quot;&gt;&#39;&amp;&#39;&lt;/a&gt;');
  assert.equal(bytesToBase64(new TextEncoder().encode('hello!?')), Buffer.from('hello!?').toString('base64'));
  assert.equal(textToBase64('π—x'), Buffer.from('π—x').toString('base64'));
});

test('waveform svg', () => {
  const svg = waveformSvg([0, 1, -1, 0.5], { width: 40, height: 20 });
  assert.match(svg, /^<svg[^>]*width="40" height="20"/);
  assert.ok(svg.includes('<polygon'));
  assert.throws(() => waveformSvg([]), WingbeatsError);
});

test('chart and report files are written', async () => {
  const dir = await mkdtemp(join(tmpdir(), 'wingbeats-render-'));
  try {
    const written = await writeChartFiles(
      psdExplanationSpec({ spectrum, attribution: saliency, title: 'psd' }),
      join(dir, 'psd'),
      { formats: ['svg', 'png', 'json'] },
    );
    assert.deepEqual(written.map((p) => p.slice(dir.length + 1)).sort(), ['psd.png', 'psd.svg', 'psd.vl.json']);
    const png = await readFile(join(dir, 'psd.png'));
    assert.deepEqual([...png.subarray(0, 8)], [137, 80, 78, 71, 13, 10, 26, 10]);
    await writeReportFile(sampleReport(), join(dir, 'sub', 'report.html'));
    assert.ok((await readFile(join(dir, 'sub', 'report.html'), 'utf8')).includes('</html>'));
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
});
