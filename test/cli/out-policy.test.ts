/**
 * One `--out` policy for every command that writes a folder: a new or empty folder, or one this program wrote, is
 * written into; a folder holding other files is refused in one line unless `--force`; files it did not write are never
 * removed or changed.
 */
import { before, test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdirSync, mkdtempSync, readFileSync, readdirSync, writeFileSync } from 'node:fs';
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
