/**
 * Client of the project's PyTorch reference server (scripts/reference/torch_bench.py, run by Debian's /usr/bin/python3):
 * one long-lived process answering JSON lines, so library runs and PyTorch runs can be interleaved in one benchmark.
 */
import { spawn, spawnSync, type ChildProcessWithoutNullStreams } from 'node:child_process';
import { existsSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { createInterface, type Interface } from 'node:readline';

/** Debian's interpreter (numpy, h5py, torch 1.13); `python3` on PATH may be another one without them. */
export const TORCH_PYTHON = '/usr/bin/python3';
const SCRIPT = fileURLToPath(new URL('../scripts/reference/torch_bench.py', import.meta.url));

/**
 * `false` when /usr/bin/python3 finds torch, h5py and numpy; otherwise why the PyTorch side cannot run. It looks the
 * modules up without importing them (0.1 s instead of 1.6 s of CPU for importing torch, which the reference server
 * does anyway): a module that is found but fails to import fails the server's first request with Python's own error.
 */
export function torchUnavailable(): string | false {
  if (!existsSync(TORCH_PYTHON)) return `${TORCH_PYTHON} is absent (install Debian's python3-torch and python3-h5py)`;
  const probe = spawnSync(
    TORCH_PYTHON,
    [
      '-c',
      'import importlib.util, sys; missing = [m for m in ("torch", "h5py", "numpy") if importlib.util.find_spec(m) is None]; sys.exit("no module named " + ", ".join(missing) if missing else 0)',
    ],
    { encoding: 'utf8', timeout: 60_000 },
  );
  if (probe.status !== 0)
    return `${TORCH_PYTHON} cannot import torch, h5py and numpy (install python3-torch python3-h5py): ${(probe.stderr || '').trim().split('\n').pop()}`;
  return false;
}

/** The torch version /usr/bin/python3 imports. */
export function torchVersion(): string {
  return spawnSync(TORCH_PYTHON, ['-c', 'import torch; print(torch.__version__)'], { encoding: 'utf8' }).stdout.trim();
}

/** Answer of a `run` request: the computation's time in ms, the sum of |result|, and the result when asked for. */
export interface TorchRun {
  ms: number;
  checksum: number;
  shape?: number[];
  data?: Float32Array;
}

/** One running reference server; call {@link TorchReference.close} when done. */
export class TorchReference {
  private readonly child: ChildProcessWithoutNullStreams;
  private readonly lines: Interface;
  private readonly waiting: ((line: string) => void)[] = [];
  private stderr = '';

  constructor() {
    this.child = spawn(TORCH_PYTHON, [SCRIPT], { stdio: ['pipe', 'pipe', 'pipe'] });
    this.child.stderr.on('data', (chunk: Buffer) => (this.stderr = (this.stderr + chunk.toString()).slice(-4000)));
    this.lines = createInterface({ input: this.child.stdout });
    this.lines.on('line', (line) => this.waiting.shift()?.(line));
    this.child.on('exit', (code) => {
      const message = JSON.stringify({ error: `torch_bench.py exited (${code}): ${this.stderr.trim()}` });
      for (const resolve of this.waiting.splice(0)) resolve(message);
    });
  }

  private async request(body: Record<string, unknown>): Promise<Record<string, unknown>> {
    const line = await new Promise<string>((resolve) => {
      this.waiting.push(resolve);
      this.child.stdin.write(JSON.stringify(body) + '\n');
    });
    const answer = JSON.parse(line) as Record<string, unknown>;
    if (typeof answer.error === 'string') throw new Error(`PyTorch reference (${String(body.op)}): ${answer.error}`);
    return answer;
  }

  /** Builds the network of a Keras .h5 file under `key`. */
  async load(key: string, path: string): Promise<{ classes: number; dropoutRate: number }> {
    const answer = await this.request({ op: 'load', key, path });
    return { classes: answer.classes as number, dropoutRate: answer.dropoutRate as number };
  }

  /** Sets torch's intra-op thread count; returns the count torch reports. */
  async threads(n: number): Promise<number> {
    return (await this.request({ op: 'threads', n })).threads as number;
  }

  /** Stores a channels-last float32 batch under `key`. */
  async input(key: string, data: Float32Array, shape: readonly number[]): Promise<void> {
    const bytes = Buffer.from(data.buffer, data.byteOffset, data.byteLength);
    await this.request({ op: 'input', key, shape, data: bytes.toString('base64') });
  }

  /** Runs one method (see the script's docstring) on a stored model and input. */
  async run(
    model: string,
    input: string,
    method: string,
    targets: readonly number[],
    options: Record<string, unknown> = {},
    returnResult = false,
    seed = 0,
  ): Promise<TorchRun> {
    const answer = await this.request({
      op: 'run',
      model,
      input,
      method,
      targets,
      options,
      seed,
      return: returnResult,
    });
    const run: TorchRun = { ms: answer.ms as number, checksum: answer.checksum as number };
    if (typeof answer.data === 'string') {
      const bytes = Buffer.from(answer.data, 'base64');
      run.data = new Float32Array(bytes.buffer.slice(bytes.byteOffset, bytes.byteOffset + bytes.byteLength));
      run.shape = answer.shape as number[];
    }
    return run;
  }

  /** Ends the process. */
  async close(): Promise<void> {
    if (this.child.exitCode !== null) return;
    const exited = new Promise<void>((resolve) => this.child.once('exit', () => resolve()));
    this.child.stdin.end(JSON.stringify({ op: 'quit' }) + '\n');
    await exited;
  }
}
