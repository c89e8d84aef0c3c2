/**
 * Runs the row-task kinds (src/task-kinds.ts) on an ONNX runtime (onnxruntime-node in Node, onnxruntime-web in the
 * browser page) instead of TensorFlow.js. Every kind is written once on the host over the engine primitives
 * (src/engine/engine-primitives.ts); this runner only opens and caches the compiled sessions (by head, score kind,
 * propagation and dropout) and implements the primitives on them — the same task in, the same array out as on
 * TensorFlow.js (equal to float32 rounding), on any head, with guided ReLU, the LRP composite and DeepLIFT's rules as
 * op-gradient overrides, and under Monte-Carlo dropout (keep-masks drawn here by TensorFlow.js exactly as its pass
 * draws them and fed to the graph, so a sample's thinned network is the same on both engines). Tasks it cannot run
 * (other rules, a model that does not compile under a rule) are left to TensorFlow.js: check
 * {@link OnnxTaskRunner.accepts} first.
 */
import * as tf from '@tensorflow/tfjs';
import type { ExplainableModel, ScoreKind } from '../execution/explainable-model.js';
import { hostTaskKind, rulesPropagation, taskPropagation, type RowResult, type RowTask } from '../parallel/row-task.js';
import '../task-kinds.js';
import { WingbeatsError, argumentError } from '../util/errors.js';
import { guidedRelu } from '../rules/guided-relu.js';
import { dropoutKeepMasks, type DropoutKeepMask } from '../execution/dropout-masks.js';
import { deepliftMaxPool } from '../rules/deeplift-max-pool.js';
import { maxPoolFirstWinner } from '../rules/max-pool-first-winner.js';
import { deepliftRescale, deepliftRescaleNonlinear } from '../rules/deeplift-rescale.js';
import { leafLayers } from '../execution/layer-walk.js';
import { config, first, pair } from '../execution/layer-op.js';
import type { DropoutSettings } from '../execution/execution-settings.js';
import {
  type EnginePrimitives,
  type GradientPass,
  type Propagation,
  layerOfNumbers,
  runPlan,
} from '../engine/engine-primitives.js';
import { OnnxGradientSession, type OnnxSessionOptions } from './onnx-gradient-session.js';
import type { CompiledGraph } from './compile-gradient-graph.js';
import { compileModelGraph } from './compile-onnx-file.js';
import { compilable } from './native-form.js';
import { propagationKey } from './rules/propagation.js';
import type { OnnxRuntimeLoader } from './runtime.js';

/**
 * The task kinds this runner runs: every kind written on the host (src/task-kinds.ts; a test keeps this list equal to
 * `hostTaskKinds()`), `'lrp'` and `'deeplift'` under their rules' op-gradient overrides.
 */
export const ONNX_TASK_KINDS = [
  'gradients',
  'scores',
  'integrated-gradients',
  'mc-dropout-maps',
  'lrp',
  'deeplift',
  'grad-cam',
] as const;

/** The serial name of the guided-ReLU rule (src/rules/guided-relu.ts). */
const GUIDED = guidedRelu.name;

/** The serial name of the max-pool tie rule (the ONNX MaxPool gradient always routes to the first maximum). */
const FIRST_WINNER = maxPoolFirstWinner.name;

/** The serial names of DeepLIFT's rules, as its tasks carry them. */
const DEEPLIFT = [deepliftRescale.name, deepliftRescaleNonlinear.name, deepliftMaxPool.name];

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

/**
 * The ONNX engine of one model: compiled sessions by head, score kind, propagation and dropout, opened on first use,
 * and the engine primitives on them. Call {@link close} when done.
 */
