/**
 * The explainable-model adapter: the one place that knows how a model is executed — which head, logits or
 * probabilities, and, per call, the execution settings (propagation rules, Monte-Carlo dropout, a layer hook) — so
 * attribution methods never reach into layers themselves. The model holds no per-call state.
 */
import * as tf from '@tensorflow/tfjs';
import { WingbeatsError, argumentError } from '../util/errors.js';
import { PassState, executeGraph, layerEndsInSoftmax } from './execute-graph.js';
import { dropoutKeepMasks } from './dropout-masks.js';
import type { ExecutionSettings } from './execution-settings.js';
import { createRng } from '../util/rng.js';
import { DEFAULT_BATCH_SIZE, chunks } from '../util/batching.js';
import { defaultHeadIndex } from './default-head.js';
import { KernelCache } from './kernel-cache.js';
import { defaultRowsPerCall } from './rows-per-call.js';
import { passFolds, resolveFastPaths } from './fast-paths.js';

/** A function model: takes a batched input and returns `[batch, classes]` scores (taken as logits). */
export type ScoreFunction = (x: tf.Tensor) => tf.Tensor;

/**
 * A session as the adapter sees it (see `openSession` in src/session): an opened model. Methods accept one wherever
 * they accept a model and run on its model, with its engine, worker pool and kernel cache.
 */
export interface SessionHandle {
  /** The model the session runs. */
  readonly model: ExplainableModel;
  /** Whether the session was disposed. */
  readonly isDisposed: boolean;
  /** Throws the one-line error of a call on a disposed session. */
  checkOpen(functionName: string): void;
}

/** Anything the attribution methods accept as a model: a model, or a session opened on one. */
export type ModelInput = ExplainableModel | tf.LayersModel | ScoreFunction | SessionHandle;

/** Which scores are explained: pre-softmax logits (default) or softmax probabilities. */
export type ScoreKind = 'logits' | 'probabilities';

/** A head of a multi-output model: its name or its index. */
export type OutputSelector = string | number;

/** Options of {@link ExplainableModel.from}. */
export interface ExplainableModelOptions {
  /** Class labels: one list for single-head models, or a list per head name. */
  labels?: string[] | Record<string, string[]>;
  /** Names of the heads in output order (default: the model's output layer names, or `['output']`). */
  outputNames?: string[];
  /** Input shape without the batch axis (default: the model's). */
  inputShape?: number[];
  /** Whether each head ends in a softmax (default: read from the output layers). */
  softmaxOutputs?: boolean[];
  /** A short name shown in reports. */
  name?: string;
  /** Free-form facts about the model (architecture, data set, file) carried into results. */
  info?: Record<string, unknown>;
  /**
   * Compute the fast paths' kernel cache (batch norms folded into convolutions, flipped gradient kernels) now and keep
   * it until {@link ExplainableModel.dispose} (`loadModel` does). Default false: every call that runs the model builds
   * the cache when it starts and frees it when it ends, so wrapping a model never holds tensors.
   */
  cacheKernels?: boolean;
}

/** Options shared by everything that runs a model. */
export interface RunOptions {
  /** Head name or index (default: the finest classifier head, see {@link ExplainableModel.defaultOutput}). */
  output?: OutputSelector;
  /** `'logits'` (default) or `'probabilities'`. */
  scores?: ScoreKind;
  /** Rules, dropout and layer hook of this call only (default: plain inference). */
  execution?: ExecutionSettings;
}

/** Result of {@link ExplainableModel.predict}: scores, or their mean and standard deviation over MC-dropout samples. */
export interface PredictResult {
  /** `[batch, classes]`: the scores (or their mean over samples). Owned by the caller. */
  scores: tf.Tensor2D;
  /** `[batch, classes]` standard deviation over samples (only with `samples`). Owned by the caller. */
  std?: tf.Tensor2D;
  /** Number of Monte-Carlo samples drawn (1 without dropout). */
  samples: number;
}

