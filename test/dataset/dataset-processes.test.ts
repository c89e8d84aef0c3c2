/**
 * `dataset` as one-core shard processes (the default on more than one worker): a failed child named, the other's parts
 * kept, and the run resumed into the same table, report and summaries, byte for byte, as one process with `--workers 1`
 * (one two-process run that fails and resumes instead of a clean run and a failing one: both shards' children start
 * together and write the run's settings in both runs; a clean run's shards both working at once is the SIGTERM test's);
 * SIGTERM of the parent ends its children; small inputs, shards and one worker stay in one process.
 * Every run is the command line as a process of its own (its children start from the script it was started with, as
 * users' do); that a library caller's children start from the package's bin is checked without starting them (they
 * would run the TypeScript sources through tsx, 2–4 s of CPU each).
 */
import { before, test } from 'node:test';
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, realpathSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { cliBin, repoRoot } from '../helpers.js';
import { writeSyntheticDataset } from '../../scripts/synthetic-dataset.js';
import { acquireLock } from '../../src/node/dataset/lock.js';
import { childArguments, cliEntry, plannedProcesses } from '../../src/node/cli/dataset-processes.js';
import { lockOwnerAlive } from '../../src/node/folder-lock.js';

const model = path.join(repoRoot, 'assets', 'demo-model', 'model.json');
const bin = cliBin;
const work = mkdtempSync(path.join(tmpdir(), 'wingbeats-dataset-procs-'));
const input = path.join(work, 'recordings');
// One method (with a delta column): what crosses processes is the same for every method, and each merge draws every
// method's charts (test/dataset/dataset-cli.test.ts merges shards of three methods into one run's bytes).
const args = ['--model', model, '--input', input, '--methods', 'integrated-gradients', '--steps', '8'];
const args2 = [...args, '--chunk-size', '4'];

before(async () => {
  // 24 examples, 6 chunks of 4 (3 per shard): below the 256 from which the default splits (--processes 2 asks for it).
  // Every run of this file is a few processes, each paying its start-up and model loading: few examples suffice.
  await writeSyntheticDataset(input, { perSpecies: 8, seed: 5, species: ['Ae_aegypti', 'An_gambiae', 'Cu_pipiens'] });
});

/** Runs the CLI as its own process (as users do: the report's chart ids count the charts a process drew before). */
function runProcess(argv: string[]): Promise<{ code: number | null; stdout: string; stderr: string }> {
  return new Promise((resolve) => {
    const child = spawn(process.execPath, [bin, ...argv]);
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (d) => (stdout += d));
    child.stderr.on('data', (d) => (stderr += d));
    child.on('close', (code) => resolve({ code, stdout, stderr }));
  });
}

function files(out: string): { table: Buffer; report: Buffer; summary: Record<string, unknown> } {
  return {
    table: readFileSync(path.join(out, 'table.parquet')),
    report: readFileSync(path.join(out, 'report.html')),
    summary: JSON.parse(readFileSync(path.join(out, 'summary.json'), 'utf8')) as Record<string, unknown>,
  };
}

test('a failed child is named and the other shard kept; the same command resumes, and its two one-core shard processes give the bytes of one process with --workers 1', async () => {
  const one = await runProcess(['dataset', ...args2, '--workers', '1', '--out', path.join(work, 'one'), '--quiet']);
  assert.equal(one.code, 0, one.stderr);
  // Shard 1's folder is locked by this process: its child fails, shard 0's child does its half.
  const out = path.join(work, 'multi');
  const folder = path.join(out, 'parts', 'shard-0001-of-0002');
  mkdirSync(folder, { recursive: true });
  const release = acquireLock(path.join(folder, 'lock'), 'test');
  let first;
  try {
    first = await runProcess(['dataset', ...args2, '--processes', '2', '--out', out, '--quiet']);
  } finally {
    release();
  }
  assert.equal(first.code, 1);
  // One line: the failed shard, its own reason, what to do.
  assert.match(
    first.stderr,
    /^wingbeats-xai: shard 1\/2 failed: .*(lock|running|runs).*run the same command again to resume\.\n$/im,
  );
  assert.equal(first.stderr.trim().split('\n').length, 1, first.stderr);
  assert.ok(!first.stderr.includes('\u0000'));
  assert.ok(readdirSync(path.join(out, 'parts', 'shard-0000-of-0002')).some((n) => n.endsWith('.parquet')));
  assert.ok(!existsSync(path.join(out, 'table.parquet')));

  // The same command again: shard 0 finds its half done, shard 1 explains the other, the parent merges.
  const multi = await runProcess(['dataset', ...args2, '--processes', '2', '--out', out, '--json']);
  assert.equal(multi.code, 0, multi.stderr);
  assert.deepEqual(readdirSync(path.join(out, 'parts')).sort(), ['shard-0000-of-0002', 'shard-0001-of-0002']);
  assert.deepEqual(readdirSync(path.join(work, 'one', 'parts')), ['shard-0000-of-0001']);
  const a = files(path.join(work, 'one'));
  const b = files(out);
  assert.ok(a.table.equals(b.table), 'table.parquet differs');
  assert.ok(a.report.equals(b.report), 'report.html differs');
  assert.equal(a.summary.execution, undefined);
  assert.deepEqual(b.summary.execution, { processes: 2, workersPerProcess: 1, text: '2 processes × 1 core' });
  // summary.json: the same bytes but for the one field that says how the run went.
  const withoutExecution = readFileSync(path.join(out, 'summary.json'), 'utf8').replace(
    /,"execution":\{[^}]*\}\}\n$/,
    '}\n',
  );
  assert.equal(withoutExecution, readFileSync(path.join(work, 'one', 'summary.json'), 'utf8'));
  assert.match(multi.stderr, /dataset: 2 processes × 1 core/);
  // The children's counts added up: shard 1's explained, shard 0's already done.
  const counts =
    /(\d+) examples explained \(0 failed, 0 recomputed[^)]*\), (\d+) already done; 2 processes × 1 core/.exec(
      multi.stderr,
    );
  assert.ok(counts !== null, multi.stderr);
  const [explained, resumed] = [Number(counts[1]), Number(counts[2])];
  assert.ok(explained > 0 && resumed > 0 && explained + resumed === 24, counts[0]);
  const json = JSON.parse(multi.stdout) as { examples: number; summary: { execution: { text: string } } };
  assert.equal(json.examples, 24);
  assert.equal(json.summary.execution.text, '2 processes × 1 core');
});

