/**
 * Node only: child processes that each hold their own onnxruntime-node sessions of the same graphs (one intra-op
 * thread each, as in the calling thread) and take whole runs — both cores for models whose kernels are too small for
 * onnxruntime's own intra-op threads, when a job keeps several runs in flight. Processes, not worker threads:
 * onnxruntime-node before 1.27 (the project ships 1.17.0, the last release that installs without a download) keeps
 * process-global N-API references, and a session run in a worker thread aborts the whole process at random
 * (`malloc(): invalid next size`). A run computes the same numbers in any process. Idle processes never keep the
 * parent alive and end with it; a process that fails or dies fails its run with one WORKER_FAILED line and is
 * replaced.
 */
import { fork, type ChildProcess } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { WingbeatsError } from '../../util/errors.js';
import type { OnnxProcessReply, OnnxProcessStart, OnnxProcessTask } from './onnx-session-process.js';
import type { RowArray } from './ort.js';

interface Pending {
  resolve: (outputs: Record<string, Float32Array>) => void;
  reject: (error: Error) => void;
}

/** One child process and its run in flight. */
interface Member {
  child: ChildProcess;
  ready: Promise<void>;
  busy: Pending | undefined;
  busyId: number;
}

/** How to start the child entry: the compiled file in dist/, or the TypeScript source through tsx. */
function entry(): { file: string; execArgv: string[] } {
  const here = import.meta.url;
  // The parent's own flags are not passed on (a test runner's `--test` would make the child a test runner); only a
  // heap cap is.
  const heap = process.execArgv.filter((flag) => /^--max[-_]old[-_]space[-_]size=\d+$/.test(flag));
  if (!here.endsWith('.ts')) return { file: fileURLToPath(new URL('./onnx-session-process.js', here)), execArgv: heap };
  return {
    file: fileURLToPath(new URL('./onnx-session-process.ts', here)),
    execArgv: [...heap, '--import', import.meta.resolve('tsx')],
  };
}

function failure(error: unknown): WingbeatsError {
  const message = error instanceof Error ? error.message : String(error);
  return new WingbeatsError(
    'WORKER_FAILED',
    `An ONNX worker process failed: ${message.replace(/\.$/, '')}; run the call again, or use workers: 1.`,
    { cause: error },
  );
}

/** The pool of one compiled model's graphs. */
export class OnnxSessionPool {
  /** Child processes. */
  readonly size: number;
  private readonly graphs: Uint8Array[];
  private readonly members: Member[] = [];
  private readonly waiting: (() => void)[] = [];
  private readonly started: Promise<void>;
  private readyNow = false;
  private closed = false;
  private nextId = 0;

  private constructor(graphs: Uint8Array[], size: number) {
    this.size = size;
    this.graphs = graphs;
    for (let i = 0; i < size; i++) this.members.push(this.spawn());
    this.started = Promise.all(this.members.map((m) => m.ready)).then(() => {
      this.readyNow = true;
    });
    this.started.catch(() => undefined);
  }

  /**
   * Starts `size` processes with sessions of `graphs` (in the background: check {@link ready} before {@link run}).
   * @example const pool = OnnxSessionPool.start([gradientGraph, forwardGraph], 2);
   */
  static start(graphs: Uint8Array[], size: number): OnnxSessionPool {
    return new OnnxSessionPool(graphs, size);
  }

  /** Whether every process has its sessions open. */
  get ready(): boolean {
    return this.readyNow;
  }

  /** Resolves when {@link ready}; rejects when the processes could not start. */
  whenReady(): Promise<void> {
    return this.started;
  }

