/**
 * Node only: the parts of onnxruntime-node the ONNX backend uses, typed here (so the declarations do not need the
 * optional package), its loader, the session options every session uses, and one run of a session on plain arrays.
 */
import { WingbeatsError } from '../../util/errors.js';
import { runOrtSession, type OrtSession, type OrtTensorConstructor, type RowArray } from '../../onnx/runtime.js';
import { graphSessionOptions } from '../../onnx/graph-optimization.js';

export type { OrtSession } from '../../onnx/runtime.js';
/** The onnxruntime-node module. */
export interface Ort {
  /** Versions of the loaded packages (`env.versions.node`: onnxruntime-node's). */
  env?: { versions?: { node?: string } };
  InferenceSession: { create(model: Uint8Array, options: Record<string, unknown>): Promise<OrtSession> };
  Tensor: OrtTensorConstructor;
  /** The execution providers the binding was built with (`bundled: false`: its libraries are installed apart). */
  listSupportedBackends?: () => { name: string; bundled: boolean }[];
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

/**
 * Session options of the serialised model `graph`: `threads` intra-op threads, sequential execution, every graph
 * optimisation (none for a recurrent or very large graph, and no memory pattern for a recurrent one:
 * {@link graphSessionOptions}); with `providers`, those execution providers in order (default: onnxruntime-node's
 * own, the CPU).
 */
export const sessionOptions = (
  threads: number,
  graph: Uint8Array,
  providers?: readonly string[],
): Record<string, unknown> => ({
  intraOpNumThreads: threads,
  interOpNumThreads: 1,
  executionMode: 'sequential',
  ...graphSessionOptions(graph),
  ...(providers === undefined ? {} : { executionProviders: [...providers] }),
});

export type { RowArray } from '../../onnx/runtime.js';

/** Runs `session` on `feeds` and returns every output's values by name (the same in any thread). */
export function runSession(
  ort: Ort,
  session: OrtSession,
  feeds: Record<string, RowArray>,
): Promise<Record<string, Float32Array>> {
  return runOrtSession(ort.Tensor, session, feeds);
}