export class OnnxTaskRunner {
  private readonly model: ExplainableModel;
  private readonly runtime: OnnxRuntimeLoader;
  private readonly threads: number;
  /** By head, score kind, propagation and dropout (`'0 logits plain'`, `'0 logits guided'`, `'1 logits plain dropout'`, ...). */
  private readonly sessions = new Map<string, Promise<OnnxGradientSession>>();
  /** Whether the model compiles under a rule's propagation, by head, score kind and propagation. */
  private readonly compiles = new Map<string, boolean>();
  /** Gradient graphs compiled by {@link accepts} and not yet taken by a session, by head, score kind and propagation. */
  private readonly compiledGraphs = new Map<string, CompiledGraph>();

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
    propagation: Propagation = { kind: 'plain' },
    dropout = false,
    outputIndex = 0,
    layer?: string,
  ): Promise<OnnxGradientSession> {
    const compileKey = `${outputIndex} ${scores} ${propagationKey(propagation)}${layer === undefined ? '' : ` layer ${JSON.stringify(layer)}`}`;
    const key = `${compileKey}${dropout ? ' dropout' : ''}`;
    let session = this.sessions.get(key);
    if (session === undefined) {
      const gradientGraph = dropout ? undefined : this.compiledGraphs.get(compileKey);
      this.compiledGraphs.delete(compileKey);
      session = OnnxGradientSession.create(this.model, {
        runtime: this.runtime,
        scores,
        threads: this.threads,
        propagation,
        dropout,
        outputIndex,
        ...(gradientGraph === undefined ? {} : { gradientGraph }),
        ...(layer === undefined ? {} : { layer }),
      });
      session.catch(() => this.sessions.delete(key));
      this.sessions.set(key, session);
    }
    return session;
  }

  /**
   * Whether {@link run} computes `task`: a kind written on the host (src/task-kinds.ts), a head of the model; plain
   * passes with no rule or only guided ReLU (guided backprop), call-wide dropout taken except on a kind whose pass
   * draws its keep-masks from the task's row seeds (`'mc-dropout-maps'`); `'lrp'` passes (no further rule) and
   * `'deeplift'` passes (exactly DeepLIFT's two rules), without dropout, when the model compiles under their rules (a
   * refused one runs on TensorFlow.js, which gives the same numbers or the error); layer-gradient passes (a task with
   * `numbers.layer`: Grad-CAM) with no rule but the max-pool tie rule and no dropout, when the model compiles with that
   * layer's output (applied once, not an identity).
   */
  accepts(task: RowTask): boolean {
    const kind = hostTaskKind(task.kind);
    if (
      kind === undefined ||
      !Number.isInteger(task.outputIndex) ||
      task.outputIndex < 0 ||
      task.outputIndex >= this.model.outputNames.length
    )
      return false;
    const rules = task.execution.rules;
    const layer = layerOfNumbers(task.numbers.layer);
    if (layer !== undefined)
      return (
        task.execution.dropout === undefined &&
        rules.every((r) => r === FIRST_WINNER) &&
        this.compilesUnder(task, { kind: 'plain' }, layer)
      );
    const propagation = taskPropagation(task);
    if (propagation.kind === 'lrp' || propagation.kind === 'deeplift') {
      const named = propagation.kind === 'lrp' ? [] : DEEPLIFT;
      return (
        task.execution.dropout === undefined &&
        rules.length === named.length &&
        rules.every((r, i) => r === named[i]) &&
        this.compilesUnder(task, propagation)
      );
    }
    return (
      (rules.length === 0 || (rules.length === 1 && rules[0] === GUIDED)) &&
      !(kind.rowSeededDropout === true && task.execution.dropout !== undefined)
    );
  }

  /**
   * Whether the model compiles under an LRP or DeepLIFT propagation, compiled once per setting: the gradient graph is
   * kept for the session that opens next with the same setting, which then does not compile it again.
   */
  private compilesUnder(task: RowTask, propagation: Propagation, layer?: string): boolean {
    const key = `${task.outputIndex} ${task.scores} ${propagationKey(propagation)}${layer === undefined ? '' : ` layer ${JSON.stringify(layer)}`}`;
    let known = this.compiles.get(key);
    if (known === undefined) {
      const layersModel = this.model.layersModel;
      known =
        compilable(this.model) &&
        (layersModel === null || propagation.kind !== 'deeplift' || deepliftPools(layersModel));
      if (known)
        try {
          const options = {
            scores: task.scores,
            outputIndex: task.outputIndex,
            propagation,
            ...(layer === undefined ? {} : { layer }),
          };
          this.compiledGraphs.set(key, compileModelGraph(this.model, options));
        } catch (error) {
          if (!(error instanceof WingbeatsError) || error.code !== 'UNSUPPORTED_MODEL') throw error;
          known = false;
        }
      this.compiles.set(key, known);
    }
    return known;
  }

  /**
   * Runs one task: its kind's host plan on this runner's primitives; the result has the shape the kind defines.
   *
   * @throws WingbeatsError `INVALID_ARGUMENT` for a task {@link accepts} refuses or malformed arrays.
   */
  async run(task: RowTask): Promise<RowResult> {
    if (!this.accepts(task))
      throw new WingbeatsError(
        'INVALID_ARGUMENT',
        `The ONNX task runner cannot run a '${task.kind}' task with rules [${task.execution.rules.join(', ')}]${task.execution.dropout === undefined ? '' : ' and dropout'} on head ${task.outputIndex}.`,
      );
    const out = await runPlan(hostTaskKind(task.kind)!.plan(task), this.primitives(task));
    return { ...out, tensors: tf.memory().numTensors };
  }

  /**
   * The engine primitives for the passes of `task` (its head, score kind, rules and call-wide dropout): each pass runs
   * on the session of its propagation and dropout, opened on first use.
   */
  primitives(task: RowTask): EnginePrimitives<'async'> {
    const { outputIndex, scores } = task;
    const open = (propagation: Propagation, dropout: DropoutSettings | undefined) =>
      this.session(scores, propagation, dropout !== undefined, outputIndex);
    return {
      scores: async (pass) => {
        const dropout = pass.dropout ?? task.execution.dropout;
        const session = await open(rulesPropagation(task), dropout);
        const keeps = keepMasks(session, dropoutKeepMasks(dropout), pass.rows.shape[0]);
        return { scores: await session.scores(pass.rows.data, keeps), classes: session.classes };
      },
      gradients: async (pass) => {
        const dropout = pass.dropout ?? task.execution.dropout;
        const session = await open(pass.propagation, dropout);
        const keeps = keepMasks(session, dropoutKeepMasks(dropout), pass.rows.shape[0]);
        const { scores, gradient } = await session.seededGradients(pass.rows.data, seedRows(session, pass), keeps);
        return { scores, gradient, classes: session.classes };
      },
      layerGradients: async (pass) => {
        const session = await this.session(scores, { kind: 'plain' }, false, outputIndex, pass.layer);
        const rows = pass.rows.shape[0];
        const mask = seedRows(session, { ...pass, output: { targets: pass.targets }, propagation: { kind: 'plain' } });
        const out = await session.layerGradients(pass.rows.data, mask);
        const shape = [rows, ...session.layerShape!];
        return {
          scores: out.scores,
          classes: session.classes,
          activations: { data: out.activations, shape },
          gradient: { data: out.gradient, shape: shape.slice() },
        };
      },
    };
  }

  /** Frees the native sessions. */
  async close(): Promise<void> {
    const sessions = await Promise.allSettled(this.sessions.values());
    this.sessions.clear();
    this.compiledGraphs.clear();
    for (const s of sessions) if (s.status === 'fulfilled') await s.value.release();
  }
}