test('SIGTERM of the parent ends its shard processes', async () => {
  const out = path.join(work, 'killed');
  // 400 steps: long enough to be stopped while both shards work.
  const slow = [...args2, '--steps', '400'];
  const child = spawn(process.execPath, [bin, 'dataset', ...slow, '--processes', '2', '--out', out], {
    stdio: ['ignore', 'ignore', 'pipe'],
  });
  // Stop the parent as soon as a shard holds its lock (both were started together).
  const locks = [0, 1].map((i) => path.join(out, 'parts', `shard-000${i}-of-0002`, 'lock'));
  const deadline = Date.now() + 180_000;
  while (!locks.some((l) => existsSync(l)) && Date.now() < deadline) await new Promise((r) => setTimeout(r, 20));
  assert.ok(
    locks.some((l) => existsSync(l)),
    'no shard process started',
  );
  const ended = new Promise<NodeJS.Signals | null>((resolve) => child.on('close', (_code, signal) => resolve(signal)));
  child.kill('SIGTERM');
  assert.equal(await ended, 'SIGTERM');
  // Within a few seconds no shard holds a live lock, and none takes one later.
  const live = (): boolean =>
    locks.some((l) => {
      try {
        return lockOwnerAlive(JSON.parse(readFileSync(l, 'utf8')) as { pid: number; processStart?: string });
      } catch {
        return false;
      }
    });
  const gone = Date.now() + 20_000;
  while (live() && Date.now() < gone) await new Promise((r) => setTimeout(r, 50));
  assert.ok(!live(), 'a shard process outlived its parent');
  await new Promise((r) => setTimeout(r, 3000));
  assert.ok(!live(), 'a shard process outlived its parent');
});

test('one process for a given shard, one worker, a Slurm task, few examples, or a one-process run to resume', async () => {
  // Only listed, never explained: 258 files are enough.
  const many = path.join(work, 'many');
  for (const species of ['a', 'b']) {
    mkdirSync(path.join(many, species), { recursive: true });
    for (let i = 0; i < 129; i++) writeFileSync(path.join(many, species, `${i}.wav`), '');
  }
  const plan = { input: many, out: path.join(work, 'plan'), chunkSize: 8, workers: 2, env: {} };
  assert.equal(await plannedProcesses(plan), 2);
  assert.equal(await plannedProcesses({ ...plan, workers: 3 }), 3);
  assert.equal(await plannedProcesses({ ...plan, processes: 1 }), undefined);
  assert.equal(await plannedProcesses({ ...plan, input, processes: 2 }), 2);
  assert.equal(await plannedProcesses({ ...plan, shard: '0/2' }), undefined);
  await assert.rejects(plannedProcesses({ ...plan, shard: '0/2', processes: 2 }), /Option '--processes' must be 1/);
  assert.equal(await plannedProcesses({ ...plan, workers: 1 }), undefined);
  assert.equal(await plannedProcesses({ ...plan, env: { SLURM_ARRAY_TASK_ID: '1' } }), undefined);
  assert.equal(await plannedProcesses({ ...plan, env: { JOB_COMPLETION_INDEX: '0' } }), undefined);
  assert.equal(await plannedProcesses({ ...plan, limit: 255 }), undefined);
  assert.equal(await plannedProcesses({ ...plan, chunkSize: 130 }), undefined);
  assert.equal(await plannedProcesses({ ...plan, input }), undefined);
  assert.equal(await plannedProcesses({ ...plan, input: path.join(work, 'absent') }), undefined);
  assert.equal(await plannedProcesses({ ...plan, out: path.join(work, 'one') }), undefined);
  assert.equal(await plannedProcesses({ ...plan, out: path.join(work, 'one'), force: true }), 2);
  assert.equal(await plannedProcesses({ ...plan, out: path.join(work, 'multi'), workers: 3 }), 2);
});

test('child arguments: the same command, one shard, one core, quiet, never --force or --processes; the package bin from a library caller', () => {
  const argv = ['dataset', '--model', 'm.json', '--force', '--processes', '2', '--processes=2', '--workers', '2'];
  assert.deepEqual(childArguments(argv, 1, 2), [
    'dataset',
    '--model',
    'm.json',
    '--workers',
    '2',
    '--shard',
    '1/2',
    '--workers',
    '1',
    '--quiet',
  ]);
  // Started by a program that is not the command line (a test file here; the runs above are the CLI's own processes,
  // which start their children from the script they were started with): the package's own bin.
  assert.equal(realpathSync(cliEntry()), realpathSync(path.join(repoRoot, 'bin', 'wingbeats-xai.js')));
});
