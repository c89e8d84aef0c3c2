/**
 * Node only: a model compiled to ONNX and run by onnxruntime-node's native CPU kernels — the scores of a batch and
 * the input gradient of each row's target score, as the TensorFlow.js path computes them with `targetGradients`.
 * onnxruntime-node is loaded on first use; without it, creation fails with one line (`BACKEND`).
 */
import type { ExplainableModel, ScoreKind } from '../../execution/explainable-model.js';
import { WingbeatsError, argumentError } from '../../util/errors.js';
import { compileGradientGraph, dropoutInputs } from './compile-gradient-graph.js';
import { lowerLayersModel } from './lower-layers.js';

/** Options of {@link OnnxGradientSession.create}. */
export interface OnnxSessionOptions {
  /** `'logits'` (default) or `'probabilities'`. */
  scores?: ScoreKind;
  /** onnxruntime's intra-op threads (default 1). */
  threads?: number;
  /** Guided backpropagation through every ReLU (the `guidedRelu` rule; default false). */
  guided?: boolean;
  /** Monte-Carlo dropout: Dropout layers take fed keep-masks (see {@link OnnxGradientSession.dropouts}; default false). */
  dropout?: boolean;
}

/** A Dropout layer of a session compiled with `dropout: true`: its rate and activation shape (channels last). */
export interface OnnxDropoutLayer {
  rate: number;
  shape: number[];
}

/** Scores and input gradients of one batch. */
export interface OnnxGradientResult {
  /** `[batch, classes]` scores, row-major. */
  scores: Float32Array;
  /** d(target score)/d(input) of each row, shaped like the input (channels last), row-major. */
  gradient: Float32Array;
}

/** The parts of onnxruntime-node used here (typed locally, so the declarations do not need the optional package). */
interface OrtTensor {
  readonly dims: readonly number[];
  readonly data: unknown;
}
interface OrtSession {
  run(feeds: Record<string, OrtTensor>): Promise<Record<string, OrtTensor>>;
  release(): Promise<void>;
}
interface Ort {
  InferenceSession: { create(model: Uint8Array, options: Record<string, unknown>): Promise<OrtSession> };
  Tensor: new (type: 'float32', data: Float32Array, dims: number[]) => OrtTensor;
}

