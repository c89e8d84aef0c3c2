/**
 * The engine registry: the ONE place engines other than TensorFlow.js are found, and the one place a choice of engine
 * is resolved, with its fallback. Platform code registers an engine by name with a factory (Node registers `'onnx'`,
 * onnxruntime-node, from `wingbeats-xai/node` and the command line; the web page may register onnxruntime-web under
 * the same name); a session asks {@link resolveEngine} once per engine and thread count and keeps the runner.
 * The shape is onnxruntime-js's `registerBackend`/`resolveBackend` (js/common/lib/backend-impl.ts): an engine is
 * initialised once, on first use; one that fails to initialise is marked as failed and never tried again; the caller
 * falls back to TensorFlow.js after ONE line saying why.
 */
import type { ExplainableModel } from '../execution/explainable-model.js';
import {
  COMPUTE_BACKENDS,
  ENGINE_CHOICES,
  type ComputeBackend,
  type EngineChoice,
} from '../execution/execution-settings.js';
import type { TaskAccelerator } from '../parallel/task-accelerator.js';
import { WingbeatsError, argumentError } from '../util/errors.js';

/**
 * A model compiled for an engine: runs the row tasks it accepts — each kind's one host plan on the engine's primitives
 * (src/engine/engine-primitives.ts), never a second implementation of a kind; {@link close} frees it (idempotent).
 */
export interface EngineRunner extends TaskAccelerator {
  close(): Promise<void>;
}

/** An engine other than TensorFlow.js: compiles a model into a runner. */
export interface Engine {
  /**
   * Compiles `model` to run with `threads` threads.
   * @throws WingbeatsError UNSUPPORTED_MODEL when the model does not lower to the engine, BACKEND when the runtime is
   *   missing or broken: the session then keeps TensorFlow.js after one line. Anything else is a bug and propagates.
   */
  open(model: ExplainableModel, options: { threads: number }): Promise<EngineRunner>;
}

/**
 * Makes the engine, once per process, on first use (e.g. loads its runtime with a dynamic import, so registering an
 * engine costs nothing until a model runs on it). Throwing WingbeatsError BACKEND marks the engine as failed.
 */
export type EngineFactory = () => Engine | Promise<Engine>;

/** Names an engine other than TensorFlow.js can be registered under. */
export type EngineName = Exclude<ComputeBackend, 'tfjs'>;

interface Registered {
  factory: EngineFactory;
  /** The engine, or its failure to initialise, once asked for. */
  engine?: Promise<Engine>;
}

const engines = new Map<EngineName, Registered>();

/**
 * Registers (or, with `null`, removes) the engine `name`. A later registration replaces the earlier one (and
 * forgets its initialisation); sessions already open keep the runners they resolved.
 * @example registerEngine('onnx', async () => (await import('./my-onnx-engine.js')).engine);
 */
export function registerEngine(name: EngineName, factory: EngineFactory | null): void {
  if (!(COMPUTE_BACKENDS as readonly string[]).includes(name) || name === ('tfjs' as string))
    throw argumentError(
      'registerEngine',
      'name',
      "an engine name other than 'tfjs' and 'auto' ('onnx', 'onnx-cuda')",
      name,
    );
  if (factory === null) engines.delete(name);
  else engines.set(name, { factory });
}

/** Whether an engine is registered under `name` (e.g. `'onnx'` in Node after importing `wingbeats-xai/node`). */
export function hasEngine(name: EngineName): boolean {
  return engines.has(name);
}

/**
 * The engine a call asked for, from its `engine` option or the older `backend` (default `fallback`, `'auto'`).
 * @throws WingbeatsError INVALID_ARGUMENT for a value that is no engine, or `engine` and `backend` that disagree.
 */
export function engineChoice(
  functionName: string,
  options: { engine?: unknown; backend?: unknown },
  fallback: EngineChoice = 'auto',
): EngineChoice {
  for (const name of ['engine', 'backend'] as const) {
    const value = options[name];
    if (value !== undefined && !(ENGINE_CHOICES as readonly unknown[]).includes(value))
      throw argumentError(functionName, name, ENGINE_CHOICES.map((e) => `'${e}'`).join(', '), value);
  }
  if (options.engine !== undefined && options.backend !== undefined && options.engine !== options.backend)
    throw argumentError(
      functionName,
      'backend',
      `the same engine as 'engine' ('${String(options.engine)}'), or no 'backend' (it is the older name of 'engine')`,
      options.backend,
    );
  return (options.engine ?? options.backend ?? fallback) as EngineChoice;
}