/** A model wrapped for explanation. Create with {@link ExplainableModel.from} (or `loadModel`). */
export class ExplainableModel {
  /** The wrapped tfjs model, if any. */
  readonly layersModel: tf.LayersModel | null;
  /** The wrapped function, if any. */
  readonly scoreFunction: ScoreFunction | null;
  /**
   * Input shape without batch axis (`null` entries are free), or null when unknown (function models). For a model with
   * several inputs this is the packed layout `[total features]` that methods see (see {@link packInputs}).
   */
  readonly inputShape: (number | null)[] | null;
  /** One shape per model input (without batch axis); null when unknown (function models). */
  readonly inputShapes: (number | null)[][] | null;
  /** One name per model input (the input layers' names; `['input']` for function models). */
  readonly inputNames: string[];
  /** Head names in output order. */
  readonly outputNames: string[];
  /** A short display name. */
  readonly name: string;
  /** Free-form facts about the model. */
  readonly info: Record<string, unknown>;
  private readonly labelsByHead: (string[] | undefined)[];
  private readonly softmaxByHead: boolean[];
  /** Heads ending in a sigmoid: their outputs already are probabilities (one per class, not summing to 1). */
  private readonly sigmoidByHead: boolean[];
  /** The fast paths' cached weights (see {@link ExplainableModelOptions.cacheKernels}), or null. */
  private kernelCache: KernelCache | null = null;
  /** Calls using a per-call kernel cache right now (it is freed when the last ends); -1 for a kept cache. */
  private kernelCacheUsers = 0;
  /** Called once by {@link dispose} (the model's sessions close). */
  private readonly disposeListeners = new Set<() => void>();
  /** The session calls given this model itself share (see {@link defaultSession}). */
  private session: { readonly isDisposed: boolean } | undefined;
  private rowsPerCall: number | undefined;

  private constructor(
    layersModel: tf.LayersModel | null,
    scoreFunction: ScoreFunction | null,
    options: ExplainableModelOptions,
  ) {
    this.layersModel = layersModel;
    this.scoreFunction = scoreFunction;
    this.name = options.name ?? layersModel?.name ?? 'model';
    this.info = options.info ?? {};
    if (layersModel !== null) {
      this.inputNames = layersModel.inputs.map((i) => i.sourceLayer.name);
      if (layersModel.inputs.length > 1) {
        const shapes = layersModel.inputs.map((i) => i.shape.slice(1) as (number | null)[]);
        shapes.forEach((shape, i) => {
          if (shape.some((d) => d === null)) {
            throw new WingbeatsError(
              'UNSUPPORTED_MODEL',
              `Input '${this.inputNames[i]}' has a free size [${shape.map((d) => d ?? '?').join(',')}]; models with several inputs need every input size fixed.`,
            );
          }
        });
        this.inputShapes = shapes;
        this.inputShape = [shapes.reduce((n, shape) => n + (shape as number[]).reduce((a, b) => a * b, 1), 0)];
      } else {
        this.inputShape = options.inputShape ?? (layersModel.inputs[0].shape.slice(1) as (number | null)[]);
        this.inputShapes = [this.inputShape];
      }
      this.outputNames = options.outputNames ?? layersModel.outputs.map((o) => o.sourceLayer.name);
      this.softmaxByHead =
        options.softmaxOutputs ?? layersModel.outputs.map((o) => layerEndsInSoftmax(o.sourceLayer as tf.layers.Layer));
      this.sigmoidByHead = layersModel.outputs.map(
        (o) => (o.sourceLayer.getConfig() as Record<string, unknown>).activation === 'sigmoid',
      );
    } else {
      this.inputShape = options.inputShape ?? null;
      this.inputShapes = this.inputShape === null ? null : [this.inputShape];
      this.inputNames = ['input'];
      this.outputNames = options.outputNames ?? ['output'];
      this.softmaxByHead = options.softmaxOutputs ?? [false];
      this.sigmoidByHead = [false];
    }
    if (this.outputNames.length !== (layersModel?.outputs.length ?? 1)) {
      throw argumentError(
        'ExplainableModel.from',
        'outputNames',
        `a list of ${layersModel?.outputs.length ?? 1} names`,
        options.outputNames,
      );
    }
    if (options.cacheKernels === true && layersModel !== null) {
      this.kernelCache = new KernelCache(layersModel);
      this.kernelCacheUsers = -1;
    }
    const labels = options.labels;
    this.labelsByHead = this.outputNames.map((name, i) => {
      if (labels === undefined) return undefined;
      if (Array.isArray(labels))
        return i === this.outputNames.length - 1 || this.outputNames.length === 1 ? labels : undefined;
      return labels[name];
    });
  }

  /** Wraps a tfjs LayersModel or a score function; an ExplainableModel is returned as is. */
  static from(
    model: ExplainableModel | tf.LayersModel | ScoreFunction,
    options: ExplainableModelOptions = {},
  ): ExplainableModel {
    if (model instanceof ExplainableModel) return model;
    if (model instanceof tf.LayersModel) return new ExplainableModel(model, null, options);
    if (typeof model === 'function') return new ExplainableModel(null, model, options);
    throw argumentError(
      'ExplainableModel.from',
      'model',
      'a tf.LayersModel, a function (x) => scores, or an ExplainableModel',
      model,
    );
  }

