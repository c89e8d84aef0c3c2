/**
 * Node only: the parts of onnxruntime-node the ONNX backend uses, typed here (so the declarations do not need the
 * optional package), its loader, the session options every session uses, and one run of a session on plain arrays.
 */
import { WingbeatsError } from '../../util/errors.js';
import type { RowArray } from '../../onnx/runtime.js';

/** A tensor of onnxruntime-node. */
export interface OrtTensor {
  readonly dims: readonly number[];
  readonly data: unknown;
}
/** An inference session of onnxruntime-node. */
export interface OrtSession {
  run(feeds: Record<string, OrtTensor>): Promise<Record<string, OrtTensor>>;
  release(): Promise<void>;
}
/** The onnxruntime-node module. */
export interface Ort {
  /** Versions of the loaded packages (`env.versions.node`: onnxruntime-node's). */
  env?: { versions?: { node?: string } };
  InferenceSession: { create(model: Uint8Array, options: Record<string, unknown>): Promise<OrtSession> };
  Tensor: new (type: 'float32', data: Float32Array, dims: number[]) => OrtTensor;
}

/** Loads onnxruntime-node, or fails with one line (`BACKEND`). */
export async function loadOrt(): Promise<Ort> {
  try {
    const module = (await import('onnxruntime-node')) as unknown as Ort & { default?: Ort };
    return module.default ?? module;
  } catch (error) {
    throw new WingbeatsError(
      'BACKEND',
      `ONNX Runtime (the package 'onnxruntime-node', a dependency of wingbeats-xai) could not be loaded: ${(error as Error).message}`,
    );
  }
}

/** Session options: `threads` intra-op threads, sequential execution, every graph optimisation. */
export const sessionOptions = (threads: number): Record<string, unknown> => ({
  intraOpNumThreads: threads,
  interOpNumThreads: 1,
  executionMode: 'sequential',
  graphOptimizationLevel: 'all',
});

export type { RowArray } from '../../onnx/runtime.js';

/** Runs `session` on `feeds` and returns every output's values by name (the same in any thread). */
export async function runSession(
  ort: Ort,
  session: OrtSession,
  feeds: Record<string, RowArray>,
): Promise<Record<string, Float32Array>> {
  const tensors = Object.fromEntries(
    Object.entries(feeds).map(([name, { data, dims }]) => [name, new ort.Tensor('float32', data, dims)]),
  );
  const out = await session.run(tensors);
  return Object.fromEntries(Object.entries(out).map(([name, tensor]) => [name, tensor.data as Float32Array]));
}
