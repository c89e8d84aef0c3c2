/**
 * The request frame of every entry point that runs a model (attribution methods, pixel flipping, the random
 * comparison, MC-dropout explanations): validate the shared options, wrap the model, resolve the head, validate and
 * batch the inputs, predict in chunks, choose the targets — and free everything the frame owns, on success and on error.
 */
import type * as tf from '@tensorflow/tfjs';
import { argumentError } from '../util/errors.js';
import type { ExplainableModel, ModelInput, OutputSelector, ScoreKind } from '../execution/explainable-model.js';
import type { ExecutionSettings } from '../execution/execution-settings.js';
import { resolveFastPaths } from '../execution/fast-paths.js';
import { InputLike, toInputBatch } from '../execution/inputs.js';
import { TargetOption, resolveTargets } from '../execution/targets.js';
import {
  engineName,
  type ComputeBackend,
  type EngineChoice,
  type EngineRecord,
} from '../execution/execution-settings.js';
import { predictScores } from '../parallel/forward-task.js';
import { engineChoice } from './engines.js';
import { MAX_WORKERS, type Session, sessionOf } from './session.js';

export { MAX_WORKERS };

/** Options every model-running entry point shares. */
export interface RequestOptions {
  /** Class to explain or follow: omitted = top class per example; an index; a class name; or one per example. */
  target?: TargetOption;
  /** Head name or index of a multi-output model (default 0). */
  output?: OutputSelector;
  /** `'logits'` (default; a final softmax is removed) or `'probabilities'`. */
  scores?: ScoreKind;
  /**
   * Largest number of rows sent through the model at once (default: the model's `defaultBatchSize`, chosen from its
   * activation sizes, at most 64). Does not change results.
   */
  batchSize?: number;
  /** Seed for sampled work (noise, dropout, replacement values). */
  seed?: number;
  /** Rules, dropout and layer hook of every pass of this call (default: plain inference). */
  execution?: ExecutionSettings;
  /**
   * Worker threads the call may use (default: the session's `workers`, else the number of cores when a worker platform
   * is registered — importing `wingbeats-xai/node` registers Node's worker threads — else 1). Does not change results.
   * Small jobs run in the calling thread whatever this says (see `runRowTasks`).
   */
  workers?: number;
  /**
   * The engine (default: the session's, `'auto'` for a model given directly). In Node (after importing
   * `wingbeats-xai/node`, which the command line does), `'auto'` runs gradients, integrated-gradients steps,
   * Monte-Carlo-dropout maps and forward passes on ONNX Runtime's native CPU kernels with `workers` cores (same numbers
   * to float32 rounding), whenever the model lowers to it; a model that does not keeps TensorFlow.js after one line
   * naming what stopped it (once per session). LRP and DeepLIFT run there too (their rules as op-gradient overrides);
   * work ONNX Runtime does not run yet (layer hooks such as Grad-CAM's) runs on TensorFlow.js; the result's `engine` says which engines ran. `'tfjs'` forces
   * TensorFlow.js; `'onnx'` is `'auto'` that is refused where no ONNX engine is registered (the browser without one).
   */
  engine?: EngineChoice;
  /** The older name of {@link engine} (`'tfjs'` or `'onnx'`); kept as an alias. */
  backend?: ComputeBackend;
}

export { REQUEST_OPTIONS } from './request-option-specs.js';

/** What the frame hands to the body of an entry point. Tensors are owned by the frame unless taken. */
export interface ModelRequest {
  functionName: string;
  model: ExplainableModel;
  /** The session the call runs in (the one given, or the model's default session); pass it to nested calls. */
  session: Session;
  outputIndex: number;
  /** Name of the head. */
  output: string;
  scores: ScoreKind;
  batchSize: number;
  execution: ExecutionSettings;
  /** Worker threads the call may use (`undefined`: the default, the number of cores). */
  workers: number | undefined;
  /** The validated float32 input batch. Owned by the frame: do not dispose. */
  x: tf.Tensor;
  /** `[batch, classes]` scores of kind `scores` under `execution`. Owned by the frame unless {@link takePredictions} is called. */
  predictions: tf.Tensor2D;
  /** The same scores as arrays. */
  rows: number[][];
  /** One class index per example. */
  targets: number[];
  /** Class names of the head, if known. */
  labels: string[] | undefined;
  /** Hands the ownership of `predictions` to the caller (the frame will not free it). */
  takePredictions(): tf.Tensor2D;
  /** The engines that ran the call's passes so far (`'onnx'`, `'tfjs'` or `'onnx+tfjs'`). */
  engine(): string;
}

