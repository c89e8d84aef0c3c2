/**
 * The `backend` option of a call: `'tfjs'` (default: TensorFlow.js, everywhere) or `'onnx'` (Node: the model's row
 * tasks run on onnxruntime-node, see src/node/onnx). A backend other than TensorFlow.js is prepared by a function
 * that Node code registers, so this folder never imports it and the browser refuses the option in one line.
 */
import type { ExplainableModel } from './explainable-model.js';
import { argumentError } from '../util/errors.js';
import { COMPUTE_BACKENDS, type ComputeBackend } from './execution-settings.js';

/**
 * Readies `model` for a backend with `threads` threads (e.g. compiles it); resolves false when the model keeps
 * TensorFlow.js (after telling the user in one line why).
 */
export type BackendPreparer = (model: ExplainableModel, threads: number | undefined) => Promise<boolean>;

const preparers = new Map<ComputeBackend, BackendPreparer>();

/** Registers how `backend` is prepared (Node code registers `'onnx'`). Passing `null` removes it. */
export function registerComputeBackend(
  backend: Exclude<ComputeBackend, 'tfjs'>,
  preparer: BackendPreparer | null,
): void {
  if (preparer === null) preparers.delete(backend);
  else preparers.set(backend, preparer);
}

/** Checks a `backend` option value. */
export function checkComputeBackend(functionName: string, backend: unknown): void {
  if (backend !== undefined && !(COMPUTE_BACKENDS as readonly unknown[]).includes(backend))
    throw argumentError(functionName, 'backend', "'tfjs' or 'onnx'", backend);
}

/**
 * The backend a call on `model` runs on: `'tfjs'` unless `'onnx'` was asked for and the model could be prepared.
 * @throws WingbeatsError INVALID_ARGUMENT when the backend is not available here (the browser, or Node without
 *   importing `wingbeats-xai/node`).
 */
export async function resolveComputeBackend(
  functionName: string,
  model: ExplainableModel,
  backend: ComputeBackend | undefined,
  threads: number | undefined,
): Promise<ComputeBackend> {
  if (backend === undefined || backend === 'tfjs') return 'tfjs';
  const prepare = preparers.get(backend);
  if (prepare === undefined)
    throw argumentError(
      functionName,
      'backend',
      `'tfjs' here ('${backend}' runs in Node only, after importing 'wingbeats-xai/node')`,
      backend,
    );
  return (await prepare(model, threads)) ? backend : 'tfjs';
}
