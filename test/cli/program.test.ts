/** Program-wide conventions: `--version`, one default style in help, `stats --json` without `--out`. */
import { before, test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { repoRoot, useWasm } from '../helpers.js';
import { runCli } from './cli-helpers.js';

before(useWasm);

test('--version prints the package version', async () => {
  const { version } = JSON.parse(readFileSync(path.join(repoRoot, 'package.json'), 'utf8'));
  for (const flag of ['--version', '-V']) {
    const { code, stdout } = await runCli([flag]);
    assert.equal(code, 0);
    assert.equal(stdout, `${version}\n`);
  }
});

test('help states defaults in one style: "(default: ...)" from commander, never hand-written', async () => {
  for (const command of ['demo', 'explain', 'report', 'batch', 'features', 'evaluate', 'uncertainty', 'stats']) {
    const { code, stdout } = await runCli([command, '--help']);
    assert.equal(code, 0);
    const text = stdout.replace(/\s+/g, ' ');
    assert.doesNotMatch(text, /\(default [^:]/i, `${command}: a default outside "(default: ...)"`);
    assert.doesNotMatch(text, /default: "[\d.]+"/, `${command}: a number default given as a string`);
  }
});

test('stats --json works without --out and writes nothing', async () => {
  const recording = path.join(repoRoot, 'assets', 'demo-recordings', 'Ae_aegypti_synthetic.wav');
  const { code, stdout, stderr } = await runCli([
    'stats',
    '--input',
    recording,
    '--preset',
    'potamitis-psd',
    '--json',
    '--quiet',
  ]);
  assert.equal(code, 0, stderr);
  const document = JSON.parse(stdout);
  assert.deepEqual(document.shape, [129, 1]);
  assert.equal(document.file, undefined);
  assert.ok(document.count >= 1);
  const neither = await runCli(['stats', '--input', recording, '--preset', 'potamitis-psd']);
  assert.equal(neither.code, 1);
  assert.equal(neither.stderr, "wingbeats-xai: Command 'stats' needs --out FILE or --json (or both).\n");
});
