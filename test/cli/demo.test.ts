/**
 * `wingbeats-xai demo`: the main job on the shipped model and recordings, with no ../shared; and its HTML report opened
 * in a real browser (Debian's Chromium through playwright-core) from a file URL with every network request refused:
 * every picture must load and be drawn. The demo runs once, for both (it was run by test/web/report-in-browser.test.ts
 * as well); the browser check skips when /usr/bin/chromium is absent.
 */
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync, mkdtempSync, readFileSync, readdirSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { pathToFileURL } from 'node:url';
import type { Browser } from 'playwright-core';
import { chromiumMissing, launchChromium } from '../web/chromium.js';
import { DEMO_METHODS } from '../../src/node/cli/demo.js';
import { useWasm } from '../helpers.js';
import { runCli } from './cli-helpers.js';

const recordings = 6;
const out = path.join(mkdtempSync(path.join(tmpdir(), 'wingbeats-demo-')), 'report-folder');
let demo: { code: number; stdout: string; stderr: string };
let browser: Browser | undefined;

before(async () => {
  await useWasm();
  demo = await runCli(['demo', '--out', out, '--json', '--quiet']);
});
after(async () => {
  await browser?.close();
});

test('demo writes a self-contained report with every recording, prediction and explanation', () => {
  const { code, stdout, stderr } = demo;
  assert.equal(code, 0, stderr);
  const document = JSON.parse(stdout);
  assert.equal(document.report, path.resolve(out, 'report.html'));
  assert.deepEqual(readdirSync(out).sort(), ['.wingbeats-xai-output', 'demo.json', 'report.html']);
  assert.equal(document.results.length, recordings * DEMO_METHODS.length);
  // The demo model recognises its own synthetic species.
  for (const r of document.results)
    assert.ok(String(r.name).startsWith(String(r.targetName)), `${r.name} predicted as ${r.targetName}`);
  const html = readFileSync(path.join(out, 'report.html'), 'utf8');
  assert.equal(
    (html.match(/<img /g) ?? []).length,
    recordings * (DEMO_METHODS.length + 1),
    'features picture + one picture per method and recording',
  );
  assert.doesNotMatch(html, /(src|href)\s*=\s*["']?https?:/i, 'no network resources');
  assert.doesNotMatch(html, /<script[^>]+src=/i);
  for (const method of DEMO_METHODS) assert.match(html, new RegExp(method));
  assert.ok(existsSync(path.join(out, 'demo.json')));
});

test(
  'the demo report opens in Chromium without network and shows every picture',
  { skip: chromiumMissing },
  async () => {
    assert.equal(demo.code, 0, demo.stderr);
    browser = await launchChromium();
    const page = await browser.newPage({ viewport: { width: 1280, height: 900 } });
    const requests: string[] = [];
    await page.route('**/*', (route) => {
      const url = route.request().url();
      if (url.startsWith('file:') || url.startsWith('data:')) return route.continue();
      requests.push(url);
      return route.abort();
    });
    await page.goto(pathToFileURL(path.join(out, 'report.html')).href, { waitUntil: 'load' });
    const images = await page.$$eval('img', (list) =>
      list.map((img) => ({ complete: img.complete, width: img.naturalWidth, height: img.naturalHeight, alt: img.alt })),
    );
    assert.equal(
      images.length,
      recordings * (DEMO_METHODS.length + 1),
      'per recording: the input and four explanations',
    );
    for (const image of images)
      assert.ok(
        image.complete && image.width > 100 && image.height > 50,
        `picture '${image.alt}' is drawn (${image.width}×${image.height})`,
      );
    assert.deepEqual(requests, [], 'the report makes no network request');
    assert.equal(
      await page.locator('h1').innerText(),
      'wingbeats-xai demo: which frequencies drive the species prediction?',
    );
    await page.screenshot({ path: path.join(tmpdir(), 'wingbeats-xai-demo-report.png'), fullPage: false });
  },
);
