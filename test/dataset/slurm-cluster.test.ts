/**
 * The documented Slurm recipe on a real cluster: `docs/cluster/slurm-dataset.sh` submitted as a user would
 * (`sbatch --array=0-3` with MODEL, INPUT, OUT and METHODS in the environment, then the dependent merge job from the
 * script's header), one array task requeued while it runs, and the merged table compared byte for byte with a
 * one-process run. Needs a running Slurm (`scripts/ci/start-slurm.sh` starts a single-node one); skipped otherwise.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawn, spawnSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, readFileSync, symlinkSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { cliBin, repoRoot } from '../helpers.js';
import { writeSyntheticDataset } from '../../scripts/synthetic-dataset.js';

const TIMEOUT_MS = 240_000;

/** Why the test cannot run here, or false when a Slurm cluster answers. */
function slurmMissing(): string | false {
  for (const tool of ['sbatch', 'squeue', 'scontrol', 'slurmctld']) {
    if (spawnSync('sh', ['-c', `command -v ${tool}`]).status !== 0)
      return `Slurm is not installed (no '${tool}'); scripts/ci/start-slurm.sh installs and starts a single-node cluster`;
  }
  const ping = spawnSync('scontrol', ['ping'], { encoding: 'utf8', timeout: 10_000 });
  if (!/is UP/.test(ping.stdout ?? ''))
    return 'no Slurm controller answers (scontrol ping); start one with scripts/ci/start-slurm.sh';
  return false;
}

function run(command: string, args: string[], options: { cwd?: string; env?: NodeJS.ProcessEnv } = {}): string {
  const result = spawnSync(command, args, { encoding: 'utf8', timeout: 30_000, ...options });
  if (result.status !== 0)
    throw new Error(`${command} ${args.join(' ')} failed (${result.status}): ${result.stderr}${result.stdout}`);
  return result.stdout.trim();
}

function jobField(id: string, field: string): string | undefined {
  const result = spawnSync('scontrol', ['show', 'job', id], { encoding: 'utf8', timeout: 10_000 });
  return new RegExp(`\\b${field}=(\\S+)`).exec(result.stdout ?? '')?.[1];
}

async function waitFor<T>(what: string, seconds: number, probe: () => T | undefined): Promise<T> {
  const deadline = Date.now() + seconds * 1000;
  for (;;) {
    const value = probe();
    if (value !== undefined) return value;
    if (Date.now() > deadline) throw new Error(`timed out after ${seconds} s waiting for ${what}`);
    await new Promise((resolve) => setTimeout(resolve, 250));
  }
}

function runCliProcess(argv: string[]): Promise<{ code: number | null; stderr: string }> {
  return new Promise((resolve) => {
    const child = spawn(process.execPath, [cliBin, ...argv]);
    let stderr = '';
    child.stderr.on('data', (d) => (stderr += d));
    child.on('close', (code) => resolve({ code, stderr }));
  });
}

test(
  'slurm-dataset.sh on a real Slurm: a 4-task array with one task requeued mid-run, then the dependent merge, gives the one-process table byte for byte',
  { skip: slurmMissing(), timeout: TIMEOUT_MS },
  async () => {
    const work = mkdtempSync(path.join(tmpdir(), 'wingbeats-slurm-'));
    const input = path.join(work, 'recordings');
    await writeSyntheticDataset(input, {
      perSpecies: 3,
      seed: 21,
      species: ['Ae_aegypti', 'An_gambiae', 'Cu_pipiens'],
    });
    const model = path.join(repoRoot, 'assets', 'demo-model', 'model.json');
    // The user's PATH: the command installed as `wingbeats-xai`, and node.
    const bin = path.join(work, 'bin');
    mkdirSync(bin);
    symlinkSync(cliBin, path.join(bin, 'wingbeats-xai'));
    const out = path.join(work, 'explained');
    const env = {
      ...process.env,
      PATH: `${bin}:${path.dirname(process.execPath)}:${process.env.PATH ?? ''}`,
      MODEL: model,
      INPUT: input,
      OUT: out,
      METHODS: 'saliency',
    };
    const script = path.join(repoRoot, 'docs', 'cluster', 'slurm-dataset.sh');
    const arrayJob = run('sbatch', ['--parsable', '--array=0-3', script], { cwd: work, env });
    const mergeJob = run(
      'sbatch',
      ['--parsable', `--dependency=afterok:${arrayJob}`, '--wrap', `wingbeats-xai dataset merge ${out}`],
      { cwd: work, env },
    );
    try {
      // Requeue the first array task seen running: Slurm kills it and starts it again from the top.
      const requeued = await waitFor('an array task to run', 120, () => {
        const running = spawnSync('squeue', ['-h', '-j', arrayJob, '-t', 'R', '-o', '%i'], { encoding: 'utf8' });
        return (running.stdout ?? '')
          .split('\n')
          .find((id) => /^\d+_\d+$/.test(id.trim()))
          ?.trim();
      });
      run('scontrol', ['requeue', requeued]);
      const [state, oneRun] = await Promise.all([
        waitFor('the merge job to end', 200, () => {
          const s = jobField(mergeJob, 'JobState');
          return s !== undefined && !/PENDING|RUNNING|CONFIGURING|COMPLETING/.test(s) ? s : undefined;
        }),
        runCliProcess([
          'dataset',
          '--model',
          model,
          '--input',
          input,
          '--methods',
          'saliency',
          '--steps',
          '50',
          '--out',
          path.join(work, 'one'),
          '--quiet',
        ]),
      ]);
      const mergeLog = () => readFileSync(path.join(work, `slurm-${mergeJob}.out`), 'utf8');
      assert.equal(state, 'COMPLETED', `merge job: ${state}\n${mergeLog()}`);
      assert.equal(oneRun.code, 0, oneRun.stderr);
      assert.ok(Number(jobField(requeued, 'Restarts')) >= 1, `task ${requeued} was requeued and ran again`);
      for (let task = 0; task < 4; task++)
        assert.equal(jobField(`${arrayJob}_${task}`, 'JobState'), 'COMPLETED', `array task ${task}`);
      assert.ok(
        readFileSync(path.join(out, 'table.parquet')).equals(readFileSync(path.join(work, 'one', 'table.parquet'))),
        'the merged table equals the one-process table byte for byte',
      );
      assert.equal(
        readFileSync(path.join(out, 'summary.json'), 'utf8'),
        readFileSync(path.join(work, 'one', 'summary.json'), 'utf8'),
      );
      assert.match(mergeLog(), /examples: 9, errors: 0/);
    } finally {
      spawnSync('scancel', [arrayJob, mergeJob]);
    }
  },
);