  /**
   * Runs graph `graph` (its index in the graphs the pool started with) on `feeds` in the next idle process.
   *
   * @throws WingbeatsError WORKER_FAILED when the process fails or dies.
   */
  async run(graph: number, feeds: Record<string, RowArray>): Promise<Record<string, Float32Array>> {
    if (this.closed) throw failure(new Error('the pool is closed'));
    const member = await this.idleMember();
    try {
      await member.ready;
    } catch (error) {
      this.release(member);
      throw failure(error);
    }
    const id = this.nextId++;
    return new Promise<Record<string, Float32Array>>((resolve, reject) => {
      member.busy = { resolve, reject };
      member.busyId = id;
      // A run in flight keeps the parent alive until it answers; an idle process does not.
      member.child.ref();
      (member.child as unknown as { channel?: { ref(): void } }).channel?.ref();
      member.child.send({ id, graph, feeds } satisfies OnnxProcessTask, (error) => {
        if (error) this.settle(member, { id, ok: false, message: error.message });
      });
    });
  }

  /** Stops the processes. */
  async close(): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    for (const member of this.members) {
      member.busy?.reject(failure(new Error('the pool was closed')));
      member.busy = undefined;
      member.child.removeAllListeners('exit');
      if (member.child.connected) member.child.disconnect();
      member.child.kill();
    }
    for (const wake of this.waiting.splice(0)) wake();
  }

  private spawn(): Member {
    const { file, execArgv } = entry();
    const child = fork(file, [], { execArgv, serialization: 'advanced', stdio: ['ignore', 'ignore', 'pipe', 'ipc'] });
    let stderr = '';
    child.stderr?.on('data', (d: Buffer) => {
      stderr = (stderr + d.toString()).slice(-2000);
    });
    (child.stderr as unknown as { unref?: () => void } | null)?.unref?.();
    const member: Member = { child, ready: Promise.resolve(), busy: undefined, busyId: -1 };
    member.ready = new Promise<void>((resolve, reject) => {
      const onStart = (message: OnnxProcessReply): void => {
        if (message.id !== -1) return;
        child.off('message', onStart);
        if (message.ok) resolve();
        else reject(new Error(message.message));
        this.idle(member);
      };
      child.on('message', onStart);
      child.once('exit', (code, signal) => reject(new Error(`it ended (${signal ?? `exit code ${code}`}) ${stderr}`)));
    });
    member.ready.catch(() => undefined);
    child.on('message', (message: OnnxProcessReply) => {
      if (message.id !== -1) this.settle(member, message);
    });
    child.on('exit', (code, signal) => {
      const lastWords = stderr.trim().split('\n').slice(-1)[0] ?? '';
      const reason = `it ended (${signal ?? `exit code ${code}`})${lastWords ? `: ${lastWords}` : ''}`;
      member.busy?.reject(failure(new Error(reason)));
      member.busy = undefined;
      if (this.closed) return;
      // Replaced, so the next run works.
      const index = this.members.indexOf(member);
      if (index >= 0) this.members[index] = this.spawn();
    });
    // Starting keeps the parent alive until the sessions are open (then the process is idle: see idle()).
    child.send({ graphs: this.graphs } satisfies OnnxProcessStart);
    return member;
  }

  /** Lets an idle process (and its channel) not keep the parent alive. */
  private idle(member: Member): void {
    if (member.busy !== undefined) return;
    member.child.unref();
    (member.child as unknown as { channel?: { unref(): void } }).channel?.unref();
  }

  private settle(member: Member, message: OnnxProcessReply): void {
    const pending = member.busy;
    if (pending === undefined || message.id !== member.busyId) return;
    member.busy = undefined;
    this.release(member);
    if (message.ok) pending.resolve(message.outputs);
    else pending.reject(failure(new Error(message.message)));
  }

  private release(member: Member): void {
    member.busy = undefined;
    this.idle(member);
    this.waiting.shift()?.();
  }

  /** The next idle process, reserved for the caller (its `busy` holds a placeholder until the run is sent). */
  private async idleMember(): Promise<Member> {
    for (;;) {
      const member = this.members.find((m) => m.busy === undefined);
      if (member !== undefined) {
        member.busy = RESERVED;
        member.busyId = -2;
        return member;
      }
      await new Promise<void>((wake) => this.waiting.push(wake));
      if (this.closed) throw failure(new Error('the pool was closed'));
    }
  }
}

/** The `busy` of a process chosen for a run that is not sent yet. */
const RESERVED: Pending = { resolve: () => undefined, reject: () => undefined };
