/**
 * Node only: the engine's ONNX sessions and task runner (src/onnx/) with onnxruntime-node as their default runtime,
 * so Node callers need not name one.
 */
import type { ExplainableModel } from '../../execution/explainable-model.js';
import {
  OnnxGradientSession as SharedOnnxGradientSession,
  type OnnxSessionOptions as SharedOnnxSessionOptions,
} from '../../onnx/onnx-gradient-session.js';
import { OnnxTaskRunner as SharedOnnxTaskRunner } from '../../onnx/onnx-task-runner.js';
import { loadNodeOnnxRuntime } from './node-onnx-runtime.js';

/** Options of {@link OnnxGradientSession.create}: the shared ones, `runtime` defaulting to onnxruntime-node. */
export type OnnxSessionOptions = Omit<SharedOnnxSessionOptions, 'runtime'> & Partial<SharedOnnxSessionOptions>;

/** {@link SharedOnnxGradientSession} on onnxruntime-node unless `runtime` says otherwise. */
export class OnnxGradientSession extends SharedOnnxGradientSession {
  /**
   * Compiles `model` and opens its sessions on onnxruntime-node (see the shared `OnnxGradientSession.create`).
   * @example const session = await OnnxGradientSession.create(model, { threads: 1 });
   */
  static override create(model: ExplainableModel, options: OnnxSessionOptions = {}): Promise<OnnxGradientSession> {
    return super.create(model, { ...options, runtime: options.runtime ?? loadNodeOnnxRuntime });
  }
}

/** {@link SharedOnnxTaskRunner} on onnxruntime-node unless `runtime` says otherwise. */
export class OnnxTaskRunner extends SharedOnnxTaskRunner {
  /**
   * Compiles `model` for logits on onnxruntime-node (see the shared `OnnxTaskRunner.create`).
   * @example const runner = await OnnxTaskRunner.create(model, { threads: 2 });
   */
  static override create(
    model: ExplainableModel,
    options: Pick<OnnxSessionOptions, 'runtime' | 'threads'> = {},
  ): Promise<OnnxTaskRunner> {
    return super.create(model, { ...options, runtime: options.runtime ?? loadNodeOnnxRuntime });
  }
}
