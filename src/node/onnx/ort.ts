/**
 * Node only: the parts of onnxruntime-node the ONNX backend uses, typed here (so the declarations do not need the
 * optional package), its loader, and the session options every session uses.
 */
import { WingbeatsError } from '../../util/errors.js';

/** The parts of onnxruntime-node used here (typed locally, so the declarations do not need the optional package). */
export interface OrtTensor {
  readonly dims: readonly number[];
  readonly data: unknown;
}
export interface OrtSession {
  run(feeds: Record<string, OrtTensor>): Promise<Record<string, OrtTensor>>;
  release(): Promise<void>;
}
export interface Ort {
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
      `The ONNX backend needs the package 'onnxruntime-node' (npm install onnxruntime-node): ${(error as Error).message}`,
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
