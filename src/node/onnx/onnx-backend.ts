/**
 * Node only: the `backend: 'onnx'` option. Registers the preparer of the request frame: it compiles the model into an
 * {@link OnnxTaskRunner} (once per model and thread count, closed by `model.dispose()`) and sets it as the model's
 * task accelerator, so `runRowTasks` sends the call's gradient, integrated-gradients and forward tasks to
 * onnxruntime-node. A model it cannot compile, or a missing onnxruntime-node, is told in ONE line and the call keeps
 * TensorFlow.js.
 */
import type { ExplainableModel } from '../../execution/explainable-model.js';
import { registerComputeBackend } from '../../execution/compute-backend.js';
import { setTaskAccelerator } from '../../parallel/task-accelerator.js';
import { defaultWorkerCount } from '../../parallel/worker-pool.js';
import { WingbeatsError } from '../../util/errors.js';
import { OnnxTaskRunner } from './node-onnx-sessions.js';

/** Options of {@link useOnnxBackend}. */
export interface OnnxBackendOptions {
  /** Where the one-line fallback message goes (default `console.warn`). */
  warn?: (message: string) => void;
  /**
   * Cores onnxruntime uses when a call gives no `workers` (default: the worker pool's default, the number of cores):
   * intra-op threads for big models, a pool of worker threads taking whole runs for small ones (see
   * `OnnxGradientSession`).
   */
  defaultThreads?: number;
}

interface RunnerEntry {
  threads: number;
  runner: Promise<OnnxTaskRunner | undefined>;
}

/** Per model, one runner per thread count (calls with other `workers` values reuse theirs). */
const runners = new WeakMap<ExplainableModel, Map<number, RunnerEntry>>();
const watched = new WeakSet<ExplainableModel>();
let settings: OnnxBackendOptions & Pick<Required<OnnxBackendOptions>, 'warn'> = {
  warn: (message) => console.warn(message),
};

/**
 * Makes `backend: 'onnx'` available (importing `wingbeats-xai/node` calls it with the defaults; call it again to
 * change where the fallback line goes or the default thread count).
 * @example useOnnxBackend({ warn: (line) => log.push(line) }); await saliency(model, x, { backend: 'onnx' });
 */
export function useOnnxBackend(options: OnnxBackendOptions = {}): void {
  settings = {
    warn: options.warn ?? ((message) => console.warn(message)),
    defaultThreads: options.defaultThreads,
  };
  registerComputeBackend('onnx', prepareOnnx);
}

/** Compiles `model` (or reuses its runner) and sets it as the model's `'onnx'` accelerator; false = TensorFlow.js. */
async function prepareOnnx(model: ExplainableModel, threads: number | undefined): Promise<boolean> {
  const wanted = threads ?? settings.defaultThreads ?? defaultWorkerCount();
  let byThreads = runners.get(model);
  if (byThreads === undefined) runners.set(model, (byThreads = new Map()));
  let entry = byThreads.get(wanted);
  if (entry === undefined) {
    entry = { threads: wanted, runner: OnnxTaskRunner.create(model, { threads: wanted }).catch(fallback) };
    byThreads.set(wanted, entry);
    if (!watched.has(model)) {
      watched.add(model);
      model.onDispose(() => {
        const entries = [...(runners.get(model)?.values() ?? [])];
        runners.delete(model);
        setTaskAccelerator(model, 'onnx', undefined);
        for (const current of entries) void closeRunner(current);
      });
    }
  }
  const runner = await entry.runner;
  setTaskAccelerator(model, 'onnx', runner);
  return runner !== undefined;
}

function fallback(error: unknown): undefined {
  if (!(error instanceof WingbeatsError) || (error.code !== 'UNSUPPORTED_MODEL' && error.code !== 'BACKEND'))
    throw error;
  settings.warn(`wingbeats-xai: ${error.code} ${error.message.replace(/\.$/, '')}; using TensorFlow.js.`);
  return undefined;
}

async function closeRunner(entry: RunnerEntry): Promise<void> {
  const runner = await entry.runner.catch(() => undefined);
  await runner?.close();
}