/** Checks the options every entry point shares (`batchSize`, `scores`, `seed`, `workers`). */
export function checkRequestOptions(functionName: string, options: RequestOptions): void {
  if (options.batchSize !== undefined && (!Number.isInteger(options.batchSize) || options.batchSize < 1)) {
    throw argumentError(functionName, 'batchSize', 'a positive integer', options.batchSize);
  }
  if (options.scores !== undefined && options.scores !== 'logits' && options.scores !== 'probabilities') {
    throw argumentError(functionName, 'scores', "'logits' or 'probabilities'", options.scores);
  }
  if (options.seed !== undefined && !Number.isFinite(options.seed))
    throw argumentError(functionName, 'seed', 'a finite number', options.seed);
  resolveFastPaths(functionName, options.execution?.fastPaths);
  engineChoice(functionName, options);
  if (
    options.workers !== undefined &&
    (!Number.isInteger(options.workers) || options.workers < 1 || options.workers > MAX_WORKERS)
  )
    throw argumentError(functionName, 'workers', `an integer in [1, ${MAX_WORKERS}]`, options.workers);
}

/**
 * Runs `body` inside the request frame. `checkModel` may reject a model before any tensor is made (e.g. "needs a
 * Dropout layer"). Whatever `body` returns is returned; the input batch (and the predictions, unless taken) are freed.
 * @example return withModelRequest('pixelFlipping', model, inputs, options, (request) => flip(request));
 */
export async function withModelRequest<T>(
  functionName: string,
  modelInput: ModelInput,
  inputs: InputLike,
  options: RequestOptions,
  body: (request: ModelRequest) => Promise<T> | T,
  checkModel?: (model: ExplainableModel) => void,
): Promise<T> {
  checkRequestOptions(functionName, options ?? {});
  const { session, temporary } = sessionOf(modelInput, functionName);
  try {
    return await inSession(functionName, session, inputs, options, body, checkModel);
  } finally {
    if (temporary) await session.dispose();
  }
}

async function inSession<T>(
  functionName: string,
  session: Session,
  inputs: InputLike,
  options: RequestOptions,
  body: (request: ModelRequest) => Promise<T> | T,
  checkModel?: (model: ExplainableModel) => void,
): Promise<T> {
  const model = session.model;
  checkModel?.(model);
  const outputIndex = model.resolveOutput(functionName, options.output);
  const scores: ScoreKind = options.scores ?? 'logits';
  const batchSize = options.batchSize ?? model.defaultBatchSize;
  // The call's options override the session's; each engine and thread count is resolved once per session.
  const workers = options.workers ?? session.workers;
  const backend = await session.resolveEngine(
    functionName,
    engineChoice(functionName, options, session.engine),
    workers,
  );
  const engineRecord: EngineRecord = { ran: new Set() };
  const execution = { ...options.execution, engineRecord, backend };
  const x = toInputBatch(functionName, model, inputs);
  let closeKernelCache = (): void => undefined;
  let predictions: tf.Tensor2D | undefined;
  let taken = false;
  try {
    if (execution.fastPaths?.kernelCache !== false) closeKernelCache = model.openKernelCache();
    predictions = await predictScores(model, x, { outputIndex, scores, batchSize, execution, workers, session });
    const rows = predictions.arraySync();
    const labels = model.labels(outputIndex);
    const targets = resolveTargets(functionName, options.target, rows, labels);
    const owned = predictions;
    const request: ModelRequest = {
      functionName,
      model,
      session,
      outputIndex,
      output: model.outputNames[outputIndex],
      scores,
      batchSize,
      execution,
      workers,
      x,
      predictions: owned,
      rows,
      targets,
      labels,
      takePredictions: () => {
        taken = true;
        return owned;
      },
      engine: () => engineName(engineRecord),
    };
    return await body(request);
  } finally {
    x.dispose();
    if (!taken) predictions?.dispose();
    closeKernelCache();
  }
}
