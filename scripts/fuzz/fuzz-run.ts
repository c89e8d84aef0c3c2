/**
 * The fuzz driver: hands cases to a few worker processes (scripts/fuzz/worker.mts), each running a stream of cases,
 * under a watchdog that kills a worker whose case runs too long (a hang) or whose resident memory passes a limit (a
 * memory blowup), counts a worker that dies on its own as a crash, and starts a fresh worker to go on.
 */
import { fork, type ChildProcess } from 'node:child_process';
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { READERS, readerOf, type ReaderName } from './cases.js';
import type { CaseResult } from './worker.mjs';

/** Options of {@link runFuzz}. */
export interface FuzzOptions {
  /** Number of cases (case indices `start` … `start + cases − 1`). */
  cases: number;
  /** First case index. Default 0. */
  start?: number;
  /** Only these case indices (replaying failures). */
  only?: number[];
  /** Run seed: the same seed gives the same cases. Default 1. */
  seed?: number;
  /** Worker processes. Default 2. */
  workers?: number;
  /** A case running longer is a hang. Default 30 000 ms (the HDF5 reader's own limit is 15 s). */
  timeoutMs?: number;
  /** A worker whose resident memory passes this is a memory blowup. Default 1536 MB. */
  memoryMb?: number;
  /** Cases per worker before it is replaced by a fresh one (keeps slow growth from looking like a blowup). Default 400. */
  recycleAfter?: number;
  /** Called after every case. */
  onCase?: (done: number, total: number) => void;
}

/** Per reader: cases tried and how they ended. */
export interface ReaderTally {
  tried: number;
  /** The reader accepted the (mutated) input. */
  accepted: number;
  /** Refused with a typed WingbeatsError (or a commander usage error) whose message is safe to print. */
  clean: number;
  /** Any other exception, or an unsafe message. */
  other: number;
  crashes: number;
  hangs: number;
  memoryBlowups: number;
  leaks: number;
}

/** One case that did not end well. */
export interface FuzzProblem {
  index: number;
  reader: ReaderName;
  outcome: 'other' | 'leak' | 'crash' | 'hang' | 'memory';
  note: string;
  message?: string;
}

/** The result of a run. */
export interface FuzzReport {
  seed: number;
  cases: number;
  workers: number;
  seconds: number;
  timeoutMs: number;
  memoryMb: number;
  readers: Record<ReaderName, ReaderTally>;
  total: ReaderTally;
  /** Up to 100 problems, for replay with `--only`. */
  problems: FuzzProblem[];
  /** Per reader, a few messages of clean refusals (distinct first words), to see what users are told. */
  examples: Record<string, string[]>;
}

/**
 * The worker module and the flags it needs: compiled next to this module (the test runner's JavaScript tree,
 * scripts/test-tree.mjs) it runs on plain Node; from the TypeScript sources (`npm run fuzz`) through tsx, which
 * compiles the library again in every worker (about 2 s of CPU each).
 */
const compiled = import.meta.url.endsWith('.js');
const workerPath = path.join(path.dirname(fileURLToPath(import.meta.url)), compiled ? 'worker.mjs' : 'worker.mts');
const loaderFlags = compiled ? [] : ['--import', 'tsx'];

function emptyTally(): ReaderTally {
  return { tried: 0, accepted: 0, clean: 0, other: 0, crashes: 0, hangs: 0, memoryBlowups: 0, leaks: 0 };
}

function residentMb(pid: number | undefined): number {
  if (pid === undefined) return 0;
  try {
    const match = /VmRSS:\s+(\d+) kB/.exec(readFileSync(`/proc/${pid}/status`, 'utf8'));
    return match === null ? 0 : Number(match[1]) / 1024;
  } catch {
    return 0;
  }
}

interface Slot {
  child: ChildProcess;
  ready: boolean;
  index: number | null;
  started: number;
  done: number;
  stderrTail: string;
  verdict: 'hang' | 'memory' | null;
}

/**
 * Runs the fuzz cases and tallies them per reader.
 * @example const report = await runFuzz({ cases: 10000, workers: 2 });
 */
