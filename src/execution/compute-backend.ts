/**
 * The engine of a call (the `engine` option, `backend` its older name): `'auto'` (default), `'onnx'` or `'tfjs'`.
 * TensorFlow.js is everywhere; ONNX Runtime is prepared by a function that Node code registers (importing
 * `wingbeats-xai/node` does), so this folder never imports it. `'auto'` uses ONNX Runtime whenever it is registered
 * and the model lowers to it, and TensorFlow.js otherwise (the preparer tells the user in one line why); `'onnx'`
 * where it is not registered (the browser) is refused in one line.
 */
import type { ExplainableModel } from './explainable-model.js';
import { argumentError } from '../util/errors.js';
import { ENGINE_CHOICES, type ComputeBackend, type EngineChoice } from './execution-settings.js';

/**
 * Readies `model` for an engine with `threads` threads (e.g. compiles it); resolves false when the model keeps
 * TensorFlow.js (after telling the user in one line why).
 */
export type BackendPreparer = (model: ExplainableModel, threads: number | undefined) => Promise<boolean>;

const preparers = new Map<ComputeBackend, BackendPreparer>();

/** Registers how an engine is prepared (Node code registers `'onnx'`). Passing `null` removes it. */
export function registerComputeBackend(
  backend: Exclude<ComputeBackend, 'tfjs'>,
  preparer: BackendPreparer | null,
): void {
  if (preparer === null) preparers.delete(backend);
  else preparers.set(backend, preparer);
}

/** Whether an engine other than TensorFlow.js is registered here (e.g. `'onnx'` in Node). */
export function hasComputeBackend(backend: Exclude<ComputeBackend, 'tfjs'>): boolean {
  return preparers.has(backend);
}

/**
 * The engine a call asked for, from its `engine` option or the older `backend` (default `'auto'`).
 * @throws WingbeatsError INVALID_ARGUMENT for a value that is no engine, or `engine` and `backend` that disagree.
 */
export function engineChoice(functionName: string, options: { engine?: unknown; backend?: unknown }): EngineChoice {
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
  return (options.engine ?? options.backend ?? 'auto') as EngineChoice;
}

/**
 * The engine a call on `model` runs on: TensorFlow.js for `'tfjs'`; for `'onnx'` and `'auto'`, ONNX Runtime when it is
 * registered and the model could be prepared, else TensorFlow.js (`'auto'` without a registered ONNX Runtime — the
 * browser, or Node without `wingbeats-xai/node` — stays on TensorFlow.js silently).
 * @throws WingbeatsError INVALID_ARGUMENT for `'onnx'` where it is not available (the browser, or Node without
 *   importing `wingbeats-xai/node`).
 */
export async function resolveComputeBackend(
  functionName: string,
  model: ExplainableModel,
  choice: EngineChoice | undefined,
  threads: number | undefined,
): Promise<ComputeBackend> {
  if (choice === 'tfjs') return 'tfjs';
  const prepare = preparers.get('onnx');
  if (prepare === undefined) {
    if (choice === undefined || choice === 'auto') return 'tfjs';
    throw argumentError(
      functionName,
      'engine',
      `'tfjs' or 'auto' here ('${choice}' runs in Node only, after importing 'wingbeats-xai/node')`,
      choice,
    );
  }
  return (await prepare(model, threads)) ? 'onnx' : 'tfjs';
}
