/**
 * `dataset` on several cores as one-core shard processes: the default run (no `--shard`, more than one worker, enough
 * examples) starts N child processes of the command line itself (`--shard i/N --workers 1`, the same arguments
 * otherwise, the same `--out`), shows their progress as one line, and merges their parts as `dataset merge` does. One
 * small model's work per call is cheaper in N one-core processes than in one process with a pool of N workers (whose
 * messages cost more than the work). A failed child's reason is printed, the others' parts are kept, and running the
 * same command again resumes. Node only.
 */
import { fork, type ChildProcess } from 'node:child_process';
import { realpathSync } from 'node:fs';
import { readdir, readFile, rename, writeFile } from 'node:fs/promises';
import { availableParallelism } from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { WingbeatsError } from '../../util/errors.js';
import { parseShardFolderName } from '../../dataset/shard.js';
import { listDataset } from '../dataset/listing.js';
import { clearRun, DATASET_FILES, type ShardOutcome } from '../dataset/run.js';
import { mergeDataset, type DatasetTableResult } from '../dataset/merge.js';
import { safeMessageText } from '../../util/errors.js';

/**
 * Below this many examples the default stays in one process: starting the processes and loading the model in each
 * costs 2–6 CPU seconds (measured on the Potamitis PSD model, 300 recordings of 50-step integrated gradients), more
 * than a second core saves on a few hundred examples.
 */
export const MIN_EXAMPLES_FOR_PROCESSES = 256;

/** The environment variable that makes a `dataset` child report its progress and outcome to its parent. */
export const CHILD_ENV = 'WINGBEATS_XAI_DATASET_CHILD';

/** How a run was split over processes (in the console and `summary.json`). */
export interface DatasetExecution {
  processes: number;
  workersPerProcess: number;
  /** For people: `2 processes × 1 core`. */
  text: string;
}

/** What a child sends its parent: progress (examples done of its total), and at the end what it did. */
type ChildMessage =
  | { type: 'progress'; done: number; total: number }
  | { type: 'outcome'; outcome: Pick<ShardOutcome, 'explained' | 'resumed' | 'recomputed' | 'errors'> };

/** What the parent needs to decide. */
export interface ProcessPlanInput {
  input: string;
  out: string;
  limit?: number;
  chunkSize: number;
  /** `--workers` as given (undefined: the number of cores). */
  workers?: number;
  /** `--processes` as given (undefined: `workers` processes for a large enough data set, else one). */
  processes?: number;
  /** `--shard` as given, and whether the environment names a shard (Slurm array, Kubernetes Indexed Job). */
  shard?: string;
  env: Readonly<Record<string, string | undefined>>;
  force?: boolean;
}

/**
 * The number of shard processes for a run, or undefined when it stays in one process: a shard given (flag or
 * environment), one worker, fewer than {@link MIN_EXAMPLES_FOR_PROCESSES} or two chunks of examples, an input that
 * cannot be listed (the one-process run says why), or an earlier one-process run to resume in `out`.
 */
export async function plannedProcesses(plan: ProcessPlanInput): Promise<number | undefined> {
  if (plan.env[CHILD_ENV] === '1') return undefined;
  const sharded =
    plan.shard !== undefined ||
    plan.env.SLURM_ARRAY_TASK_ID !== undefined ||
    plan.env.JOB_COMPLETION_INDEX !== undefined;
  if (sharded && plan.processes !== undefined && plan.processes > 1)
    throw new WingbeatsError(
      'INVALID_ARGUMENT',
      `Option '--processes' must be 1 when a shard is given (--shard, SLURM_ARRAY_TASK_ID or JOB_COMPLETION_INDEX) but is ${plan.processes}.`,
    );
  if (sharded || plan.processes === 1) return undefined;
  const workers = plan.processes ?? plan.workers ?? availableParallelism();
  if (workers <= 1) return undefined;
  if (plan.processes === undefined) {
    let examples: number;
    try {
      examples = (await listDataset(plan.input, { limit: plan.limit, outputs: [plan.out] })).examples.length;
    } catch {
      return undefined;
    }
    if (examples < Math.max(MIN_EXAMPLES_FOR_PROCESSES, 2 * plan.chunkSize)) return undefined;
  }
  if (plan.force) return workers;
  // Resuming keeps the layout of the parts already there (a merge needs one shard count).
  const counts = (await readdir(path.join(plan.out, DATASET_FILES.parts)).catch(() => [] as string[]))
    .map((name) => parseShardFolderName(name)?.count)
    .filter((count): count is number => count !== undefined);
  if (counts.length === 0) return workers;
  const count = Math.max(...counts);
  return count > 1 ? count : undefined;
}