export async function runFuzz(options: FuzzOptions): Promise<FuzzReport> {
  const seed = options.seed ?? 1;
  const workers = options.workers ?? 2;
  const timeoutMs = options.timeoutMs ?? 30_000;
  const memoryMb = options.memoryMb ?? 1536;
  const recycleAfter = options.recycleAfter ?? 400;
  const start = options.start ?? 0;
  const queue = options.only ?? Array.from({ length: options.cases }, (_, i) => start + i);
  const total = queue.length;
  const readers = Object.fromEntries(READERS.map((r) => [r, emptyTally()])) as Record<ReaderName, ReaderTally>;
  const problems: FuzzProblem[] = [];
  const examples: Record<string, string[]> = {};
  const began = Date.now();
  let finished = 0;

  const record = (
    index: number,
    outcome: CaseResult['outcome'] | 'crash' | 'hang' | 'memory',
    note: string,
    message?: string,
  ): void => {
    const reader = readerOf(index);
    const tally = readers[reader];
    tally.tried++;
    if (outcome === 'accepted') tally.accepted++;
    else if (outcome === 'clean') tally.clean++;
    else if (outcome === 'other') tally.other++;
    else if (outcome === 'leak') tally.leaks++;
    else if (outcome === 'crash') tally.crashes++;
    else if (outcome === 'hang') tally.hangs++;
    else tally.memoryBlowups++;
    const list = (examples[reader] ??= []);
    if (
      outcome === 'clean' &&
      message !== undefined &&
      list.length < 8 &&
      !list.some((m) => m.slice(0, 40) === message.slice(0, 40))
    )
      list.push(`#${index} ${note}: ${message.slice(0, 300)}`);
    if (outcome !== 'accepted' && outcome !== 'clean' && problems.length < 100)
      problems.push({ index, reader, outcome, note, message });
    finished++;
    options.onCase?.(finished, total);
  };

  await new Promise<void>((resolve) => {
    const slots: Slot[] = [];
    let alive = 0;
    const next = (slot: Slot): void => {
      if (slot.done >= recycleAfter && queue.length > 0) {
        slot.child.kill('SIGKILL');
        return;
      }
      const index = queue.shift();
      if (index === undefined) {
        slot.index = null;
        slot.child.kill('SIGKILL');
        return;
      }
      slot.index = index;
      slot.started = Date.now();
      slot.verdict = null;
      slot.child.send({ index });
    };
    const spawn = (): void => {
      const child = fork(workerPath, [], {
        execArgv: [...loaderFlags, `--max-old-space-size=${Math.max(256, Math.floor(memoryMb * 0.75))}`],
        env: { ...process.env, WINGBEATS_FUZZ_SEED: String(seed) },
        stdio: ['ignore', 'ignore', 'pipe', 'ipc'],
      });
      const slot: Slot = { child, ready: false, index: null, started: 0, done: 0, stderrTail: '', verdict: null };
      slots.push(slot);
      alive++;
      child.stderr?.on('data', (chunk: Buffer) => {
        slot.stderrTail = (slot.stderrTail + chunk.toString()).slice(-2000);
      });
      child.on('message', (message: CaseResult | { ready: true }) => {
        if ('ready' in message) {
          slot.ready = true;
          next(slot);
          return;
        }
        if (slot.index === null) return;
        record(message.index, message.outcome, message.note, message.message);
        slot.index = null;
        slot.done++;
        next(slot);
      });
      child.on('exit', () => {
        alive--;
        slots.splice(slots.indexOf(slot), 1);
        if (slot.index !== null) {
          const heap = /heap out of memory|Allocation failed|Array buffer allocation failed/i.test(slot.stderrTail);
          const outcome = slot.verdict ?? (heap ? 'memory' : 'crash');
          record(
            slot.index,
            outcome,
            'worker ended during the case',
            slot.stderrTail.trim().split('\n').slice(-12).join(' | ').slice(0, 1500),
          );
        }
        if (queue.length > 0) spawn();
        else if (alive === 0) {
          clearInterval(watchdog);
          resolve();
        }
      });
    };
    const watchdog = setInterval(() => {
      for (const slot of slots) {
        if (slot.index === null || slot.verdict !== null) continue;
        if (Date.now() - slot.started > timeoutMs) slot.verdict = 'hang';
        else if (residentMb(slot.child.pid) > memoryMb) slot.verdict = 'memory';
        if (slot.verdict !== null) slot.child.kill('SIGKILL');
      }
    }, 50);
    if (total === 0) {
      clearInterval(watchdog);
      resolve();
      return;
    }
    for (let w = 0; w < Math.min(workers, total); w++) spawn();
  });

  const sum = emptyTally();
  for (const tally of Object.values(readers))
    for (const key of Object.keys(sum) as (keyof ReaderTally)[]) sum[key] += tally[key];
  return {
    seed,
    cases: total,
    workers,
    seconds: (Date.now() - began) / 1000,
    timeoutMs,
    memoryMb,
    readers,
    total: sum,
    problems,
    examples,
  };
}
