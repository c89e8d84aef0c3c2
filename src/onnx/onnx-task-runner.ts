/**
 * Runs the worker pool's row tasks (`'gradients'`, `'scores'`, `'integrated-gradients'`, and Monte-Carlo dropout's
 * `'mc-dropout-maps'`, see src/parallel) on an ONNX runtime (onnxruntime-node in Node, onnxruntime-web in the browser
 * page) instead of TensorFlow.js — the same task in, the same `[rows, ...]` array out (equal to float32 rounding), on
 * any head, also with guided backprop's guided ReLU and under Monte-Carlo dropout (a task's own row seeds, or the
 * call-wide dropout settings of its execution). Dropout keep-masks are drawn here by TensorFlow.js exactly as its
 * executor draws them for the task's one pass and fed to the graph, so a sample's thinned network is the same on both
 * engines. Tasks it cannot run (other kinds, other propagation rules) are left to the TensorFlow.js executors: check
 * {@link OnnxTaskRunner.accepts} first.
 */
import * as tf from '@tensorflow/tfjs';
import type { ExplainableModel, ScoreKind } from '../execution/explainable-model.js';
import { taskTensor, type RowResult, type RowTask, type TaskArray } from '../parallel/row-task.js';
import { WingbeatsError } from '../util/errors.js';
import { guidedRelu } from '../rules/guided-relu.js';
import { dropoutKeepMasks, type DropoutKeepMask } from '../execution/dropout-masks.js';
import { sampleMapRows } from '../uncertainty/mc-dropout-rows.js';
import { OnnxGradientSession, type OnnxSessionOptions } from './onnx-gradient-session.js';
import type { OnnxRuntimeLoader } from './runtime.js';

/** Task kinds the ONNX graphs compute. */
export const ONNX_TASK_KINDS = ['gradients', 'scores', 'integrated-gradients', 'mc-dropout-maps'] as const;

/** The serial name of the guided-ReLU rule (src/rules/guided-relu.ts). */
const GUIDED = guidedRelu.name;

const size = (shape: number[]): number => shape.slice(1).reduce((a, b) => a * b, 1);

/** One compiled model per score kind (logits, probabilities), compiled on first use. Call {@link close} when done. */
export class OnnxTaskRunner {
  private readonly model: ExplainableModel;
  private readonly runtime: OnnxRuntimeLoader;
  private readonly threads: number;
  /** By head, score kind, propagation and dropout (`'0 logits'`, `'0 logits guided'`, `'1 logits dropout'`, ...). */
  private readonly sessions = new Map<string, Promise<OnnxGradientSession>>();

  protected constructor(model: ExplainableModel, runtime: OnnxRuntimeLoader, threads: number) {
    this.model = model;
    this.runtime = runtime;
    this.threads = threads;
  }

  /**
   * Compiles `model` for logits (probabilities are compiled when a task asks for them).
   *
   * @throws WingbeatsError `UNSUPPORTED_MODEL` for a model the compiler cannot lower (fall back to TensorFlow.js),
   *   `BACKEND` when the runtime cannot be loaded, `INVALID_ARGUMENT` for bad options.
   * @example
   * const runner = await OnnxTaskRunner.create(model, { runtime: loadNodeOnnxRuntime });
   * const result = runner.accepts(task) ? await runner.run(task) : executeRowTask(model, task);
   * await runner.close();
   */
  static async create(model: ExplainableModel, options: Pick<OnnxSessionOptions, 'runtime' | 'threads'>) {
    const runner = new this(model, options.runtime, options.threads ?? 1);
    await runner.session('logits');
    return runner;
  }

  private session(scores: ScoreKind, guided = false, dropout = false, outputIndex = 0): Promise<OnnxGradientSession> {
    const key = `${outputIndex} ${scores}${guided ? ' guided' : ''}${dropout ? ' dropout' : ''}`;
    let session = this.sessions.get(key);
    if (session === undefined) {
      session = OnnxGradientSession.create(this.model, {
        runtime: this.runtime,
        scores,
        threads: this.threads,
        guided,
        dropout,
        outputIndex,
      });
      session.catch(() => this.sessions.delete(key));
      this.sessions.set(key, session);
    }
    return session;
  }