/** `N processes × 1 core`. */
export function executionOf(processes: number): DatasetExecution {
  return {
    processes,
    workersPerProcess: 1,
    text: `${processes} process${processes > 1 ? 'es' : ''} × 1 core`,
  };
}

/** The script that starts this command line: the one this process was started with, else the package's own bin. */
export function cliEntry(): string {
  const bin = fileURLToPath(new URL('../../../bin/wingbeats-xai.js', import.meta.url));
  const started = process.argv[1];
  if (started !== undefined) {
    try {
      const real = realpathSync(started);
      if (real === realpathSync(bin) || /[\\/]node[\\/]cli[\\/]main\.[jt]s$/.test(real)) return started;
    } catch {
      // Not a file: the package's bin below.
    }
  }
  return bin;
}

/**
 * The arguments of shard `index` of `count`: the user's `dataset` arguments without `--force` and `--processes`, one
 * core, quiet.
 */
export function childArguments(argv: readonly string[], index: number, count: number): string[] {
  const rest: string[] = [];
  for (let i = argv[0] === 'dataset' ? 1 : 0; i < argv.length; i++) {
    if (argv[i] === '--processes') i++;
    else if (argv[i] !== '--force' && !argv[i].startsWith('--processes=')) rest.push(argv[i]);
  }
  return ['dataset', ...rest, '--shard', `${index}/${count}`, '--workers', '1', '--quiet'];
}

/** The last line a failed child wrote on stderr: its one-line reason (without the program's prefix). */
function failureReason(stderr: string, code: number | null, signal: NodeJS.Signals | null): string {
  const lines = stderr
    .split('\n')
    .map((l) => l.trim())
    .filter((l) => l.length > 0);
  const line = [...lines].reverse().find((l) => /^wingbeats-xai:/.test(l)) ?? lines.at(-1);
  if (line !== undefined) return safeMessageText(line.replace(/^wingbeats-xai:\s*/, ''), 400);
  return signal !== null ? `ended by ${signal}` : `exited with code ${code}`;
}

/** Options of {@link runAsProcesses}. */
export interface ProcessRunOptions {
  /** The user's arguments from `dataset` on. */
  argv: readonly string[];
  out: string;
  processes: number;
  force?: boolean;
  onProgress?: (done: number, total: number) => void;
}

/** What {@link runAsProcesses} did: the children's counts added up, and the merged table. */
export interface ProcessRunResult {
  outcome: Pick<ShardOutcome, 'explained' | 'resumed' | 'recomputed' | 'errors'>;
  table: DatasetTableResult & { summary: { execution: DatasetExecution } };
  execution: DatasetExecution;
}

/**
 * Runs the data set as shard child processes and merges their parts (see the module doc); SIGINT/SIGTERM of this
 * process end the children first.
 *
 * @throws WingbeatsError `WORKER_FAILED`: in one line, the children's own reason when all failed alike, else each
 *   failed shard with its reason (the parts of the others are kept: the same command resumes).
 */