  /**
   * The head explained when none is named: `species`, else `genus`, else the first head with class labels, else the
   * first head (so an embedding head is never the default of a hierarchical model).
   */
  get defaultOutput(): number {
    return defaultHeadIndex(this.outputNames, (i) => this.labelsByHead[i] !== undefined);
  }

  /**
   * The index of a head given by name or index (default {@link ExplainableModel.defaultOutput}); throws a clear error
   * for a head that does not exist.
   */
  resolveOutput(functionName: string, output: OutputSelector | undefined): number {
    if (output === undefined) return this.defaultOutput;
    if (typeof output === 'number') {
      if (Number.isInteger(output) && output >= 0 && output < this.outputNames.length) return output;
      throw argumentError(
        functionName,
        'output',
        `an integer in [0, ${this.outputNames.length}) or one of ${this.outputNames.map((n) => `'${n}'`).join(', ')}`,
        output,
        'UNKNOWN_OUTPUT',
      );
    }
    const index = this.outputNames.indexOf(output);
    if (index >= 0) return index;
    throw argumentError(
      functionName,
      'output',
      `one of ${this.outputNames.map((n) => `'${n}'`).join(', ')} (or an index)`,
      output,
      'UNKNOWN_OUTPUT',
      this.outputNames,
    );
  }

  /** Class labels of a head, if known. */
  labels(outputIndex: number): string[] | undefined {
    return this.labelsByHead[outputIndex];
  }

  /** Whether a head ends in a softmax (then `'logits'` removes it and `'probabilities'` keeps it). */
  endsInSoftmax(outputIndex: number): boolean {
    return this.softmaxByHead[outputIndex] ?? false;
  }

  /**
   * Scores of one head for a batch: synchronous and differentiable (use inside `tf.tidy`/`tf.grad`), executed under
   * `execution` (rules, dropout, layer hook) for this call only. The returned tensor is owned by the caller (or the
   * enclosing tidy).
   * @throws WingbeatsError UNSUPPORTED_MODEL for rules or a layer hook on a function model; INVALID_ARGUMENT for a layer
   * hook naming no layer of the model.
   * @example const logits = tf.tidy(() => model.run(x, { execution: { dropout: { seed: 1, fixedMasks: true } } }));
   */
  run(x: tf.Tensor, options: RunOptions & { outputIndex?: number } = {}): tf.Tensor2D {
    const index = options.outputIndex ?? this.resolveOutput('run', options.output);
    const scores = options.scores ?? 'logits';
    const softmax = this.endsInSoftmax(index);
    const execution = options.execution ?? {};
    execution.engineRecord?.ran.add('tfjs');
    let out: tf.Tensor;
    if (this.layersModel !== null) {
      const state = passState(execution, this.layersModel, this.kernelCache);
      out = executeGraph(
        this.layersModel,
        this.isMultiInput ? this.unpackInputs(x) : [x],
        state,
        this.outputNames.map((_, i) => i === index && softmax && scores === 'logits'),
      )[index];
      if (execution.layerHook !== undefined && state.hookCalls === 0) {
        throw argumentError(
          'run',
          'execution.layerHook.layer',
          `the name of a layer of ${this.describe()}`,
          execution.layerHook.layer,
        );
      }
    } else {
      if ((execution.rules?.length ?? 0) > 0 || execution.layerHook !== undefined) {
        if (this.info.format === 'onnx')
          throw new WingbeatsError(
            'UNSUPPORTED_MODEL',
            `'${String(this.info.fileName)}' is an ONNX file on the TensorFlow.js interpreter, where ${execution.layerHook !== undefined ? "a layer's output" : `the rule '${execution.rules?.[0]?.name ?? ''}'`} cannot run: it runs on the native engine (engine 'auto' or 'onnx' in Node, with every op of the file lowered; a line above names the op that was not).`,
          );
        throw new WingbeatsError(
          'UNSUPPORTED_MODEL',
          'Gradient rules (guided backprop) need a tf.LayersModel; a plain function model cannot carry them (nor a layer hook).',
        );
      }
      out = (this.scoreFunction as ScoreFunction)(x);
    }
    if (out.rank !== 2) {
      throw new WingbeatsError(
        'UNSUPPORTED_MODEL',
        `Head '${this.outputNames[index]}' returns shape [${out.shape.join(',')}]; expected [batch, classes].`,
      );
    }
    // A sigmoid head's outputs are its probabilities (a softmax over one binary output would be constant 1).
    if (scores === 'probabilities' && !softmax && !this.sigmoidByHead[index]) out = tf.softmax(out);
    return out as tf.Tensor2D;
  }

