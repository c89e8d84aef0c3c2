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
import { deepliftMaxPool } from '../rules/deeplift-max-pool.js';
import { deepliftRescale } from '../rules/deeplift-rescale.js';
import { lrpTaskSettings } from '../attribution/lrp-rows.js';
import { leafLayers } from '../execution/layer-walk.js';
import { config, first, pair } from '../execution/layer-op.js';
import { OnnxGradientSession, type OnnxSessionOptions } from './onnx-gradient-session.js';
import { compileModelGraph } from './compile-onnx-file.js';
import { compilable } from './native-form.js';
import { type OnnxPropagation, propagationKey } from './rules/propagation.js';
import type { OnnxRuntimeLoader } from './runtime.js';

/** Task kinds the ONNX graphs compute (`'lrp'` and `'deeplift'` under their rules' op-gradient overrides). */
export const ONNX_TASK_KINDS = [
  'gradients',
  'scores',
  'integrated-gradients',
  'mc-dropout-maps',
  'lrp',
  'deeplift',
] as const;

/** The serial name of the guided-ReLU rule (src/rules/guided-relu.ts). */
const GUIDED = guidedRelu.name;

/** The serial names of DeepLIFT's rules, as its tasks carry them. */
const DEEPLIFT = [deepliftRescale.name, deepliftMaxPool.name];

/** The propagation of a task (its kind and rules; see {@link OnnxTaskRunner.accepts} for what is accepted). */
function propagationOf(task: RowTask): OnnxPropagation {
  if (task.kind === 'lrp') return { kind: 'lrp', settings: lrpTaskSettings(task) };
  if (task.kind === 'deeplift') return { kind: 'deeplift' };
  return { kind: task.execution.rules[0] === GUIDED ? 'guided' : 'plain' };
}

/**
 * Whether every max pool of `model` has the geometry DeepLIFT's max-pool rule takes ('valid', strides = pool size):
 * for the others TensorFlow.js gives the refusal.
 */
function deepliftPools(model: tf.LayersModel): boolean {
  return leafLayers(model).every((layer) => {
    const className = layer.getClassName();
    if (className !== 'MaxPooling1D' && className !== 'MaxPooling2D') return true;
    const c = config(layer);
    const size = className === 'MaxPooling2D' ? pair(c.poolSize, 2) : [first(c.poolSize, 2)];
    const strides =
      className === 'MaxPooling2D' ? pair(c.strides ?? c.poolSize, size[0]) : [first(c.strides ?? c.poolSize, size[0])];
    return c.padding === 'valid' && strides.every((s, i) => s === size[i]);
  });
}

const size = (shape: number[]): number => shape.slice(1).reduce((a, b) => a * b, 1);

/** One compiled model per score kind (logits, probabilities), compiled on first use. Call {@link close} when done. */
export class OnnxTaskRunner {
  private readonly model: ExplainableModel;
  private readonly runtime: OnnxRuntimeLoader;
  private readonly threads: number;
  /** By head, score kind, propagation and dropout (`'0 logits plain'`, `'0 logits guided'`, `'1 logits plain dropout'`, ...). */
  private readonly sessions = new Map<string, Promise<OnnxGradientSession>>();
  /** Whether the model compiles under a rule's propagation, by head, score kind and propagation. */
  private readonly compiles = new Map<string, boolean>();

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

