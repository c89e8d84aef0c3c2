/**
 * The demo's HTML report opened in a real browser (Debian's Chromium through playwright-core) from a file URL, with every
 * network request refused: every picture must load and be drawn. Skips when /usr/bin/chromium is absent.
 */
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync, mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { pathToFileURL } from 'node:url';
import { chromium, type Browser } from 'playwright-core';
import { useWasm } from '../helpers.js';
import { runCli } from '../cli/cli-helpers.js';

const CHROMIUM = '/usr/bin/chromium';
const skip = existsSync(CHROMIUM)
  ? false
  : `${CHROMIUM} is absent: install Debian's chromium package to open the report in a real browser`;
let browser: Browser | undefined;

before(useWasm);
after(async () => {
  await browser?.close();
});

test('the demo report opens in Chromium without network and shows every picture', { skip }, async () => {
  const out = path.join(mkdtempSync(path.join(tmpdir(), 'wingbeats-report-browser-')), 'demo');
  const { code, stderr } = await runCli(['demo', '--out', out, '--quiet']);
  assert.equal(code, 0, stderr);
  browser = await chromium.launch({
    executablePath: CHROMIUM,
    args: [
      '--headless',
      '--no-sandbox',
      '--disable-gpu',
      '--disable-quic',
      '--no-first-run',
      '--disable-background-networking',
      '--disable-component-update',
      '--disable-sync',
    ],
  });
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
  assert.equal(images.length, 6 * 5, 'per recording: the input and four explanations');
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
});
