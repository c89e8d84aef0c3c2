/**
 * Debian's Chromium for the tests that open pages in a real browser (the page in test/web/browser.test.ts, the demo
 * report in test/cli/demo.test.ts): where it lives, the flags it starts with (headless, no network of its own), and
 * why those tests skip where it is absent.
 */
import { existsSync } from 'node:fs';
import { chromium, type Browser } from 'playwright-core';

/** Debian's Chromium (never a downloaded browser). */
export const CHROMIUM = '/usr/bin/chromium';

/** Headless, no GPU, no sandbox (CI runs as root), and none of Chromium's own network traffic. */
export const CHROMIUM_FLAGS = [
  '--headless',
  '--no-sandbox',
  '--disable-gpu',
  '--disable-quic',
  '--no-first-run',
  '--disable-background-networking',
  '--disable-component-update',
  '--disable-sync',
];

/** `false` when Chromium is installed, else the skip message. */
export const chromiumMissing: false | string = existsSync(CHROMIUM)
  ? false
  : `${CHROMIUM} is not installed (apt-get install -y chromium): the test in a real browser is skipped`;

/** Starts Chromium with {@link CHROMIUM_FLAGS}. */
export function launchChromium(): Promise<Browser> {
  return chromium.launch({ executablePath: CHROMIUM, headless: true, args: CHROMIUM_FLAGS, timeout: 20_000 });
}
