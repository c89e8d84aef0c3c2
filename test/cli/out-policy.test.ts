/**
 * One `--out` policy for every command that writes a folder: a new or empty folder, or one this program wrote, is
 * written into; a folder holding other files is refused in one line unless `--force`; files it did not write are never
 * removed or changed.
 * And the input side: a folder with one file that cannot be read (an MP4 named .wav) does not sink the command:
 * `explain`, `report`, `evaluate`, `uncertainty` and `sanity` skip it with one line on stderr, explain the other
 * files, list it in the JSON (and the report's table), and exit 1 at the end; `--strict` stops at it and writes
 * nothing. (That had a file of its own, test/cli/unread-inputs.test.ts; one test process for both.)
 */
import { before, test } from 'node:test';
import assert from 'node:assert/strict';
import { copyFileSync, existsSync, mkdirSync, mkdtempSync, readFileSync, readdirSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { repoRoot, useWasm } from '../helpers.js';
import { runCli } from './cli-helpers.js';

before(useWasm);

const work = mkdtempSync(path.join(tmpdir(), 'wingbeats-out-policy-'));
const model = path.join(repoRoot, 'assets', 'demo-model', 'model.json');
const recording = path.join(repoRoot, 'assets', 'demo-recordings', 'Ae_aegypti_synthetic.wav');

const COMMANDS: Record<string, string[]> = {
  explain: ['--model', model, '--input', recording],
  report: ['--model', model, '--input', recording, '--methods', 'saliency'],
  evaluate: ['--model', model, '--input', recording, '--random-seeds', '1', '--fraction', '0.1'],
  uncertainty: ['--model', model, '--input', recording, '--samples', '2'],
  sanity: ['--model', model, '--input', recording, '--methods', 'saliency'],
  batch: ['--model', model, '--input', recording],
  features: ['--input', recording, '--preset', 'potamitis-psd'],
  demo: [],
};

/** A folder holding one file of the user's. */
function userFolder(name: string): string {
  const dir = path.join(work, name);
  mkdirSync(dir);
  writeFileSync(path.join(dir, 'notes.txt'), 'mine');
  return dir;
}

test('every command refuses an --out folder holding files it did not write, in one line naming --force', async () => {
  for (const [name, argv] of Object.entries(COMMANDS)) {
    const out = userFolder(`refused-${name}`);
    const result = await runCli([name, ...argv, '--out', out, '--quiet']);
    assert.equal(result.code, 1, name);
    assert.equal(
      result.stderr,
      `wingbeats-xai: Option '--out': folder '${out}' already holds files this program did not write ('notes.txt'); choose a new or empty folder, or pass --force to write into it (only files of the same names are replaced).\n`,
      name,
    );
    assert.deepEqual(readdirSync(out), ['notes.txt'], `${name} wrote nothing`);
  }
});

test('--force writes beside the user files without touching them; a folder it wrote is written again without --force', async () => {
  for (const name of ['explain', 'features']) {
    const out = userFolder(`forced-${name}`);
    const forced = await runCli([name, ...COMMANDS[name], '--out', out, '--force', '--quiet']);
    assert.equal(forced.code, 0, forced.stderr);
    assert.equal(readFileSync(path.join(out, 'notes.txt'), 'utf8'), 'mine');
    assert.ok(readdirSync(out).includes('.wingbeats-xai-output'), 'the folder is marked as written by the program');
    const again = await runCli([name, ...COMMANDS[name], '--out', out, '--quiet']);
    assert.equal(again.code, 0, again.stderr);
    assert.equal(readFileSync(path.join(out, 'notes.txt'), 'utf8'), 'mine');
  }
  // An empty folder is fine without --force.
  const empty = path.join(work, 'empty');
  mkdirSync(empty);
  const result = await runCli(['features', ...COMMANDS.features, '--out', empty, '--quiet']);
  assert.equal(result.code, 0, result.stderr);
});

const unreadWork = mkdtempSync(path.join(tmpdir(), 'wingbeats-unread-'));
const unreadFolder = path.join(unreadWork, 'recordings');
mkdirSync(unreadFolder);
for (const name of ['Ae_aegypti_synthetic.wav', 'Cu_pipiens_synthetic.wav'])
  copyFileSync(path.join(repoRoot, 'assets', 'demo-recordings', name), path.join(unreadFolder, name));
// The first bytes of an MP4 file ('ftyp' box), named .wav.
writeFileSync(
  path.join(unreadFolder, 'broken.wav'),
  Buffer.from([0, 0, 0, 0x18, ...Buffer.from('ftypmp42'), 0, 0, 0, 0, ...Buffer.from('mp42isom')]),
);

/** The commands that read a folder of inputs, with their own flags. */
const UNREAD_COMMANDS: Record<string, string[]> = {
  explain: [],
  report: ['--methods', 'saliency'],
  evaluate: ['--random-seeds', '1', '--fraction', '0.1'],
  uncertainty: ['--samples', '2'],
  sanity: ['--methods', 'saliency'],
};

for (const [name, own] of Object.entries(UNREAD_COMMANDS)) {
  test(`${name} carries on past a file it cannot read, lists it, and exits 1 at the end`, async () => {
    const out = path.join(unreadWork, `${name}-out`);
    const argv = [name, '--model', model, '--input', unreadFolder, ...own, '--json', '--quiet'];
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
  const out = path.join(unreadWork, 'strict-report');
  for (const [name, own] of Object.entries(UNREAD_COMMANDS)) {
    const argv = [name, '--model', model, '--input', unreadFolder, ...own, '--json', '--quiet', '--strict'];
    const result = await runCli(name === 'report' ? [...argv, '--out', out] : argv);
    assert.equal(result.code, 1, name);
    assert.equal(result.stdout, '', name);
    assert.match(result.stderr, /^wingbeats-xai: File 'broken\.wav' is not a WAV file[^\n]*\n$/, name);
  }
  assert.equal(existsSync(path.join(out, 'report.html')), false);
});

test('a single unreadable file given by name fails at once, as before', async () => {
  const result = await runCli([
    'explain',
    '--model',
    model,
    '--input',
    path.join(unreadFolder, 'broken.wav'),
    '--quiet',
  ]);
  assert.equal(result.code, 1);
  assert.match(result.stderr, /^wingbeats-xai: File 'broken\.wav' is not a WAV file[^\n]*\n$/);
});
