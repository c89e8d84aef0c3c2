/**
 * Keras 2's `TFOpLambda` and `SlicingOpLambda`: how a functional Keras 2 model saves plain tensor expressions
 * (`x + inputs`, `tf.reshape(x, ...)`, `x[:, 1:]`). They name a TensorFlow function instead of holding Python code, so
 * the ones that are plain tensor ops are run here: add, subtract, multiply, reshape, transpose, concat, slicing, reduce
 * mean and max. Any other function is refused by name (`tensorOpProblem`).
 *
 * The loader rewrites such a layer's call (`normaliseTensorOpLayer`): tensors passed as keyword arguments
 * (`{"y": ["input_1", 0, 0]}`) become extra inputs, the other keyword arguments move into the layer config
 * (`op_kwargs`), so TensorFlow.js connects the graph and the layer computes with plain, differentiable ops.
 */
import * as tf from '@tensorflow/tfjs';
import { WingbeatsError } from '../util/errors.js';

type Json = Record<string, unknown>;
type Shape = (number | null)[];

function isObject(value: unknown): value is Json {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

/** The functions run, by the name Keras 2 stores in `config.function`, and what each computes. */
const FUNCTIONS: Readonly<Record<string, string>> = {
  '__operators__.add': 'add',
  'math.add': 'add',
  'math.subtract': 'subtract',
  '__operators__.sub': 'subtract',
  'math.multiply': 'multiply',
  '__operators__.mul': 'multiply',
  reshape: 'reshape',
  transpose: 'transpose',
  'compat.v1.transpose': 'transpose',
  concat: 'concat',
  'math.reduce_mean': 'mean',
  reduce_mean: 'mean',
  'math.reduce_max': 'max',
  reduce_max: 'max',
  '__operators__.getitem': 'slice',
};

/** The TensorFlow functions a `TFOpLambda`/`SlicingOpLambda` may call (their Keras names). */
export const TENSOR_OP_FUNCTIONS: readonly string[] = Object.keys(FUNCTIONS);

/** Why a TFOpLambda/SlicingOpLambda layer config cannot run (as the end of a sentence), or null. */
export function tensorOpProblem(config: Json): string | null {
  const name = String(config.function);
  if (FUNCTIONS[name] !== undefined) return null;
  return (
    `calls the TensorFlow function 'tf.${name}', which wingbeats-xai does not run (it runs ${Object.values(FUNCTIONS)
      .filter((v, i, all) => all.indexOf(v) === i)
      .join(', ')}); ` + 're-save the model with a Keras layer in its place'
  );
}

/** `["layer", 0, 0]` or `["layer", 0, 0, {}]`: a tensor reference in a Keras 2 node. */
function isTensorRef(value: unknown): value is [string, number, number, ...unknown[]] {
  return (
    Array.isArray(value) &&
    value.length >= 3 &&
    value.length <= 4 &&
    typeof value[0] === 'string' &&
    typeof value[1] === 'number' &&
    typeof value[2] === 'number'
  );
}

/**
 * Rewrites one TFOpLambda/SlicingOpLambda entry of a Keras 2 functional config in place: each node's tensor keyword
 * arguments become inputs after the positional ones (their names kept in `tensor_kwargs`), the rest go to
 * `op_kwargs`, and the class becomes `TensorOpLayer`.
 */
export function normaliseTensorOpLayer(entry: Json): void {
  const config = isObject(entry.config) ? entry.config : {};
  const nodes = Array.isArray(entry.inbound_nodes) ? entry.inbound_nodes : [];
  let opKwargs: Json = {};
  let tensorKwargs: string[] = [];
  entry.inbound_nodes = nodes.map((node: unknown) => {
    // A call with one positional tensor is saved one level shallower: [layer, node, tensor, kwargs].
    const refs = (isTensorRef(node) ? [node] : Array.isArray(node) ? node : []) as unknown[][];
    const positional = refs.map((ref) => [ref[0], ref[1], ref[2], {}]);
    const kwargs = refs.reduce<Json>((all, ref) => (isObject(ref[3]) ? { ...all, ...ref[3] } : all), {});
    opKwargs = {};
    tensorKwargs = [];
    for (const [key, value] of Object.entries(kwargs)) {
      if (key === 'name') continue;
      if (isTensorRef(value)) {
        tensorKwargs.push(key);
        positional.push([value[0], value[1], value[2], {}]);
      } else opKwargs[key] = value;
    }
    return positional;
  });
  entry.class_name = 'TensorOpLayer';
  // The op by its plain name: TensorFlow.js's config reader rewrites string values such as '__operators__.add'.
  entry.config = {
    ...config,
    tensor_op: FUNCTIONS[String(config.function)],
    op_kwargs: opKwargs,
    tensor_kwargs: tensorKwargs,
  };
}

/** Arguments of {@link TensorOpLayer} (TensorFlow.js camel-cases the config keys). */
interface TensorOpArgs {
  name?: string;
  /** What it computes: `add`, `subtract`, ..., `slice` (set by {@link normaliseTensorOpLayer}). */
  tensorOp: string;
  opKwargs?: Json;
  tensorKwargs?: string[];
}

function normaliseAxis(axis: number, rank: number): number {
  return axis < 0 ? axis + rank : axis;
}

/** A Keras 2 slice spec entry: `{start, stop, step}`, an index, or `Ellipsis`/null (new axis is refused). */
type SliceEntry = { start: number | null; stop: number | null; step: number | null } | number | string;

/** One TFOpLambda/SlicingOpLambda call as a TensorFlow.js layer (see the file comment). */
export class TensorOpLayer extends tf.layers.Layer {
  static className = 'TensorOpLayer';
  readonly kind: string;
  readonly opKwargs: Json;
  readonly tensorKwargs: string[];

  constructor(args: TensorOpArgs) {
    super({ name: args.name });
    this.kind = String(args.tensorOp);
    if (!Object.values(FUNCTIONS).includes(this.kind)) {
      throw new WingbeatsError('UNSUPPORTED_MODEL', `Layer '${args.name}' (TensorOpLayer) has no known tensor op.`);
    }
    this.opKwargs = args.opKwargs ?? {};
    this.tensorKwargs = args.tensorKwargs ?? [];
  }

  /** The keyword argument `key` (camel-cased by TensorFlow.js's config reader or not). */
  private kwarg(key: string): unknown {
    const camel = key.replace(/_(\w)/g, (_m, c: string) => c.toUpperCase());
    return this.opKwargs[camel] ?? this.opKwargs[key];
  }

  /** The second operand of add/subtract/multiply: a tensor input, or a constant keyword argument `y`. */
  private operand(inputs: tf.Tensor[]): tf.Tensor | number {
    if (inputs.length > 1) return inputs[1];
    const y = this.kwarg('y');
    if (typeof y === 'number') return y;
    throw new WingbeatsError(
      'UNSUPPORTED_MODEL',
      `Layer '${this.name}' (${this.kind}) has no second operand a second operand wingbeats-xai can read.`,
    );
  }

  private axes(rank: number): number[] {
    const axis = this.kwarg('axis');
    if (axis === undefined || axis === null) return Array.from({ length: rank }, (_, i) => i);
    return (Array.isArray(axis) ? axis : [axis]).map((a) => normaliseAxis(Number(a), rank));
  }

  /** The slice as begin and end per axis (an end of null: to the end of the axis; negative: counted from the end, as in Python). */
  private sliceSpec(rank: number): { begin: number[]; end: (number | null)[]; drop: number[] } {
    const spec = this.kwarg('slice_spec');
    const entries = (Array.isArray(spec) ? spec : [spec]) as SliceEntry[];
    const begin: number[] = [];
    const end: (number | null)[] = [];
    const drop: number[] = [];
    let axis = 0;
    for (const entry of entries) {
      if (typeof entry === 'string' && /^(ellipsis|\.\.\.)$/i.test(entry)) {
        const rest = entries.length - entries.indexOf(entry) - 1;
        while (axis < rank - rest) {
          begin.push(0);
          end.push(null);
          axis++;
        }
        continue;
      }
      if (typeof entry === 'number') {
        begin.push(entry);
        end.push(entry === -1 ? null : entry + 1);
        drop.push(axis);
      } else if (isObject(entry)) {
        if ((entry.step ?? 1) !== 1) {
          throw new WingbeatsError('UNSUPPORTED_MODEL', `Layer '${this.name}' slices with a step other than 1.`);
        }
        begin.push(entry.start ?? 0);
        end.push(entry.stop ?? null);
      } else {
        throw new WingbeatsError(
          'UNSUPPORTED_MODEL',
          `Layer '${this.name}' slices with ${JSON.stringify(entry)}, which wingbeats-xai does not run.`,
        );
      }
      axis++;
    }
    while (axis < rank) {
      begin.push(0);
      end.push(null);
      axis++;
    }
    return { begin, end, drop };
  }

  override call(inputs: tf.Tensor | tf.Tensor[]): tf.Tensor {
    const list = Array.isArray(inputs) ? inputs : [inputs];
    const x = list[0];
    return tf.tidy(() => {
      switch (this.kind) {
        case 'add':
          return tf.add(x, this.operand(list));
        case 'subtract':
          return tf.sub(x, this.operand(list));
        case 'multiply':
          return tf.mul(x, this.operand(list));
        case 'reshape': {
          const shape = (this.kwarg('shape') as (number | null)[]).map((d, i) => (i === 0 ? x.shape[0] : (d ?? -1)));
          return tf.reshape(x, shape);
        }
        case 'transpose':
          return tf.transpose(x, this.kwarg('perm') as number[] | undefined);
        case 'concat':
          return tf.concat(list, Number(this.kwarg('axis') ?? -1));
        case 'mean':
          return tf.mean(x, this.axes(x.rank), this.kwarg('keepdims') === true);
        case 'max':
          return tf.max(x, this.axes(x.rank), this.kwarg('keepdims') === true);
        default: {
          const { begin, end, drop } = this.sliceSpec(x.rank);
          const size = end.map((e, i) => (e === null ? x.shape[i] : e < 0 ? x.shape[i] + e : e));
          const start = begin.map((b, i) => (b < 0 ? x.shape[i] + b : b));
          const sliced = tf.slice(
            x,
            start,
            size.map((e, i) => Math.min(e, x.shape[i]) - start[i]),
          );
          return drop.length > 0 ? tf.squeeze(sliced, drop) : sliced;
        }
      }
    });
  }

  override computeOutputShape(inputShape: tf.Shape | tf.Shape[]): tf.Shape {
    const shapes = (Array.isArray(inputShape[0]) ? inputShape : [inputShape]) as Shape[];
    const x = shapes[0];
    switch (this.kind) {
      case 'add':
      case 'subtract':
      case 'multiply': {
        if (shapes.length < 2) return x;
        const y = shapes[1];
        const rank = Math.max(x.length, y.length);
        return Array.from({ length: rank }, (_, i) => {
          const a = x[i - (rank - x.length)] ?? 1;
          const b = y[i - (rank - y.length)] ?? 1;
          return a === 1 ? b : b === 1 ? a : (a ?? b);
        });
      }
      case 'reshape': {
        const shape = (this.kwarg('shape') as (number | null)[]).map((d, i) => (i === 0 ? null : d === -1 ? null : d));
        const known = x.slice(1).every((d) => d !== null);
        const free = shape.slice(1).filter((d) => d === null).length;
        if (known && free === 1) {
          const total = (x.slice(1) as number[]).reduce((a, b) => a * b, 1);
          const rest = (shape.slice(1).filter((d) => d !== null) as number[]).reduce((a, b) => a * b, 1);
          return shape.map((d, i) => (i > 0 && d === null ? total / rest : d));
        }
        return shape;
      }
      case 'transpose': {
        const perm = (this.kwarg('perm') as number[] | undefined) ?? x.map((_, i) => x.length - 1 - i);
        return perm.map((p) => x[p]);
      }
      case 'concat': {
        const axis = normaliseAxis(Number(this.kwarg('axis') ?? -1), x.length);
        return x.map((d, i) =>
          i !== axis ? d : shapes.some((s) => s[i] === null) ? null : shapes.reduce((n, s) => n + (s[i] as number), 0),
        );
      }
      case 'mean':
      case 'max': {
        const axes = this.axes(x.length);
        const keep = this.kwarg('keepdims') === true;
        return x.flatMap((d, i) => (axes.includes(i) ? (keep ? [1] : []) : [d]));
      }
      default: {
        const { begin, end, drop } = this.sliceSpec(x.length);
        return x.flatMap((d, i) => {
          if (drop.includes(i)) return [];
          if (d === null) return [null];
          const e = end[i];
          const stop = e === null ? d : e < 0 ? d + e : Math.min(e, d);
          const start = begin[i] < 0 ? d + begin[i] : begin[i];
          return [Math.max(0, stop - start)];
        });
      }
    }
  }

  override getConfig(): tf.serialization.ConfigDict {
    return {
      ...super.getConfig(),
      tensorOp: this.kind,
      opKwargs: this.opKwargs as tf.serialization.ConfigDict,
      tensorKwargs: this.tensorKwargs,
    };
  }
}

let registered = false;

/** Registers {@link TensorOpLayer} with TensorFlow.js's serialization (idempotent). */
export function registerTensorOpLayer(): void {
  if (registered) return;
  tf.serialization.registerClass(TensorOpLayer);
  registered = true;
}
