/**
 * Node only: runs the worker pool's row tasks (`'gradients'`, `'scores'`, `'integrated-gradients'`, see src/parallel)
 * on onnxruntime-node instead of TensorFlow.js — the same task in, the same `[rows, ...]` array out (equal to float32
 * rounding). Tasks it cannot run (other kinds, propagation rules, Monte-Carlo dropout, another head) are left to the
 * TensorFlow.js executors: check {@link OnnxTaskRunner.accepts} first.
 */
import * as tf from '@tensorflow/tfjs';
import type { ExplainableModel, ScoreKind } from '../../execution/explainable-model.js';
import type { RowResult, RowTask, TaskArray } from '../../parallel/row-task.js';
import { WingbeatsError } from '../../util/errors.js';
import { OnnxGradientSession, type OnnxSessionOptions } from './onnx-gradient-session.js';

/** Task kinds the ONNX graphs compute. */
export const ONNX_TASK_KINDS = ['gradients', 'scores', 'integrated-gradients'] as const;

const size = (shape: number[]): number => shape.slice(1).reduce((a, b) => a * b, 1);

/** One compiled model per score kind (logits, probabilities), compiled on first use. Call {@link close} when done. */
export class OnnxTaskRunner {
  private readonly model: ExplainableModel;
  private readonly threads: number;
  private readonly sessions = new Map<ScoreKind, Promise<OnnxGradientSession>>();

  private constructor(model: ExplainableModel, threads: number) {
    this.model = model;
    this.threads = threads;
  }

  /**
   * Compiles `model` for logits (probabilities are compiled when a task asks for them).
   *
   * @throws WingbeatsError `UNSUPPORTED_MODEL` for a model the compiler cannot lower (fall back to TensorFlow.js),
   *   `BACKEND` without onnxruntime-node, `INVALID_ARGUMENT` for bad options.
   * @example
   * const runner = await OnnxTaskRunner.create(model);
   * const result = runner.accepts(task) ? await runner.run(task) : executeRowTask(model, task);
   * await runner.close();
   */
  static async create(model: ExplainableModel, options: Pick<OnnxSessionOptions, 'threads'> = {}) {
    const runner = new OnnxTaskRunner(model, options.threads ?? 1);
    await runner.session('logits');
    return runner;
  }

  private session(scores: ScoreKind): Promise<OnnxGradientSession> {
    let session = this.sessions.get(scores);
    if (session === undefined) {
      session = OnnxGradientSession.create(this.model, { scores, threads: this.threads });
      session.catch(() => this.sessions.delete(scores));
      this.sessions.set(scores, session);
    }
    return session;
  }

  /** Whether {@link run} computes `task`: a known kind, head 0 of a one-head model, no rules, no dropout. */
  accepts(task: RowTask): boolean {
    return (
      (ONNX_TASK_KINDS as readonly string[]).includes(task.kind) &&
      task.outputIndex === 0 &&
      this.model.outputNames.length === 1 &&
      task.execution.rules.length === 0 &&
      task.execution.dropout === undefined
    );
  }

  /**
   * Runs one task; the result has the shape the TensorFlow.js executor of its kind returns.
   *
   * @throws WingbeatsError `INVALID_ARGUMENT` for a task {@link accepts} refuses or malformed arrays.
   */
  async run(task: RowTask): Promise<RowResult> {
    if (!this.accepts(task))
      throw new WingbeatsError(
        'INVALID_ARGUMENT',
        `The ONNX task runner cannot run a '${task.kind}' task with rules [${task.execution.rules.join(', ')}]${task.execution.dropout === undefined ? '' : ' and dropout'} on head ${task.outputIndex}.`,
      );
    const session = await this.session(task.scores);
    const out = await this.compute(session, task);
    return { ...out, tensors: tf.memory().numTensors };
  }

  private async compute(session: OnnxGradientSession, task: RowTask): Promise<TaskArray> {
    if (task.kind === 'scores') {
      const rows = task.arrays.rows;
      return { data: await session.scores(rows.data), shape: [rows.shape[0], session.classes] };
    }
    if (task.kind === 'gradients') {
      const rows = task.arrays.rows;
      return { data: (await session.gradients(rows.data, task.numbers.targets)).gradient, shape: rows.shape.slice() };
    }
    return integratedGradientsChunk(session, task);
  }

  /** Frees the native sessions. */
  async close(): Promise<void> {
    const sessions = await Promise.allSettled(this.sessions.values());
    this.sessions.clear();
    for (const s of sessions) if (s.status === 'fulfilled') await s.value.release();
  }
}

/** `'integrated-gradients'`: path points b + α(x − b) in float32 as TensorFlow.js forms them, then Σ weight·gradient. */
async function integratedGradientsChunk(session: OnnxGradientSession, task: RowTask): Promise<TaskArray> {
  const { alphas, example, weights, targets } = task.numbers;
  const { inputs, baselines } = task.arrays;
  const features = size(inputs.shape);
  const rows = alphas.length;
  const path = new Float32Array(rows * features);
  for (let r = 0; r < rows; r++) {
    const base = example[r] * features;
    const alpha = Math.fround(alphas[r]);
    for (let i = 0; i < features; i++) {
      const b = baselines.data[base + i];
      path[r * features + i] = b + Math.fround(alpha * Math.fround(inputs.data[base + i] - b));
    }
  }
  const { gradient } = await session.gradients(path, targets);
  const examples = inputs.shape[0];
  const sums = new Float32Array(examples * features);
  for (let r = 0; r < rows; r++) {
    const w = Math.fround(weights[r]);
    const out = example[r] * features;
    for (let i = 0; i < features; i++) sums[out + i] += w * gradient[r * features + i];
  }
  return { data: sums, shape: [examples, features] };
}