/**
 * The `[rows, classes]` seed of a gradient pass: the pass's own, or the one-hot targets (of the input rows, zero rows
 * below, for DeepLIFT's paired batch; LRP and DeepLIFT form their seed from it in the graph).
 * @throws WingbeatsError INVALID_ARGUMENT for targets that are not one class index per (input) row, or a seed under
 *   LRP or DeepLIFT.
 */
function seedRows(session: OnnxGradientSession, pass: GradientPass): Float32Array {
  const rows = pass.rows.shape[0];
  const classes = session.classes;
  const relevance = pass.propagation.kind === 'lrp' || pass.propagation.kind === 'deeplift';
  if ('seed' in pass.output) {
    if (relevance)
      throw argumentError('OnnxTaskRunner.run', 'output', `targets for a '${pass.propagation.kind}' pass`, 'a seed');
    return pass.output.seed;
  }
  const targets = pass.output.targets;
  const count = pass.propagation.kind === 'deeplift' ? rows / 2 : rows;
  if (targets.length !== count || targets.some((t) => !Number.isInteger(t) || t < 0 || t >= classes))
    throw argumentError('OnnxTaskRunner.run', 'targets', `${count} class indices in [0, ${classes})`, targets);
  const mask = new Float32Array(rows * classes);
  targets.forEach((t, r) => (mask[r * classes + t] = 1));
  return mask;
}

/**
 * The keep-masks of one pass of `rows` rows for the session's Dropout layers, drawn by TensorFlow.js in the order its
 * pass draws them (empty without dropout); a mask drawn once for the whole batch (`fixedMasks`) is repeated for every
 * row.
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