export async function runAsProcesses(options: ProcessRunOptions): Promise<ProcessRunResult> {
  const { processes } = options;
  if (options.force) await clearRun(options.out);
  const entry = cliEntry();
  const children: ChildProcess[] = [];
  const progress = Array.from({ length: processes }, () => ({ done: 0, total: -1 }));
  const outcomes: ProcessRunResult['outcome'][] = [];
  const stopChildren = (): void => {
    for (const child of children) if (child.exitCode === null && child.signalCode === null) child.kill('SIGTERM');
  };
  const onSignal = (signal: NodeJS.Signals): void => {
    stopChildren();
    removeHandlers();
    process.kill(process.pid, signal);
  };
  const removeHandlers = (): void => {
    process.off('SIGINT', onSignal);
    process.off('SIGTERM', onSignal);
    process.off('exit', stopChildren);
  };
  process.on('SIGINT', onSignal);
  process.on('SIGTERM', onSignal);
  process.on('exit', stopChildren);
  const report = (): void => {
    if (progress.some((p) => p.total < 0)) return;
    const total = progress.reduce((a, p) => a + p.total, 0);
    options.onProgress?.(
      progress.reduce((a, p) => a + p.done, 0),
      total,
    );
  };
  let failures: { shard: string; reason: string }[];
  try {
    const ends = Array.from({ length: processes }, (_, index) => {
      const child = fork(entry, childArguments(options.argv, index, processes), {
        execPath: process.execPath,
        execArgv: process.execArgv,
        env: { ...process.env, [CHILD_ENV]: '1' },
        stdio: ['ignore', 'ignore', 'pipe', 'ipc'],
        serialization: 'json',
      });
      children.push(child);
      let stderr = '';
      child.stderr?.on('data', (data: Buffer) => {
        stderr = (stderr + data.toString('utf8')).slice(-20000);
      });
      child.on('message', (message: ChildMessage) => {
        if (message.type === 'progress') {
          progress[index] = { done: message.done, total: message.total };
          report();
        } else if (message.type === 'outcome') outcomes.push(message.outcome);
      });
      return new Promise<{ shard: string; reason: string } | undefined>((resolve) => {
        child.on('error', (error) => resolve({ shard: `${index}/${processes}`, reason: error.message }));
        child.on('close', (code, signal) =>
          resolve(
            code === 0 ? undefined : { shard: `${index}/${processes}`, reason: failureReason(stderr, code, signal) },
          ),
        );
      });
    });
    failures = (await Promise.all(ends)).filter((f) => f !== undefined);
  } finally {
    stopChildren();
    removeHandlers();
  }
  if (failures.length > 0) {
    const reasons = [...new Set(failures.map((f) => f.reason))];
    // Every shard stopped for the same reason (a model that cannot be read, a locked folder): said once, as one process would.
    if (failures.length === processes && reasons.length === 1) throw new WingbeatsError('WORKER_FAILED', reasons[0]);
    throw new WingbeatsError(
      'WORKER_FAILED',
      `${failures.map((f) => `shard ${f.shard} failed: ${f.reason}`).join('; ')}; the other shards' parts are kept in '${options.out}': run the same command again to resume.`,
    );
  }
  const execution = executionOf(processes);
  const table = await mergeDataset(options.out);
  await recordExecution(options.out, execution);
  const outcome = {
    explained: outcomes.reduce((a, o) => a + o.explained, 0),
    resumed: outcomes.reduce((a, o) => a + o.resumed, 0),
    recomputed: outcomes.reduce((a, o) => a + o.recomputed, 0),
    errors: outcomes.reduce((a, o) => a + o.errors, 0),
  };
  return { outcome, table: { ...table, summary: { ...table.summary, execution } }, execution };
}

/** Adds `"execution"` to the merged `summary.json` (rewritten atomically; the rest of its bytes unchanged). */
async function recordExecution(out: string, execution: DatasetExecution): Promise<void> {
  const file = path.join(out, DATASET_FILES.summary);
  const text = (await readFile(file, 'utf8')).trimEnd();
  if (!text.endsWith('}')) return;
  const temporary = path.join(out, `.${DATASET_FILES.summary}.${process.pid}.tmp`);
  await writeFile(temporary, `${text.slice(0, -1)},"execution":${JSON.stringify(execution)}}\n`);
  await rename(temporary, file);
}

/** In a child started by {@link runAsProcesses}: sends progress (at most every 100 ms) and the outcome to the parent. */
export function childReporter():
  { progress(done: number, total: number): void; outcome(o: ProcessRunResult['outcome']): Promise<void> } | undefined {
  if (process.env[CHILD_ENV] !== '1' || typeof process.send !== 'function') return undefined;
  // The channel must not keep the child alive once its work is done.
  process.channel?.unref();
  let last = 0;
  const send = (message: ChildMessage): Promise<void> =>
    new Promise((resolve) => {
      if (process.send === undefined || !process.connected) resolve();
      else process.send(message, undefined, {}, () => resolve());
    });
  return {
    progress(done, total) {
      const now = Date.now();
      if (now - last < 100 && done > 0 && done < total) return;
      last = now;
      void send({ type: 'progress', done, total });
    },
    outcome: (outcome) => send({ type: 'outcome', outcome }),
  };
}