  private session(
    scores: ScoreKind,
    propagation: OnnxPropagation = { kind: 'plain' },
    dropout = false,
    outputIndex = 0,
  ): Promise<OnnxGradientSession> {
    const key = `${outputIndex} ${scores} ${propagationKey(propagation)}${dropout ? ' dropout' : ''}`;
    let session = this.sessions.get(key);
    if (session === undefined) {
      session = OnnxGradientSession.create(this.model, {
        runtime: this.runtime,
        scores,
        threads: this.threads,
        propagation,
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
   * `'lrp'` tasks (no further rule) and `'deeplift'` tasks (exactly DeepLIFT's two rules), without dropout, when the
   * model compiles under their rules (a refused one runs on TensorFlow.js, which gives the same numbers or the error).
   */
  accepts(task: RowTask): boolean {
    if (
      !(ONNX_TASK_KINDS as readonly string[]).includes(task.kind) ||
      !Number.isInteger(task.outputIndex) ||
      task.outputIndex < 0 ||
      task.outputIndex >= this.model.outputNames.length
    )
      return false;
    const rules = task.execution.rules;
    if (task.kind === 'lrp' || task.kind === 'deeplift') {
      const named = task.kind === 'lrp' ? [] : DEEPLIFT;
      return (
        task.execution.dropout === undefined &&
        rules.length === named.length &&
        rules.every((r, i) => r === named[i]) &&
        this.compilesUnder(task)
      );
    }
    return (
      (rules.length === 0 || (rules.length === 1 && rules[0] === GUIDED)) &&
      !(task.kind === 'mc-dropout-maps' && task.execution.dropout !== undefined)
    );
  }

  /** Whether the model compiles under the rules of an `'lrp'` or `'deeplift'` task (compiled once per setting). */
  private compilesUnder(task: RowTask): boolean {
    const propagation = propagationOf(task);
    const key = `${task.outputIndex} ${task.scores} ${propagationKey(propagation)}`;
    let known = this.compiles.get(key);
    if (known === undefined) {
      const layersModel = this.model.layersModel;
      known =
        compilable(this.model) &&
        (layersModel === null || propagation.kind !== 'deeplift' || deepliftPools(layersModel));
      if (known)
        try {
          compileModelGraph(this.model, { scores: task.scores, outputIndex: task.outputIndex, propagation });
        } catch (error) {
          if (!(error instanceof WingbeatsError) || error.code !== 'UNSUPPORTED_MODEL') throw error;
          known = false;
        }
      this.compiles.set(key, known);
    }
    return known;
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
    const session = await this.session(task.scores, propagationOf(task), dropout, task.outputIndex);
    const out = await this.compute(session, task);
    return { ...out, tensors: tf.memory().numTensors };
  }

  private async compute(session: OnnxGradientSession, task: RowTask): Promise<TaskArray> {
    if (task.kind === 'mc-dropout-maps') return mcDropoutMapsChunk(session, task);
    if (task.kind === 'lrp') return lrpChunk(session, task);
    if (task.kind === 'deeplift') return deepliftChunk(session, task);
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

/** One-hot `[rows, classes]` of `targets`, followed by `zeroRows` zero rows. */
function targetRows(targets: readonly number[], classes: number, zeroRows = 0): Float32Array {
  const mask = new Float32Array((targets.length + zeroRows) * classes);
  targets.forEach((t, r) => (mask[r * classes + t] = 1));
  return mask;
}

/** `'lrp'`: relevance x ⊙ gradient, the gradient under the LRP composite's overrides from LRP's seed. */
async function lrpChunk(session: OnnxGradientSession, task: RowTask): Promise<TaskArray> {
  const rows = task.arrays.rows;
  const mask = targetRows(task.numbers.targets, session.classes);
  const { gradient } = await session.seededGradients(rows.data, mask);
  const relevance = new Float32Array(rows.data.length);
  for (let i = 0; i < relevance.length; i++) relevance[i] = rows.data[i] * gradient[i];
  return { data: relevance, shape: rows.shape.slice() };
}

/**
 * `'deeplift'`: rows and baselines as one paired batch under DeepLIFT's overrides; each row's attributions
 * (x − baseline) ⊙ multiplier and its delta, laid out as the TensorFlow.js executor lays them (`[rows, size + 1]`).
 */
async function deepliftChunk(session: OnnxGradientSession, task: RowTask): Promise<TaskArray> {
  const { rows: inputs, baselines } = task.arrays;
  const targets = task.numbers.targets;
  const count = inputs.shape[0];
  const features = size(inputs.shape);
  const pairedRows = new Float32Array(2 * count * features);
  pairedRows.set(inputs.data);
  pairedRows.set(baselines.data, count * features);
  const classes = session.classes;
  const { scores, gradient } = await session.seededGradients(pairedRows, targetRows(targets, classes, count));
  const out = new Float32Array(count * (features + 1));
  for (let r = 0; r < count; r++) {
    let sum = 0;
    for (let i = 0; i < features; i++) {
      const k = r * features + i;
      const a = Math.fround(Math.fround(inputs.data[k] - baselines.data[k]) * gradient[k]);
      out[r * (features + 1) + i] = a;
      sum = Math.fround(sum + a);
    }
    const change = Math.fround(scores[r * classes + targets[r]] - scores[(count + r) * classes + targets[r]]);
    out[r * (features + 1) + features] = Math.fround(sum - change);
  }
  return { data: out, shape: [count, features + 1] };
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