  /**
   * Rows sent through the model at once when no `batchSize` is given: chosen from the model's activation sizes (at
   * most 64; fewer where all activations of one call would pass 16 MiB, see src/execution/rows-per-call.ts). Never changes
   * results.
   */
  get defaultBatchSize(): number {
    if (this.rowsPerCall === undefined)
      this.rowsPerCall = this.layersModel === null ? DEFAULT_BATCH_SIZE : defaultRowsPerCall(this.layersModel);
    return this.rowsPerCall;
  }

  /** Whether the model has several inputs (methods then see them packed into one `[batch, features]` tensor). */
  get isMultiInput(): boolean {
    return (this.inputShapes?.length ?? 1) > 1;
  }

  /**
   * Packs one batch per model input (`[batch, ...inputShapes[i]]`) into the `[batch, features]` layout methods work
   * on: each input flattened, in input order. Returns a new tensor owned by the caller (or the enclosing tidy).
   */
  packInputs(inputs: tf.Tensor[]): tf.Tensor2D {
    return tf.tidy(
      () =>
        tf.concat(
          inputs.map((t) => tf.reshape(t, [t.shape[0], -1])),
          1,
        ) as tf.Tensor2D,
    );
  }

  /** The inverse of {@link packInputs}: one `[batch, ...inputShapes[i]]` tensor per model input (differentiable). */
  unpackInputs(packed: tf.Tensor): tf.Tensor[] {
    const shapes = (this.inputShapes ?? [[packed.shape[1]]]) as number[][];
    const sizes = shapes.map((shape) => shape.reduce((a, b) => a * b, 1));
    const parts = tf.split(tf.reshape(packed, [packed.shape[0], -1]), sizes, 1);
    return parts.map((part, i) => tf.reshape(part, [packed.shape[0], ...shapes[i]]));
  }

  /**
   * Predicts scores for a batch, in chunks of `batchSize` rows, under `execution`. With `samples: N` (N ≥ 1)
   * Monte-Carlo dropout is switched on for the call (every row and chunk its own masks, seeded by `seed`) and the mean
   * and standard deviation over N samples are returned (running sums: memory does not grow with N).
   */
  predict(
    inputs: tf.Tensor,
    options: RunOptions & { samples?: number; seed?: number; batchSize?: number } = {},
  ): PredictResult {
    const index = this.resolveOutput('predict', options.output);
    const batchSize = options.batchSize ?? this.defaultBatchSize;
    const forward = (execution: (() => ExecutionSettings) | undefined): tf.Tensor2D =>
      tf.tidy(() => {
        const parts = chunks(inputs.shape[0], batchSize).map(({ start, end }) =>
          this.run(tf.slice(inputs, start, end - start), {
            outputIndex: index,
            scores: options.scores,
            execution: execution?.() ?? options.execution,
          }),
        );
        return (parts.length === 1 ? parts[0] : tf.concat(parts, 0)) as tf.Tensor2D;
      });
    if (options.samples === undefined) return { scores: forward(undefined), samples: 1 };
    const samples = options.samples;
    if (!Number.isInteger(samples) || samples < 1)
      throw argumentError('predict', 'samples', 'a positive integer', samples);
    const rng = createRng(options.seed);
    const sampled = (): ExecutionSettings => ({ ...options.execution, dropout: { seed: rng.int32() } });
    let sum: tf.Tensor2D | null = null;
    let sumSq: tf.Tensor2D | null = null;
    try {
      for (let s = 0; s < samples; s++) {
        const y = forward(sampled);
        const nextSum: tf.Tensor2D = sum === null ? tf.clone(y) : tf.add(sum, y);
        const nextSq: tf.Tensor2D =
          sumSq === null ? tf.square(y) : tf.tidy(() => tf.add(sumSq as tf.Tensor2D, tf.square(y)));
        sum?.dispose();
        sumSq?.dispose();
        y.dispose();
        sum = nextSum;
        sumSq = nextSq;
      }
      const total = sum as tf.Tensor2D;
      const totalSq = sumSq as tf.Tensor2D;
      return tf.tidy(() => {
        const mean = tf.div(total, samples) as tf.Tensor2D;
        const variance = tf.relu(tf.sub(tf.div(totalSq, samples), tf.square(mean)));
        return { scores: mean, std: tf.sqrt(variance) as tf.Tensor2D, samples };
      });
    } finally {
      (sum as tf.Tensor2D | null)?.dispose();
      (sumSq as tf.Tensor2D | null)?.dispose();
    }
  }

