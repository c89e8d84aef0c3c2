/**
 * `batch` never reuses stale results and never loses work (issue 14): resumption keyed on the model's bytes, the
 * input's bytes, every setting and the library version; a run killed with SIGKILL is resumed and its partial work
 * cleaned; two runs into one folder never both do the work.
 */
import assert from 'node:assert/strict';
import { spawn, spawnSync } from 'node:child_process';
import { cpSync, existsSync, mkdirSync, mkdtempSync, readFileSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { hostname, tmpdir } from 'node:os';
import path from 'node:path';
import { after, before, test } from 'node:test';
import { cliBin, repoRoot, useWasm } from '../helpers.js';
import { runCli } from '../cli/cli-helpers.js';

const work = mkdtempSync(path.join(tmpdir(), 'wingbeats-batch-resume-'));
const demoModel = path.join(repoRoot, 'assets', 'demo-model', 'model.json');
const recordings = path.join(work, 'recordings');
const allRecordings = path.join(repoRoot, 'assets', 'demo-recordings');
/** Four recordings for the killed run: killed after the first, so that some are pending or being written. */
const fourRecordings = path.join(work, 'four');
const bin = cliBin;
before(async () => {
  await useWasm();
  mkdirSync(recordings);
  // Two recordings: enough to see one redone and the other skipped; every run renders each file's chart.
  for (const name of ['An_gambiae_synthetic.wav', 'Cu_pipiens_synthetic.wav'])
    cpSync(path.join(allRecordings, name), path.join(recordings, name));
  mkdirSync(fourRecordings);
  for (const name of readdirSync(allRecordings).sort().slice(0, 4))
    cpSync(path.join(allRecordings, name), path.join(fourRecordings, name));
});
after(() => rmSync(work, { recursive: true, force: true }));

async function batch(
  out: string,
  extra: string[] = [],
  model = demoModel,
): Promise<{
  code: number;
  counts: Record<string, number>;
  stderr: string;
  files: { file: string; status: string }[];
}> {
  const result = await runCli(['batch', '--model', model, '--input', recordings, '--out', out, '--json', ...extra]);
  const summary = result.stdout === '' ? { counts: {}, files: [] } : JSON.parse(result.stdout);
  return { code: result.code, counts: summary.counts, stderr: result.stderr, files: summary.files };
}

/** Every path under `dir`, relative. */
function tree(dir: string): string[] {
  return readdirSync(dir, { recursive: true }).map(String).sort();
}

test('a second run redoes what another model, method, option or input produced, and skips what is current', async () => {
  const out = path.join(work, 'stale');
  assert.deepEqual((await batch(out)).counts, { done: 2, skipped: 0, failed: 0 });
  assert.deepEqual(
    (await batch(out)).counts,
    { done: 0, skipped: 2, failed: 0 },
    'same model, inputs and settings: nothing to do',
  );

  const method = await batch(out, ['--methods', 'input-x-gradient']);
  assert.deepEqual(method.counts, { done: 2, skipped: 0, failed: 0 }, 'another method');
  assert.match(method.stderr, /its result was made by another model, input, method or settings; explaining again/);
  const result = JSON.parse(readFileSync(path.join(out, 'Cu_pipiens_synthetic.wav', 'result.json'), 'utf8'));
  assert.deepEqual(
    result.results.map((r: { method: string }) => r.method),
    ['input-x-gradient'],
  );
  assert.equal(result.producedBy.settings.methods[0], 'input-x-gradient');
  assert.match(result.resumeKey, /^[0-9a-f]{64}$/);

  assert.deepEqual(
    (await batch(out, ['--methods', 'input-x-gradient', '--seed', '7'])).counts,
    { done: 2, skipped: 0, failed: 0 },
    'another option value',
  );
  assert.deepEqual(
    (await batch(out, ['--methods', 'input-x-gradient', '--seed', '7', '--target', 'Cu_pipiens'])).counts.done,
    2,
    'another target',
  );

  // The same architecture with one weight changed: another model file hash.
  const otherModel = path.join(work, 'other-model');
  cpSync(path.dirname(demoModel), otherModel, { recursive: true });
  const weights = readFileSync(path.join(otherModel, 'weights.bin'));
  weights[weights.length - 1] ^= 1;
  writeFileSync(path.join(otherModel, 'weights.bin'), weights);
  const settings = ['--methods', 'input-x-gradient', '--seed', '7', '--target', 'Cu_pipiens'];
  assert.deepEqual(
    (await batch(out, settings, path.join(otherModel, 'model.json'))).counts,
    { done: 2, skipped: 0, failed: 0 },
    'another model',
  );

  // One recording changed in place: only it is redone.
  const changed = path.join(recordings, 'An_gambiae_synthetic.wav');
  const bytes = readFileSync(changed);
  bytes[bytes.length - 2] ^= 0x10;
  writeFileSync(changed, bytes);
  const again = await batch(out, settings, path.join(otherModel, 'model.json'));
  assert.deepEqual(again.counts, { done: 1, skipped: 1, failed: 0 });
  assert.equal(again.files.find((f) => f.status === 'done')?.file, changed);
});

test('a batch killed with SIGKILL mid-run is resumed: its lock is taken over, its partial work removed, nothing is redone twice', async () => {
  const out = path.join(work, 'killed');
  const child = spawn(
    process.execPath,
    [
      bin,
      'batch',
      '--model',
      demoModel,
      '--input',
      fourRecordings,
      '--methods',
      'smoothgrad,saliency',
      '--samples',
      '40',
      '--out',
      out,
      '--quiet',
    ],
    { stdio: 'ignore' },
  );
  const exited = new Promise<void>((resolve) => child.on('exit', () => resolve()));
  // Kill as soon as the first file is finished (the others are pending or being written).
  for (let waited = 0; waited < 60_000; waited += 10) {
    const finished = existsSync(out) && readdirSync(out).some((d) => existsSync(path.join(out, d, 'result.json')));
    if (finished) break;
    await new Promise((resolve) => setTimeout(resolve, 10));
  }
  child.kill('SIGKILL');
  await exited;
  assert.ok(existsSync(path.join(out, '.wingbeats-xai.lock')), 'the killed run left its lock');
  const finishedBefore = readdirSync(out).filter((d) => existsSync(path.join(out, d, 'result.json')));
  assert.ok(
    finishedBefore.length >= 1 && finishedBefore.length < 4,
    `killed mid-run (${finishedBefore.length} of 4 finished)`,
  );
  // What a kill during a write leaves: a hidden staging folder inside a file's folder.
  const partial = path.join(out, 'Ae_albopictus_synthetic.wav', `.wingbeats-xai-partial-999999-1-${hostname()}`);
  mkdirSync(partial, { recursive: true });
  writeFileSync(path.join(partial, 'half.json'), '{"half');

  const resumed = await runCli([
    'batch',
    '--model',
    demoModel,
    '--input',
    fourRecordings,
    '--methods',
    'smoothgrad,saliency',
    '--samples',
    '40',
    '--out',
    out,
    '--json',
  ]);
  assert.equal(resumed.code, 0, resumed.stderr);
  const summary = JSON.parse(resumed.stdout);
  assert.equal(summary.counts.skipped, finishedBefore.length, 'finished files are not redone');
  assert.equal(summary.counts.done, 4 - finishedBefore.length);
  assert.match(resumed.stderr, /took over the lock of a run that was killed/);
  assert.match(resumed.stderr, /removed \d+ unfinished output folders? of an interrupted run/);
  const left = tree(out);
  assert.deepEqual(
    left.filter((p) => /wingbeats-xai-partial|\.lock/.test(p)),
    [],
    'no partial folder and no lock left',
  );
  for (const folder of readdirSync(out).filter((d) => d.endsWith('.wav')))
    assert.ok(existsSync(path.join(out, folder, 'result.json')), folder);
});

test('two runs into one folder never both do the work: a live lock is refused with who holds it', async () => {
  const out = path.join(work, 'locked');
  mkdirSync(out, { recursive: true });
  writeFileSync(
    path.join(out, '.wingbeats-xai.lock'),
    JSON.stringify({ pid: process.pid, host: hostname(), started: '2026-01-01T00:00:00.000Z' }),
  );
  const refused = await runCli(['batch', '--model', demoModel, '--input', recordings, '--out', out]);
  assert.equal(refused.code, 1);
  assert.equal(refused.stderr.split('\n').filter(Boolean).length, 1, refused.stderr);
  assert.match(
    refused.stderr,
    new RegExp(
      `The output folder '.*locked' is in use by another run \\(process ${process.pid} on .*, since 2026-01-01T00:00:00\\.000Z\\); wait for it to finish, or choose another --out\\.`,
    ),
  );
  assert.deepEqual(readdirSync(out), ['.wingbeats-xai.lock'], 'nothing was written');
  rmSync(path.join(out, '.wingbeats-xai.lock'));

  // Two real runs started together: each file is explained once in all.
  const args = [bin, 'batch', '--model', demoModel, '--input', recordings, '--out', out, '--json', '--quiet'];
  const [a, b] = await Promise.all(
    [0, 1].map(
      () =>
        new Promise<{ status: number | null; stdout: string; stderr: string }>((resolve) => {
          const child = spawn(process.execPath, args);
          let stdout = '';
          let stderr = '';
          child.stdout.on('data', (d) => (stdout += d));
          child.stderr.on('data', (d) => (stderr += d));
          child.on('exit', (status) => resolve({ status, stdout, stderr }));
        }),
    ),
  );
  const done = [a, b].map((r) => (r.status === 0 ? JSON.parse(r.stdout).counts.done : 0));
  assert.equal(done[0] + done[1], 2, `work done once: ${JSON.stringify([a.stderr, b.stderr])}`);
  for (const r of [a, b])
    if (r.status !== 0) assert.match(r.stderr, /^wingbeats-xai: The output folder '.*' is in use by another run/);
  assert.equal(
    spawnSync('ls', ['-A', out], { encoding: 'utf8' }).stdout.includes('.wingbeats-xai.lock'),
    false,
    'the lock is released',
  );
});
