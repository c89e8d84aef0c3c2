/**
 * Model snapshots: everything another thread needs to rebuild the same {@link ExplainableModel} — the layers
 * topology, the weights as plain (transferable) ArrayBuffers and the adapter's metadata (heads, labels, softmax flags,
 * input shape). Made once per session (see {@link SnapshotCache}); the worker pools ship it to every worker.
 */
import * as tf from '@tensorflow/tfjs';
import { ExplainableModel } from '../execution/explainable-model.js';
import { layersModelFromJson } from '../execution/layers-model-from-json.js';
import { WingbeatsError } from '../util/errors.js';

/** One weight of a snapshot. */
export interface SnapshotWeight {
  name: string;
  shape: number[];
  dtype: 'float32' | 'int32';
  /** The values (a Float32Array's or Int32Array's buffer). */
  data: ArrayBuffer;
}

/** A structured-clone-able description of a model (see {@link modelSnapshot}). */
export interface ModelSnapshot {
  /** Unique within this process: pools are keyed by it. */
  id: number;
  /** The tfjs layers topology (`LayersModel.toJSON(undefined, false)`). */
  topology: unknown;
  weights: SnapshotWeight[];
  name: string;
  outputNames: string[];
  labels: Record<string, string[]>;
  inputShape: number[] | undefined;
  softmaxOutputs: boolean[];
}

/**
 * The snapshot of one model, made on first use and kept until the model's weights change (a weight assigned since —
 * e.g. the sanity check's randomisation of a copy — makes a new snapshot with a new id, so a stale pool is never
 * used). Held by the session's `ModelWorkers`, never in a table keyed by models.
 */
export class SnapshotCache {
  private snapshot: ModelSnapshot | null | undefined;
  /** The weight variables' data ids when it was made (`Variable.assign` gives a variable a new one). */
  private dataIds: unknown[] = [];

  constructor(private readonly model: ExplainableModel) {}

  /** The current snapshot; `null` for a function model or a topology that cannot be serialised. */
  current(): ModelSnapshot | null {
    const dataIds = weightDataIds(this.model);
    if (this.snapshot !== undefined && this.dataIds.every((id, i) => id === dataIds[i])) return this.snapshot;
    this.snapshot = modelSnapshot(this.model);
    this.dataIds = dataIds;
    return this.snapshot;
  }

  /** Drops the kept snapshot (its weight copies). */
  clear(): void {
    this.snapshot = undefined;
    this.dataIds = [];
  }
}

let nextId = 0;

function weightDataIds(model: ExplainableModel): unknown[] {
  return (model.layersModel?.weights ?? []).map((w) => (w as unknown as { val?: { dataId?: unknown } }).val?.dataId);
}

/**
 * A new snapshot of a LayersModel-backed model (weights copied now, a new id). Returns `null` for a function model or
 * a model whose topology cannot be serialised — such models always run in the calling thread.
 */
export function modelSnapshot(model: ExplainableModel): ModelSnapshot | null {
  return makeSnapshot(model);
}

function makeSnapshot(model: ExplainableModel): ModelSnapshot | null {
  const layers = model.layersModel;
  if (layers === null) return null;
  let topology: unknown;
  try {
    topology = layers.toJSON(undefined, false);
  } catch {
    return null;
  }
  const weights = layers.weights.map((w) => {
    const values = w.read().dataSync();
    const copy = values instanceof Int32Array ? Int32Array.from(values) : Float32Array.from(values as Float32Array);
    return {
      name: w.name,
      shape: w.shape as number[],
      dtype: copy instanceof Int32Array ? 'int32' : 'float32',
      data: copy.buffer as ArrayBuffer,
    } satisfies SnapshotWeight;
  });
  const labels: Record<string, string[]> = {};
  model.outputNames.forEach((name, i) => {
    const list = model.labels(i);
    if (list !== undefined) labels[name] = [...list];
  });
  return {
    id: ++nextId,
    topology,
    weights,
    name: model.name,
    outputNames: [...model.outputNames],
    labels,
    inputShape: model.isMultiInput ? undefined : ((model.inputShape ?? undefined) as number[] | undefined),
    softmaxOutputs: model.outputNames.map((_, i) => model.endsInSoftmax(i)),
  };
}

/**
 * Rebuilds the model of a snapshot (in a worker, or in the main thread for tests): the same architecture, heads,
 * labels and softmax handling, with its own weight variables and a kept kernel cache (the fast paths' weights). The
 * layer classes the topology names (the wingbeats layers, GRUResetAfter, KerasFlatten, CausalConv1D) must be
 * registered first (`registerLayerClasses`).
 * The model is owned by the caller: free it with `dispose()`.
 * @throws WingbeatsError UNSUPPORTED_MODEL when the topology cannot be rebuilt or the weights do not fit.
 */
export async function rebuildModel(snapshot: ModelSnapshot): Promise<ExplainableModel> {
  let layers: tf.LayersModel;
  try {
    layers = await layersModelFromJson(snapshot.topology);
  } catch (error) {
    throw new WingbeatsError(
      'UNSUPPORTED_MODEL',
      `Model '${snapshot.name}' could not be rebuilt from its snapshot: ${(error as Error).message.split('\n')[0]}`,
      { cause: error },
    );
  }
  try {
    if (
      layers.weights.length !== snapshot.weights.length ||
      layers.weights.some((w, i) => w.shape.join(',') !== snapshot.weights[i].shape.join(','))
    ) {
      throw new WingbeatsError(
        'UNSUPPORTED_MODEL',
        `Model '${snapshot.name}' could not be rebuilt from its snapshot: the rebuilt model's weights do not match.`,
      );
    }
    tf.tidy(() =>
      layers.setWeights(
        snapshot.weights.map((w) =>
          w.dtype === 'int32'
            ? tf.tensor(new Int32Array(w.data), w.shape, 'int32')
            : tf.tensor(new Float32Array(w.data), w.shape, 'float32'),
        ),
      ),
    );
    return ExplainableModel.from(layers, {
      labels: snapshot.labels,
      outputNames: snapshot.outputNames,
      inputShape: snapshot.inputShape,
      softmaxOutputs: snapshot.softmaxOutputs,
      name: snapshot.name,
      // Kept for the model's life, as the calling thread's request frame keeps one per call: the same fast-path weights.
      cacheKernels: true,
    });
  } catch (error) {
    layers.dispose();
    throw error;
  }
}