  /**
   * Whether {@link run} computes `task`: a known kind, a head of the model, no rule or only guided ReLU (guided
   * backprop); call-wide dropout settings are taken, except on `'mc-dropout-maps'` (which carries its own row seeds).
   */
  accepts(task: RowTask): boolean {
    return (
      (ONNX_TASK_KINDS as readonly string[]).includes(task.kind) &&
      Number.isInteger(task.outputIndex) &&
      task.outputIndex >= 0 &&
      task.outputIndex < this.model.outputNames.length &&
      (task.execution.rules.length === 0 ||
        (task.execution.rules.length === 1 && task.execution.rules[0] === GUIDED)) &&
      !(task.kind === 'mc-dropout-maps' && task.execution.dropout !== undefined)
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
    const dropout = task.kind === 'mc-dropout-maps' || task.execution.dropout !== undefined;
    const session = await this.session(task.scores, task.execution.rules[0] === GUIDED, dropout, task.outputIndex);
    const out = await this.compute(session, task);
    return { ...out, tensors: tf.memory().numTensors };
  }

  private async compute(session: OnnxGradientSession, task: RowTask): Promise<TaskArray> {
    if (task.kind === 'mc-dropout-maps') return mcDropoutMapsChunk(session, task);
    // the task's one pass draws its keep-masks from the call-wide dropout settings, as its executor's pass does
    const keep = dropoutKeepMasks(task.execution.dropout);
    if (task.kind === 'scores') {
      const rows = task.arrays.rows;
      const keeps = keepMasks(session, keep, rows.shape[0]);
      return { data: await session.scores(rows.data, keeps), shape: [rows.shape[0], session.classes] };
    }
    if (task.kind === 'gradients') {
      const rows = task.arrays.rows;
      const keeps = keepMasks(session, keep, rows.shape[0]);
      const { gradient } = await session.gradients(rows.data, task.numbers.targets, keeps);
      return { data: gradient, shape: rows.shape.slice() };
    }
    return integratedGradientsChunk(session, task, keep);
  }

  /** Frees the native sessions. */
  async close(): Promise<void> {
    const sessions = await Promise.allSettled(this.sessions.values());
    this.sessions.clear();
    for (const s of sessions) if (s.status === 'fulfilled') await s.value.release();
  }
}

/** `'integrated-gradients'`: path points b + α(x − b) in float32 as TensorFlow.js forms them, then Σ weight·gradient. */
async function integratedGradientsChunk(
  session: OnnxGradientSession,
  task: RowTask,
  keep: DropoutKeepMask | null,
): Promise<TaskArray> {
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
  const { gradient } = await session.gradients(path, targets, keepMasks(session, keep, rows));
  const examples = inputs.shape[0];
  const sums = new Float32Array(examples * features);
  for (let r = 0; r < rows; r++) {
    const w = Math.fround(weights[r]);
    const out = example[r] * features;
    for (let i = 0; i < features; i++) sums[out + i] += w * gradient[r * features + i];
  }
  return { data: sums, shape: [examples, features] };
}

/**
 * `'mc-dropout-maps'`: each row's keep-masks drawn by `dropoutKeepMasks` from the task's row seeds (the masks the
 * TensorFlow.js executor draws), one ONNX pass for gradients and scores, then the maps as the executor forms them.
 */
async function mcDropoutMapsChunk(session: OnnxGradientSession, task: RowTask): Promise<TaskArray> {
  const rows = task.arrays.rows;
  const count = rows.shape[0];
  const rowSeeds = task.numbers.rowSeeds;
  const keeps = keepMasks(session, dropoutKeepMasks({ seed: rowSeeds[0], rowSeeds }), count);
  const { scores, gradient } = await session.gradients(rows.data, task.numbers.targets, keeps);
  const x = taskTensor(rows);
  const gradients = tf.tensor(gradient, rows.shape);
  try {
    return sampleMapRows(task, x, gradients, scores, session.classes);
  } finally {
    x.dispose();
    gradients.dispose();
  }
}

/**
 * The keep-masks of one pass of `rows` rows for the session's Dropout layers, in the executor's order (empty without
 * dropout); a mask drawn once for the whole batch (`fixedMasks`) is repeated for every row.
 */
function keepMasks(session: OnnxGradientSession, keep: DropoutKeepMask | null, rows: number): Float32Array[] {
  if (keep === null) return [];
  return session.dropouts.map(({ shape, rate }) => {
    const mask = tf.tidy(() => {
      const drawn = keep([rows, ...shape], rate);
      return drawn.shape[0] === rows ? drawn : tf.tile(drawn, [rows, ...shape.map(() => 1)]);
    });
    try {
      return mask.dataSync() as Float32Array;
    } finally {
      mask.dispose();
    }
  });
}