async function loadOrt(): Promise<Ort> {
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

/** A compiled model: one session with the gradient graph, one forward-only. Call {@link release} when done. */
export class OnnxGradientSession {
  /** Input shape without the batch axis (channels last). */
  readonly inputShape: number[];
  /** Number of classes of the compiled head. */
  readonly classes: number;
  /** With `dropout: true`, the Dropout layers (rate > 0) whose keep-masks every call takes, in order; else empty. */
  readonly dropouts: readonly OnnxDropoutLayer[];
  private readonly ort: Ort;
  private readonly gradientSession: OrtSession;
  private readonly forwardSession: OrtSession;

  private constructor(
    ort: Ort,
    inputShape: number[],
    classes: number,
    dropouts: OnnxDropoutLayer[],
    sessions: [OrtSession, OrtSession],
  ) {
    this.ort = ort;
    this.inputShape = inputShape;
    this.classes = classes;
    this.dropouts = dropouts;
    [this.gradientSession, this.forwardSession] = sessions;
  }

  /**
   * Compiles `model` (a chain of Conv1D/Conv2D, Dense, BatchNormalization, ReLU, max/global-average pooling, Flatten,
   * Dropout and the wingbeats composite layers; one input of fixed size, one head) and opens the sessions.
   *
   * @throws WingbeatsError `UNSUPPORTED_MODEL` when a layer has no lowering (callers fall back to TensorFlow.js),
   *   `BACKEND` when onnxruntime-node is missing, `INVALID_ARGUMENT` for bad options.
   * @example
   * const session = await OnnxGradientSession.create(await loadModelFile('Mosquito_CNN_PSD.h5'), { threads: 1 });
   * const { scores, gradient } = await session.gradients(psdRows, [0, 3]); // two rows of 129 values
   * await session.release();
   */
  static async create(model: ExplainableModel, options: OnnxSessionOptions = {}): Promise<OnnxGradientSession> {
    const threads = options.threads ?? 1;
    if (!Number.isInteger(threads) || threads < 1 || threads > 256)
      throw argumentError('OnnxGradientSession.create', 'threads', 'an integer in [1, 256]', threads);
    const scores = options.scores ?? 'logits';
    if (scores !== 'logits' && scores !== 'probabilities')
      throw argumentError('OnnxGradientSession.create', 'scores', "'logits' or 'probabilities'", scores);
    if (model.layersModel === null)
      throw new WingbeatsError('UNSUPPORTED_MODEL', 'A function model cannot be compiled to ONNX; pass a Keras model.');
    const inputShape = model.inputShape;
    if (inputShape === null || inputShape.some((d) => d === null) || model.inputShapes!.length !== 1)
      throw new WingbeatsError(
        'UNSUPPORTED_MODEL',
        `ONNX compilation needs one input of fixed size, got [${(inputShape ?? []).map((d) => d ?? '?').join(',')}].`,
      );
    const steps = lowerLayersModel(model.layersModel);
    const dropout = options.dropout === true;
    const shape = inputShape as number[];
    const graphs = [true, false].map((gradient) =>
      compileGradientGraph(steps, shape, { scores, gradient, guided: options.guided === true, dropout }),
    );
    const dropouts = dropout ? dropoutInputs(steps).map(({ step }) => ({ rate: step.rate, shape: step.shape })) : [];
    const ort = await loadOrt();
    const sessionOptions: Record<string, unknown> = {
      intraOpNumThreads: threads,
      interOpNumThreads: 1,
      executionMode: 'sequential',
      graphOptimizationLevel: 'all',
    };
    const gradientSession = await ort.InferenceSession.create(graphs[0], sessionOptions);
    let forwardSession: OrtSession;
    try {
      forwardSession = await ort.InferenceSession.create(graphs[1], sessionOptions);
    } catch (error) {
      await gradientSession.release();
      throw error;
    }
    const classes = model.layersModel.outputs[0].shape[1] as number;
    return new OnnxGradientSession(ort, shape, classes, dropouts, [gradientSession, forwardSession]);
  }

  private inputTensor(x: Float32Array, functionName: string): OrtTensor {
    const size = this.inputShape.reduce((a, b) => a * b, 1);
    if (!(x instanceof Float32Array) || x.length === 0 || x.length % size !== 0)
      throw argumentError(functionName, 'x', `a non-empty Float32Array of whole rows of ${size} values`, x);
    return new this.ort.Tensor('float32', x, [x.length / size, ...this.inputShape]);
  }

  /** The `keep_<k>` feeds of {@link dropouts} for `rows` rows. */
  private keepFeeds(keeps: readonly Float32Array[], rows: number, functionName: string): Record<string, OrtTensor> {
    if (keeps.length !== this.dropouts.length)
      throw argumentError(
        functionName,
        'keeps',
        `${this.dropouts.length} keep-masks (one per Dropout layer)`,
        keeps.length,
      );
    const feeds: Record<string, OrtTensor> = {};
    this.dropouts.forEach(({ shape }, k) => {
      const size = rows * shape.reduce((a, b) => a * b, 1);
      if (!(keeps[k] instanceof Float32Array) || keeps[k].length !== size)
        throw argumentError(
          functionName,
          `keeps[${k}]`,
          `a Float32Array of ${size} values ([${rows}, ${shape.join(', ')}])`,
          keeps[k],
        );
      feeds[`keep_${k}`] = new this.ort.Tensor('float32', keeps[k], [rows, ...shape]);
    });
    return feeds;
  }

  /**
   * Scores and the gradient of `scores[row][targets[row]]` with respect to each row of `x` (row-major, channels last);
   * `keeps` are the 0/1 keep-masks of {@link dropouts} (`[rows, ...shape]` each) for a session compiled with dropout.
   *
   * @throws WingbeatsError `INVALID_ARGUMENT` when `x` is not whole rows, a target is not a class index or a keep-mask
   *   is missing or of the wrong size.
   */
  async gradients(
    x: Float32Array,
    targets: readonly number[],
    keeps: readonly Float32Array[] = [],
  ): Promise<OnnxGradientResult> {
    const input = this.inputTensor(x, 'OnnxGradientSession.gradients');
    const rows = input.dims[0];
    if (targets.length !== rows || targets.some((t) => !Number.isInteger(t) || t < 0 || t >= this.classes))
      throw argumentError(
        'OnnxGradientSession.gradients',
        'targets',
        `${rows} class indices in [0, ${this.classes})`,
        targets,
      );
    const mask = new Float32Array(rows * this.classes);
    targets.forEach((t, r) => (mask[r * this.classes + t] = 1));
    const out = await this.gradientSession.run({
      x: input,
      mask: new this.ort.Tensor('float32', mask, [rows, this.classes]),
      ...this.keepFeeds(keeps, rows, 'OnnxGradientSession.gradients'),
    });
    return { scores: out.scores.data as Float32Array, gradient: out.gradient.data as Float32Array };
  }

  /** Scores of each row of `x` (`[rows, classes]`, row-major), from the forward-only graph (`keeps` as in gradients). */
  async scores(x: Float32Array, keeps: readonly Float32Array[] = []): Promise<Float32Array> {
    const input = this.inputTensor(x, 'OnnxGradientSession.scores');
    const out = await this.forwardSession.run({
      x: input,
      ...this.keepFeeds(keeps, input.dims[0], 'OnnxGradientSession.scores'),
    });
    return out.scores.data as Float32Array;
  }

  /** Frees both native sessions. */
  async release(): Promise<void> {
    await Promise.all([this.gradientSession.release(), this.forwardSession.release()]);
  }
}