/** What {@link resolveEngine} settled on: an engine and its runner, or TensorFlow.js. */
export type ResolvedEngine = { name: EngineName; runner: EngineRunner } | { name: 'tfjs'; runner?: undefined };

/**
 * The engines a choice tries, in order, before TensorFlow.js: `'auto'` prefers ONNX Runtime on the GPU and then on
 * the CPU; `'onnx-cuda'` falls back to the CPU; `'onnx'` is the CPU (the page's wasm) only.
 */
const ENGINE_ORDER: Record<Exclude<EngineChoice, 'tfjs'>, readonly EngineName[]> = {
  auto: ['onnx-cuda', 'onnx'],
  'onnx-cuda': ['onnx-cuda', 'onnx'],
  onnx: ['onnx'],
};

/** Whether `choice` can run on an engine other than TensorFlow.js here (one of its engines is registered). */
export function hasEngineFor(choice: EngineChoice): boolean {
  return choice !== 'tfjs' && ENGINE_ORDER[choice].some((name) => engines.has(name));
}

/** The registered engine `name`, started once (a start that failed stays failed). */
function startEngine(name: EngineName, entry: Registered): Promise<Engine> {
  entry.engine ??= Promise.resolve().then(entry.factory);
  return entry.engine.catch((error: unknown) => {
    throw error instanceof WingbeatsError
      ? error
      : new WingbeatsError('BACKEND', `engine '${name}' failed to start: ${String(error)}`, { cause: error });
  });
}

/**
 * Resolves `choice` for `model` with `threads` threads — the one place with the fallback. `'tfjs'` is TensorFlow.js.
 * The others try their engines in order ({@link ENGINE_ORDER}): an engine that fails to start or to open the model
 * (BACKEND) gives ONE line through `warn` (`wingbeats-xai: CODE why; using <next>.`) and the next is tried — silently
 * when `'auto'` finds the GPU engine absent from this machine; a model that does not lower (UNSUPPORTED_MODEL: the
 * same for every ONNX engine) gives one line and TensorFlow.js. `'auto'` with no engine registered (the browser
 * without one, Node without `wingbeats-xai/node`) is TensorFlow.js, silently. `open` opens the model on an engine
 * (default: `engine.open(model, { threads })`; a session passes one that opens each engine once).
 * @throws WingbeatsError INVALID_ARGUMENT for `'onnx'` or `'onnx-cuda'` where no such engine is registered.
 */
export async function resolveEngine(
  functionName: string,
  model: ExplainableModel,
  choice: EngineChoice,
  threads: number,
  warn: (line: string) => void,
  open: (name: EngineName, engine: Engine) => Promise<EngineRunner> = (_, engine) => engine.open(model, { threads }),
): Promise<ResolvedEngine> {
  if (choice === 'tfjs') return { name: 'tfjs' };
  if (choice !== 'auto' && !engines.has(choice))
    throw argumentError(
      functionName,
      'engine',
      `'tfjs' or 'auto' here ('${choice}' needs its engine registered: in Node, import 'wingbeats-xai/node')`,
      choice,
    );
  const names = ENGINE_ORDER[choice].filter((name) => engines.has(name));
  for (const [i, name] of names.entries()) {
    const entry = engines.get(name) as Registered;
    let started = false;
    try {
      const engine = await startEngine(name, entry);
      started = true;
      return { name, runner: await open(name, engine) };
    } catch (error) {
      if (!(error instanceof WingbeatsError) || (error.code !== 'UNSUPPORTED_MODEL' && error.code !== 'BACKEND'))
        throw error;
      const next = error.code === 'BACKEND' ? names[i + 1] : undefined;
      const absent = choice === 'auto' && name !== 'onnx' && !started;
      if (!absent)
        warn(
          `wingbeats-xai: ${error.code} ${error.message.replace(/\.$/, '')}; using ${next === undefined ? 'TensorFlow.js' : ENGINE_TITLES[next]}.`,
        );
      if (next === undefined) break;
    }
  }
  return { name: 'tfjs' };
}

/** How the fallback line names an engine. */
const ENGINE_TITLES: Record<EngineName, string> = {
  onnx: 'ONNX Runtime on the CPU',
  'onnx-cuda': 'ONNX Runtime with CUDA',
};