  /**
   * Makes the kernel cache available to the passes of one call (every entry point that runs a model calls this when
   * it starts): a kept cache is used as is; otherwise one is built for the calls running now and freed by the returned
   * function when the last of them ends. Call the returned function exactly once, in `finally`.
   */
  openKernelCache(): () => void {
    if (this.layersModel === null || this.kernelCacheUsers < 0) return () => undefined;
    if (this.kernelCacheUsers === 0) this.kernelCache = new KernelCache(this.layersModel);
    this.kernelCacheUsers++;
    let open = true;
    return () => {
      if (!open) return;
      open = false;
      if (--this.kernelCacheUsers === 0) {
        this.kernelCache?.dispose();
        this.kernelCache = null;
      }
    };
  }

  /**
   * Registers `listener` to run when the model is disposed (a session opened on it closes). Returns the function that
   * removes it again.
   */
  onDispose(listener: () => void): () => void {
    this.disposeListeners.add(listener);
    return () => void this.disposeListeners.delete(listener);
  }

  /**
   * The session calls given this model itself share, made by `open` on first use (and again if it was disposed);
   * disposed with the model. Use `defaultSession(model)` (src/session), which knows how to open one.
   */
  defaultSession<S extends { readonly isDisposed: boolean }>(open: () => S): S {
    if (this.session === undefined || this.session.isDisposed) this.session = open();
    return this.session as S;
  }

  /**
   * Frees the wrapped model's weights (a function model owns none) and whatever was kept for it (its worker pool, its
   * kernel cache). The model cannot be used afterwards.
   */
  dispose(): void {
    const listeners = [...this.disposeListeners];
    this.disposeListeners.clear();
    this.session = undefined;
    for (const listener of listeners) listener();
    this.kernelCache?.dispose();
    this.kernelCache = null;
    if (this.layersModel === null) return;
    // tfjs counts one reference per call of a layer, so a layer called twice in the graph keeps its weights after
    // model.dispose(); free whatever is left.
    const variables = this.layersModel.weights.map((w) => (w as unknown as { val: tf.Variable }).val);
    this.layersModel.dispose();
    for (const variable of variables) if (variable !== undefined && !variable.isDisposed) variable.dispose();
  }

  /** A one-line description for messages ("model 'x' with input [129,1] and heads genus, species"). */
  describe(): string {
    const text = (shape: (number | null)[]): string => `[${shape.map((d) => d ?? '?').join(',')}]`;
    const shape =
      this.inputShapes === null
        ? 'any input'
        : this.isMultiInput
          ? `inputs ${this.inputNames.map((n, i) => `${n} ${text((this.inputShapes as (number | null)[][])[i])}`).join(', ')}`
          : `input ${text(this.inputShape as (number | null)[])}`;
    return `model '${this.name}' with ${shape} and head${this.outputNames.length > 1 ? 's' : ''} ${this.outputNames.join(', ')}`;
  }
}

/** The executor's state for one pass of `model` under `execution`. */
function passState(execution: ExecutionSettings, model: tf.LayersModel, kernels: KernelCache | null): PassState {
  const fastPaths = resolveFastPaths('run', execution.fastPaths);
  const folds = passFolds(model, execution, fastPaths, kernels?.pairs);
  return {
    rules: execution.rules,
    dropoutKeep: dropoutKeepMasks(execution.dropout),
    layerHook: execution.layerHook,
    hookCalls: 0,
    fastPaths,
    folds,
    foldedNorms: new Set(folds.values()),
    kernels,
  };
}

/** Whether `value` is a session (see {@link SessionHandle}). */
export function isSessionHandle(value: unknown): value is SessionHandle {
  return (
    typeof value === 'object' &&
    value !== null &&
    (value as SessionHandle).model instanceof ExplainableModel &&
    typeof (value as SessionHandle).checkOpen === 'function'
  );
}

/**
 * Wraps any accepted model (see {@link ModelInput}); a session gives its model.
 * @throws WingbeatsError INVALID_ARGUMENT for a disposed session or something that is no model.
 */
export function asExplainableModel(model: ModelInput, functionName = 'explain'): ExplainableModel {
  if (model instanceof ExplainableModel || model instanceof tf.LayersModel || typeof model === 'function')
    return ExplainableModel.from(model);
  if (isSessionHandle(model)) {
    model.checkOpen(functionName);
    return model.model;
  }
  throw argumentError(
    functionName,
    'model',
    'a tf.LayersModel, a function (x) => scores, or an ExplainableModel',
    model,
  );
}
