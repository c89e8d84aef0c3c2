/**
 * Screenshots of an HTML report in Debian's Chromium (playwright-core), for looking at the pictures as a reader does:
 * `node --import tsx scripts/screenshot-report.mts REPORT.html OUT.png [--full] [--width N] [--element SELECTOR]`
 * (`--element`: only the first element that a Playwright selector matches, e.g. `"section:has-text('All classes')"`). Prints, per picture, its shown
 * size, its natural size and the smallest chart text as shown on screen (font size × shown / natural width), so a
 * picture that the page shrinks below its chart size is found by number, not by eye.
 */
import { pathToFileURL } from 'node:url';
import path from 'node:path';
import { chromium } from 'playwright-core';

const [report, out, ...flags] = process.argv.slice(2);
if (report === undefined || out === undefined) {
  process.stderr.write('usage: screenshot-report.mts REPORT.html OUT.png [--full] [--width N] [--element SELECTOR]\n');
  process.exit(2);
}
const widthAt = flags.indexOf('--width');
const width = widthAt >= 0 ? Number(flags[widthAt + 1]) : 1280;
const browser = await chromium.launch({
  executablePath: '/usr/bin/chromium',
  args: ['--headless', '--no-sandbox', '--disable-gpu', '--no-first-run', '--disable-background-networking'],
});
try {
  const page = await browser.newPage({ viewport: { width, height: 1000 } });
  await page.route('**/*', (route) => (/^(file|data):/.test(route.request().url()) ? route.continue() : route.abort()));
  await page.goto(pathToFileURL(path.resolve(report)).href, { waitUntil: 'load' });
  const pictures = await page.$$eval('img', async (list) => {
    const rows: { alt: string; shown: number; natural: number; smallestFont: number | null }[] = [];
    for (const img of list) {
      let smallestFont: number | null = null;
      if (img.src.startsWith('data:image/svg+xml')) {
        const text = await (await fetch(img.src)).text();
        const sizes = [...text.matchAll(/font-size="?([\d.]+)px/g)].map((m) => Number(m[1]));
        if (sizes.length > 0) smallestFont = Math.min(...sizes);
      }
      rows.push({
        alt: img.alt.slice(0, 60),
        shown: img.getBoundingClientRect().width,
        natural: img.naturalWidth,
        smallestFont,
      });
    }
    return rows;
  });
  for (const p of pictures) {
    const scale = p.shown / p.natural;
    const font = p.smallestFont === null ? '' : ` smallest text ${(p.smallestFont * scale).toFixed(1)} px on screen`;
    process.stdout.write(`${p.shown.toFixed(0)}/${p.natural} px (×${scale.toFixed(2)})${font}  ${p.alt}\n`);
  }
  const elementAt = flags.indexOf('--element');
  if (elementAt >= 0)
    await page
      .locator(flags[elementAt + 1])
      .first()
      .screenshot({ path: out });
  else await page.screenshot({ path: out, fullPage: flags.includes('--full') });
} finally {
  await browser.close();
}
