/**
 * A folder with one file that cannot be read (an MP4 named .wav) does not sink the command: `explain`, `report`,
 * `evaluate`, `uncertainty` and `sanity` skip it with one line on stderr, explain the other files, list it in the JSON
 * (and the report's table), and exit 1 at the end; `--strict` stops at it and writes nothing.
 */
import { before, test } from 'node:test';
import assert from 'node:assert/strict';
import { copyFileSync, existsSync, mkdirSync, mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { repoRoot, useWasm } from '../helpers.js';
import { runCli } from './cli-helpers.js';

before(useWasm);

const work = mkdtempSync(path.join(tmpdir(), 'wingbeats-unread-'));
const folder = path.join(work, 'recordings');
mkdirSync(folder);
for (const name of ['Ae_aegypti_synthetic.wav', 'Cu_pipiens_synthetic.wav'])
  copyFileSync(path.join(repoRoot, 'assets', 'demo-recordings', name), path.join(folder, name));
// The first bytes of an MP4 file ('ftyp' box), named .wav.
writeFileSync(
  path.join(folder, 'broken.wav'),
  Buffer.from([0, 0, 0, 0x18, ...Buffer.from('ftypmp42'), 0, 0, 0, 0, ...Buffer.from('mp42isom')]),
);
const model = path.join(repoRoot, 'assets', 'demo-model', 'model.json');

const COMMANDS: Record<string, string[]> = {
  explain: [],
  report: ['--methods', 'saliency'],
  evaluate: ['--random-seeds', '1', '--fraction', '0.1'],
  uncertainty: ['--samples', '2'],
  sanity: ['--methods', 'saliency'],
};

for (const [name, own] of Object.entries(COMMANDS)) {
  test(`${name} carries on past a file it cannot read, lists it, and exits 1 at the end`, async () => {
    const out = path.join(work, `${name}-out`);
    const argv = [name, '--model', model, '--input', folder, ...own, '--json', '--quiet'];
    const result = await runCli(name === 'report' ? [...argv, '--out', out] : argv);
    assert.equal(result.code, 1, result.stderr);
    const lines = result.stderr.trim().split('\n');
    assert.equal(lines.length, 2, result.stderr);
    assert.match(lines[0], /^wingbeats-xai: skipped: File 'broken\.wav' is not a WAV file: it is an MP4/);
    assert.equal(
      lines[1],
      'wingbeats-xai: 1 of 3 input files could not be read (listed above); the results hold the other 2. Give --strict to stop at the first such file.',
    );
    const document = JSON.parse(result.stdout);
    assert.equal(document.unreadFiles.length, 1);
    assert.equal(path.basename(document.unreadFiles[0].file), 'broken.wav');
    assert.match(document.unreadFiles[0].error, /MP4/);
    assert.ok(document.results.length >= 2, `${name}: results of the two good files`);
    if (name === 'report') {
      const html = readFileSync(path.join(out, 'report.html'), 'utf8');
      assert.match(html, /Files that could not be read \(1\)/);
      assert.match(html, /<td>[^<]*broken\.wav<\/td>/);
      assert.equal(JSON.parse(readFileSync(path.join(out, 'report.json'), 'utf8')).unreadFiles.length, 1);
    }
  });
}

test('--strict stops at the first file it cannot read: one line, exit 1, nothing on stdout or in --out', async () => {
  const out = path.join(work, 'strict-report');
  for (const [name, own] of Object.entries(COMMANDS)) {
    const argv = [name, '--model', model, '--input', folder, ...own, '--json', '--quiet', '--strict'];
    const result = await runCli(name === 'report' ? [...argv, '--out', out] : argv);
    assert.equal(result.code, 1, name);
    assert.equal(result.stdout, '', name);
    assert.match(result.stderr, /^wingbeats-xai: File 'broken\.wav' is not a WAV file[^\n]*\n$/, name);
  }
  assert.equal(existsSync(path.join(out, 'report.html')), false);
});

test('a single unreadable file given by name fails at once, as before', async () => {
  const result = await runCli(['explain', '--model', model, '--input', path.join(folder, 'broken.wav'), '--quiet']);
  assert.equal(result.code, 1);
  assert.match(result.stderr, /^wingbeats-xai: File 'broken\.wav' is not a WAV file[^\n]*\n$/);
});
