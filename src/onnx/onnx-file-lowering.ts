/**
 * An imported ONNX file as a graph for the native engine: its nodes and initializers rewritten into the primitive ops
 * the gradient registry (src/onnx/op-gradients.ts) differentiates, on a graph input taken channels last as the model
 * takes it. What the rewriting needs to know of shapes comes from tracing the TensorFlow.js interpreter
 * ({@link OnnxGraphRunner}) at a batch of 1 and, for a free batch axis, of 2: every value the model input does not
 * reach (initializers, Constant nodes, torch's Shape → Gather → Concat chains) becomes a constant, and a value that
 * changes with the batch size is allowed only where a shape is read (Reshape, Expand), which are rewritten from the
 * traced shapes. Op forms are normalised (Gemm → MatMul + Add with the weight transposed and scaled on the host,
 * Flatten/Squeeze/Unsqueeze → Reshape, a Gather of constant indices → Slice, Resize → a constant interpolation matrix
 * multiplied in along each resized axis, defaults and auto_pad made explicit), so
 * the LRP and DeepLIFT overrides find Conv, MatMul + bias Add, BatchNormalization, Relu and MaxPool as they do in a
 * lowered Keras model. Ops without a native form (LSTM, GRU, ...) are refused in one line naming the op and its node:
 * the session then keeps the TensorFlow.js interpreter.
 */
import * as tf from '@tensorflow/tfjs';
import { WingbeatsError } from '../util/errors.js';
import type { AttributeValue as GraphAttribute, OnnxGraph } from './onnx-graph.js';
import type { HostTensor, OnnxFileGraph, OnnxFileNode } from '../onnx-file/onnx-file-graph.js';
import type { OnnxGraphRunner } from '../onnx-file/onnx-graph-runner.js';
import { isHost, type Value } from '../onnx-file/op-context.js';
import { CHANNELS_FIRST_OPS, LAYOUT_KEEPING_OPS } from '../onnx-file/input-layout.js';
import {
  type PlannedAxis,
  planResize,
  planUpsample,
  resizeInputIndices,
  resizeMatrixTransposed,
  upsampleScalesFromInput,
} from '../onnx-file/resize-weights.js';

/** What the native engine needs of an imported ONNX file. */
export interface NativeOnnxFile {
  /** The file's name, for messages. */
  readonly fileName: string;
  /** The model's input shape without the batch axis (channels last where the file reads channels first). */
  readonly inputShape: number[];
  /**
   * Adds the file's forward graph to `g` on the graph input `x` (`[batch, ...inputShape]`); returns the logits (the
   * value before a final softmax) and their shape without the batch axis, and with `layer` (a file value, see
   * {@link layers}) the graph value computing it and its shape without the batch axis, in the file's layout.
   * @throws WingbeatsError `UNSUPPORTED_MODEL` naming the first node the native engine cannot run, or for a `layer`
   *   the lowering does not compute as a value of its own (an identity of another value).
   */
  lower(
    g: OnnxGraph,
    x: string,
    layer?: string,
  ): { name: string; shape: number[]; layer?: { name: string; shape: number[] } };
  /** The nodes whose output a layer method (Grad-CAM) can read, in file order; see {@link OnnxFileLayer}. */
  layers(): OnnxFileLayer[];
}

/**
 * A node of an imported file whose first output the input reaches and the scores depend on, with a batch axis first:
 * what Grad-CAM can read.
 */
export interface OnnxFileLayer {
  /** The node's name. */
  readonly node: string;
  readonly opType: string;
  /** The node's first output (the value read). */
  readonly value: string;
  /** The value's shape without the batch axis, in the file's layout. */
  readonly shape: readonly number[];
  /**
   * Whether the value is channels first (`[C, ...spatial]`): a `Conv`, `ConvTranspose` or pooling output, or reached
   * from one (or from an input read channels first) through layout-keeping ops; other values are channels last.
   */
  readonly channelsFirst: boolean;
}

/** A traced value: its shape per traced batch size, and its data when the model input does not reach it. */
interface Traced {
  shapes: number[][];
  hosts: HostTensor[];
}

/** Ops whose outputs hold no data of their input, only its shape. */
const SHAPE_READERS = new Set(['Shape', 'Size']);

const INT64_LIMIT = 2 ** 62;

/** The ops the native form rewrites (every other op the input reaches is refused, naming it and its node). */
const NATIVE_OPS = new Set([
  ...['Identity', 'Dropout', 'Cast', 'Relu', 'Sigmoid', 'Tanh', 'Softplus', 'Erf', 'Exp', 'Sqrt', 'Neg', 'Elu'],
  ...['LeakyRelu', 'Selu', 'PRelu', 'Add', 'Sub', 'Mul', 'Div', 'Max', 'Min', 'Clip', 'Conv', 'ConvTranspose'],
  ...['MaxPool', 'AveragePool', 'GlobalAveragePool', 'GlobalMaxPool', 'ReduceMean', 'ReduceMax', 'ReduceSum'],
  ...['BatchNormalization', 'Gemm', 'MatMul', 'Flatten', 'Reshape', 'Squeeze', 'Unsqueeze', 'Expand', 'Transpose'],
  ...['Concat', 'Slice', 'Gather', 'Pad', 'Softmax', 'Resize', 'Upsample'],
]);

function toHost(value: Value): HostTensor {
  if (isHost(value)) return value;
  const dtype = value.dtype === 'bool' ? 'bool' : value.dtype === 'int32' ? 'int' : 'float';
  const data = value.dataSync();
  return {
    kind: 'host',
    dtype,
    dims: value.shape,
    data: dtype === 'float' ? Float32Array.from(data as Float32Array) : Float64Array.from(data as Int32Array),
  };
}

const shapeOfValue = (value: Value): number[] => (isHost(value) ? [...value.dims] : value.shape);

/** The values the model input reaches (through data, not only through a shape). */
function activeValues(graph: OnnxFileGraph): Set<string> {
  const active = new Set([graph.input.name]);
  for (const node of graph.nodes) {
    if (SHAPE_READERS.has(node.opType) || node.opType === 'Constant') continue;
    if (node.inputs.some((v) => active.has(v))) for (const out of node.outputs) if (out !== '') active.add(out);
  }
  return active;
}

/**
 * Runs the interpreter on zeros at each batch size of `batches` (channels first as the file reads them) and records
 * every value's shape, and the data of every value the input does not reach.
 */
function trace(
  runner: OnnxGraphRunner,
  fileShape: number[],
  batches: number[],
  active: ReadonlySet<string>,
): Map<string, Traced> {
  const traced = new Map<string, Traced>();
  const record = (name: string, value: Value): void => {
    let entry = traced.get(name);
    if (entry === undefined) traced.set(name, (entry = { shapes: [], hosts: [] }));
    entry.shapes.push(shapeOfValue(value));
    if (!active.has(name)) entry.hosts.push(toHost(value));
  };
  for (const batch of batches)
    tf.tidy(() => {
      const x = tf.zeros([batch, ...fileShape]);
      record(runner.graph.input.name, x);
      runner.run(x, record);
    });
  return traced;
}

/** Whether two host tensors hold the same values and dims. */
function sameHost(a: HostTensor, b: HostTensor): boolean {
  return a.dims.join() === b.dims.join() && a.data.every((v, i) => v === b.data[i]);
}

/** Perm (batch axis included) from channels last `[b, ...spatial, c]` to channels first `[b, c, ...spatial]`. */
const toChannelsFirst = (rank: number): number[] => [0, rank - 1, ...Array.from({ length: rank - 2 }, (_, i) => i + 1)];

/**
 * The native form of an imported graph (see the module comment). `channelsFirst`: the model takes its input channels
 * last and the file reads it channels first. The trace runs on first use and is kept.
 */
export function nativeOnnxFile(
  runner: OnnxGraphRunner,
  options: { channelsFirst: boolean; fixedBatch: boolean; fileInputShape: number[]; inputShape: number[] },
): NativeOnnxFile {
  const graph = runner.graph;
  let prepared: { active: Set<string>; traced: Map<string, Traced>; batches: number[] } | undefined;
  const prepare = () => {
    if (prepared === undefined) {
      const active = activeValues(graph);
      const batches = options.fixedBatch ? [1] : [1, 2];
      prepared = { active, traced: trace(runner, options.fileInputShape, batches, active), batches };
    }
    return prepared;
  };
  return {
    fileName: graph.fileName,
    inputShape: options.inputShape,
    lower(g, x, layer) {
      const { active, traced, batches } = prepare();
      return new FileLowering(g, graph, runner, active, traced, batches).lower(x, options.channelsFirst, layer);
    },
    layers() {
      const { active, traced, batches } = prepare();
      return fileLayers(graph, runner.scoresName, active, traced, batches, options.channelsFirst);
    },
  };
}

/** See {@link OnnxFileLayer}: the layers of `graph` from its trace. */
function fileLayers(
  graph: OnnxFileGraph,
  scores: string,
  active: ReadonlySet<string>,
  traced: ReadonlyMap<string, Traced>,
  batches: readonly number[],
  inputChannelsFirst: boolean,
): OnnxFileLayer[] {
  const producers = new Map(graph.nodes.flatMap((n) => n.outputs.map((o) => [o, n] as const)));
  // the values the scores depend on
  const needed = new Set([scores]);
  for (let i = graph.nodes.length - 1; i >= 0; i--) {
    const node = graph.nodes[i];
    if (node.outputs.some((o) => needed.has(o))) for (const v of node.inputs) if (active.has(v)) needed.add(v);
  }
  const channelsFirst = new Map([[graph.input.name, inputChannelsFirst]]);
  const layers: OnnxFileLayer[] = [];
  for (const node of graph.nodes) {
    const value = node.outputs[0];
    if (value === undefined || !active.has(value)) continue;
    const from = node.inputs.find((v) => active.has(v));
    const first =
      CHANNELS_FIRST_OPS.has(node.opType) ||
      (LAYOUT_KEEPING_OPS.has(node.opType) && from !== undefined && channelsFirst.get(from) === true);
    channelsFirst.set(value, first);
    const shapes = traced.get(value)?.shapes;
    const batchFirst =
      shapes !== undefined &&
      shapes.every((s, i) => s[0] === batches[i] && s.slice(1).join() === shapes[0].slice(1).join());
    if (!needed.has(value) || !batchFirst || producers.get(value) !== node) continue;
    layers.push({ node: node.name, opType: node.opType, value, shape: shapes[0].slice(1), channelsFirst: first });
    if (value === scores) break;
  }
  return layers;
}

/** One rewriting of the file's graph into a graph under construction. */
class FileLowering {
  /** File value → graph value, for values the input reaches. */
  private readonly names = new Map<string, string>();
  /** File value → graph float constant. */
  private readonly floatConstants = new Map<string, string>();

  constructor(
    private readonly g: OnnxGraph,
    private readonly graph: OnnxFileGraph,
    private readonly runner: OnnxGraphRunner,
    private readonly active: ReadonlySet<string>,
    private readonly traced: ReadonlyMap<string, Traced>,
    private readonly batches: readonly number[],
  ) {}

  lower(
    x: string,
    channelsFirst: boolean,
    layer?: string,
  ): { name: string; shape: number[]; layer?: { name: string; shape: number[] } } {
    const input = this.graph.input.name;
    if (channelsFirst) {
      const rank = this.shape(undefined, input).length + 1;
      const name = this.g.op('Transpose', [x], { perm: toChannelsFirst(rank) });
      this.g.setShape(name, this.shape(undefined, input));
      this.names.set(input, name);
    } else this.names.set(input, x);
    const scores = this.runner.scoresName;
    const unsupported = this.graph.nodes.find(
      (n) => n.outputs.some((o) => this.active.has(o)) && !NATIVE_OPS.has(n.opType),
    );
    if (unsupported !== undefined) throw this.refuse(unsupported, 'has no gradient');
    for (const node of this.graph.nodes) {
      if (this.names.has(scores)) break;
      if (!node.outputs.some((o) => this.active.has(o))) continue;
      this.node(node);
    }
    const name = this.names.get(scores);
    if (name === undefined)
      throw new WingbeatsError(
        'UNSUPPORTED_MODEL',
        `'${this.graph.fileName}': the scores '${scores}' do not depend on the input; nothing to explain.`,
      );
    return { name, shape: this.shape(undefined, scores), ...(layer === undefined ? {} : { layer: this.layer(layer) }) };
  }

  /** The graph value of file value `value`, refused unless the lowering computes it as a value of its own. */
  private layer(value: string): { name: string; shape: number[] } {
    const name = this.names.get(value);
    const owner = [...this.names].find(([, graphValue]) => graphValue === name)?.[0];
    if (name === undefined || owner === this.graph.input.name)
      throw new WingbeatsError(
        'UNSUPPORTED_MODEL',
        `'${this.graph.fileName}': the value '${value}' is not computed on the way to the scores.`,
      );
    // an identity's output is its input's value, which other ops may read too: its gradient would be another's
    if (owner !== value)
      throw new WingbeatsError(
        'UNSUPPORTED_MODEL',
        `'${this.graph.fileName}': the value '${value}' is '${owner}' unchanged (an identity); read '${owner}' instead.`,
      );
    return { name, shape: this.shape(undefined, value) };
  }

  /** The one-line refusal of `node` on the native engine. */
  private refuse(node: OnnxFileNode, why: string): WingbeatsError {
    return new WingbeatsError(
      'UNSUPPORTED_MODEL',
      `'${this.graph.fileName}': node '${node.name}' (ONNX op '${node.opType}') ${why} on the native engine`,
    );
  }

  /** The traced shape of `value` without the batch axis, checked to carry the batch on axis 0 at every trace. */
  private shape(node: OnnxFileNode | undefined, value: string): number[] {
    const entry = this.traced.get(value);
    if (entry === undefined) throw new Error(`Internal error: ONNX value '${value}' was not traced.`);
    const rest = entry.shapes[0].slice(1);
    const batchFirst = entry.shapes.every(
      (s, i) => s.length > 0 && s[0] === this.batches[i] && s.slice(1).join() === rest.join(),
    );
    if (!batchFirst && node !== undefined) throw this.refuse(node, `moves the batch axis of '${value}'`);
    if (!batchFirst)
      throw new WingbeatsError('UNSUPPORTED_MODEL', `'${this.graph.fileName}': '${value}' has no batch axis first.`);
    return rest;
  }

  /** The value the input does not reach: the same at every traced batch size (else refused). */
  private host(node: OnnxFileNode, value: string): HostTensor {
    const constant = this.runner.constant(value);
    if (constant !== undefined) return toHost(constant);
    const entry = this.traced.get(value);
    if (entry === undefined || entry.hosts.length === 0)
      throw this.refuse(node, `reads '${value}', which was not traced`);
    if (!entry.hosts.every((h) => sameHost(h, entry.hosts[0])))
      throw this.refuse(node, `reads '${value}', a value computed from the batch size`);
    return entry.hosts[0];
  }

  private isActive(value: string | undefined): boolean {
    return value !== undefined && value !== '' && this.active.has(value);
  }

  /** The graph value of active input `i`. */
  private input(node: OnnxFileNode, i: number): string {
    const value = node.inputs[i];
    const name = value === undefined ? undefined : this.names.get(value);
    if (name === undefined) throw this.refuse(node, `reads '${value ?? ''}', which the native graph does not compute`);
    return name;
  }

  /** Integer values of constant input `i` (undefined when omitted). */
  private ints(node: OnnxFileNode, i: number): number[] | undefined {
    const value = node.inputs[i];
    if (value === undefined || value === '') return undefined;
    if (this.isActive(value)) throw this.refuse(node, `takes its input ${i} from the model input`);
    return Array.from(this.host(node, value).data);
  }

  /** A float constant of input `i`, added to the graph once. */
  private floats(node: OnnxFileNode, i: number): { name: string; host: HostTensor } {
    const value = node.inputs[i];
    if (this.isActive(value)) throw this.refuse(node, `takes its weight (input ${i}) from the model input`);
    const host = this.host(node, value);
    if (host.dtype !== 'float') throw this.refuse(node, `has a non-float operand '${value}'`);
    let name = this.floatConstants.get(value);
    if (name === undefined) {
      name = this.g.floats('weight', Float32Array.from(host.data), [...host.dims]);
      this.floatConstants.set(value, name);
    }
    return { name, host };
  }

  /** Input `i` as an operand: its graph value when the input reaches it, else a float constant. */
  private operand(node: OnnxFileNode, i: number): string {
    return this.isActive(node.inputs[i]) ? this.input(node, i) : this.floats(node, i).name;
  }

  /** Adds `opType` for output `out` (default the node's first) with its traced shape. */
  private emit(
    node: OnnxFileNode,
    opType: string,
    inputs: string[],
    attributes: Record<string, GraphAttribute> = {},
    out = node.outputs[0],
  ): string {
    const shape = this.shape(node, out);
    const name = this.g.op(opType, inputs, attributes);
    this.g.setShape(name, shape);
    this.names.set(out, name);
    return name;
  }

  private number(node: OnnxFileNode, key: string, fallback: number): number {
    const value = node.attributes.get(key);
    return typeof value === 'number' ? value : fallback;
  }

  private list(node: OnnxFileNode, key: string): number[] | undefined {
    const value = node.attributes.get(key);
    return Array.isArray(value) && value.every((v) => typeof v === 'number') ? (value as number[]) : undefined;
  }

  private text(node: OnnxFileNode, key: string, fallback: string): string {
    const value = node.attributes.get(key);
    return typeof value === 'string' ? value : fallback;
  }

  /** The rank of value `value` with its batch axis. */
  private rank(node: OnnxFileNode, value: string): number {
    return this.shape(node, value).length + 1;
  }

  /** A reshape of active input 0 to the traced shape of the output (the batch axis kept as −1). */
  private reshape(node: OnnxFileNode): void {
    this.emit(node, 'Reshape', [this.input(node, 0), this.g.int64s([-1, ...this.shape(node, node.outputs[0])])]);
  }

  private node(node: OnnxFileNode): void {
    if (node.domain !== '' && node.domain !== 'ai.onnx') throw this.refuse(node, 'is of another domain');
    const op = node.opType;
    switch (op) {
      case 'Identity':
      case 'Dropout':
        this.names.set(node.outputs[0], this.input(node, 0));
        return;
      case 'Cast':
        if (this.number(node, 'to', 1) !== 1 && this.number(node, 'to', 1) !== 11)
          throw this.refuse(node, 'casts to a non-float type');
        this.names.set(node.outputs[0], this.input(node, 0));
        return;
      case 'Relu':
      case 'Sigmoid':
      case 'Tanh':
      case 'Softplus':
      case 'Erf':
      case 'Exp':
      case 'Sqrt':
      case 'Neg':
        this.emit(node, op, [this.input(node, 0)]);
        return;
      case 'Elu':
        this.emit(node, op, [this.input(node, 0)], { alpha: this.number(node, 'alpha', 1) });
        return;
      case 'LeakyRelu':
        this.emit(node, op, [this.input(node, 0)], { alpha: this.number(node, 'alpha', 0.01) });
        return;
      case 'Selu':
        if (
          Math.abs(this.number(node, 'alpha', 1.67326) - 1.67326) > 1e-4 ||
          Math.abs(this.number(node, 'gamma', 1.0507) - 1.0507) > 1e-4
        )
          throw this.refuse(node, 'has constants other than the default ones');
        this.emit(node, op, [this.input(node, 0)]);
        return;
      case 'PRelu':
        this.emit(node, op, [this.input(node, 0), this.floats(node, 1).name]);
        return;
      case 'Add':
      case 'Sub':
      case 'Mul':
      case 'Div':
      case 'Max':
      case 'Min':
        if (node.inputs.length !== 2) throw this.refuse(node, `has ${node.inputs.length} operands where 2 are taken`);
        this.emit(node, op, [this.operand(node, 0), this.operand(node, 1)]);
        return;
      case 'Clip':
        return this.clip(node);
      case 'Conv':
      case 'ConvTranspose':
        return this.conv(node);
      case 'MaxPool':
      case 'AveragePool':
        return this.pool(node);
      case 'GlobalAveragePool':
        this.emit(node, op, [this.input(node, 0)]);
        return;
      case 'GlobalMaxPool': {
        const rank = this.rank(node, node.inputs[0]);
        const axes = Array.from({ length: rank - 2 }, (_, i) => i + 2);
        const max = this.g.op('ReduceMax', [this.input(node, 0)], { axes, keepdims: 0 });
        this.g.setShape(max, [this.shape(node, node.inputs[0])[0]]);
        this.emit(node, 'Reshape', [max, this.g.int64s([-1, ...this.shape(node, node.outputs[0])])]);
        return;
      }
      case 'ReduceMean':
      case 'ReduceMax':
      case 'ReduceSum':
        return this.reduce(node);
      case 'BatchNormalization':
        if (this.number(node, 'training_mode', 0) !== 0) throw this.refuse(node, 'is in training mode');
        this.emit(node, op, [this.input(node, 0), ...[1, 2, 3, 4].map((i) => this.floats(node, i).name)], {
          epsilon: this.number(node, 'epsilon', 1e-5),
        });
        return;
      case 'Gemm':
        return this.gemm(node);
      case 'MatMul':
        return this.matMul(node);
      case 'Flatten':
      case 'Reshape':
      case 'Squeeze':
      case 'Unsqueeze':
        return this.reshape(node);
      case 'Expand':
        this.emit(node, 'Expand', [this.input(node, 0), this.g.int64s([1, ...this.shape(node, node.outputs[0])])]);
        return;
      case 'Transpose': {
        const rank = this.rank(node, node.inputs[0]);
        const perm = this.list(node, 'perm') ?? Array.from({ length: rank }, (_, i) => rank - 1 - i);
        if (perm[0] !== 0) throw this.refuse(node, 'moves the batch axis');
        this.emit(node, op, [this.input(node, 0)], { perm });
        return;
      }
      case 'Concat': {
        const rank = this.rank(node, node.outputs[0]);
        const axis = normalise(this.number(node, 'axis', 0), rank);
        if (axis === 0) throw this.refuse(node, 'concatenates along the batch axis');
        this.emit(
          node,
          op,
          node.inputs.map((_, i) => this.input(node, i)),
          { axis },
        );
        return;
      }
      case 'Slice':
        return this.slice(node);
      case 'Gather':
        return this.gather(node);
      case 'Pad':
        return this.pad(node);
      case 'Resize':
        return this.resize(node);
      case 'Upsample': {
        const scales = upsampleScalesFromInput(this.graph.opset) ? this.ints(node, 1) : this.list(node, 'scales');
        return this.resized(node, planUpsample(node, [1, ...this.shape(node, node.inputs[0])], scales));
      }
      case 'Softmax': {
        const rank = this.rank(node, node.inputs[0]);
        const axis = normalise(this.number(node, 'axis', this.graph.opset >= 13 ? -1 : 1), rank);
        if (axis !== rank - 1) throw this.refuse(node, 'is a softmax over another axis than the last');
        this.emit(node, op, [this.input(node, 0)], { axis: -1 });
        return;
      }
      default:
        throw this.refuse(node, 'has no gradient');
    }
  }

  private clip(node: OnnxFileNode): void {
    const bound = (i: number, key: string, fallback: number): number => {
      if (this.graph.opset < 11) return this.number(node, key, fallback);
      const value = this.ints(node, i);
      return value === undefined ? fallback : value[0];
    };
    const lo = bound(1, 'min', -3.4028234663852886e38);
    const hi = bound(2, 'max', 3.4028234663852886e38);
    this.emit(node, 'Clip', [this.input(node, 0), this.g.scalar(lo), this.g.scalar(hi)]);
  }

  /** Explicit pads of a window op (auto_pad resolved from the traced sizes). */
  private windowPads(node: OnnxFileNode, kernel: number[], strides: number[], dilations: number[]): number[] {
    const spatial = kernel.length;
    const autoPad = this.text(node, 'auto_pad', 'NOTSET');
    if (autoPad === 'NOTSET') return this.list(node, 'pads') ?? Array<number>(2 * spatial).fill(0);
    if (autoPad === 'VALID') return Array<number>(2 * spatial).fill(0);
    const sizes = this.shape(node, node.inputs[0]).slice(1);
    const totals = sizes.map((size, i) => {
      const out = Math.ceil(size / strides[i]);
      return Math.max(0, (out - 1) * strides[i] + (kernel[i] - 1) * dilations[i] + 1 - size);
    });
    const small = totals.map((t) => Math.floor(t / 2));
    return autoPad === 'SAME_UPPER'
      ? [...small, ...totals.map((t, i) => t - small[i])]
      : [...totals.map((t, i) => t - small[i]), ...small];
  }

  private conv(node: OnnxFileNode): void {
    const weight = this.floats(node, 1);
    const kernel = weight.host.dims.slice(2);
    const spatial = kernel.length;
    const strides = this.list(node, 'strides') ?? Array<number>(spatial).fill(1);
    const dilations = this.list(node, 'dilations') ?? Array<number>(spatial).fill(1);
    const attributes: Record<string, GraphAttribute> = {
      kernel_shape: this.list(node, 'kernel_shape') ?? kernel,
      strides,
      dilations,
      pads: this.windowPads(node, kernel, strides, dilations),
      group: this.number(node, 'group', 1),
    };
    if (node.opType === 'ConvTranspose') {
      if (this.text(node, 'auto_pad', 'NOTSET') !== 'NOTSET') throw this.refuse(node, 'has auto_pad');
      if (this.list(node, 'output_shape') !== undefined) throw this.refuse(node, 'has an output_shape');
      attributes.output_padding = this.list(node, 'output_padding') ?? Array<number>(spatial).fill(0);
    }
    const inputs = [this.input(node, 0), weight.name];
    if (node.inputs.length > 2 && node.inputs[2] !== '') inputs.push(this.floats(node, 2).name);
    this.emit(node, node.opType, inputs, attributes);
  }

  private pool(node: OnnxFileNode): void {
    const kernel = this.list(node, 'kernel_shape');
    if (kernel === undefined) throw this.refuse(node, 'has no kernel_shape');
    const spatial = kernel.length;
    const strides = this.list(node, 'strides') ?? Array<number>(spatial).fill(1);
    const dilations = this.list(node, 'dilations') ?? Array<number>(spatial).fill(1);
    if (dilations.some((d) => d !== 1)) throw this.refuse(node, 'has dilations');
    if (this.number(node, 'storage_order', 0) !== 0) throw this.refuse(node, 'has a column-major storage order');
    if (node.outputs.length > 1 && node.outputs[1] !== '') throw this.refuse(node, 'returns its indices');
    const pads = this.windowPads(node, kernel, strides, dilations);
    const sizes = this.shape(node, node.inputs[0]).slice(1);
    const out = this.shape(node, node.outputs[0]).slice(1);
    const floor = sizes.map((s, i) => Math.floor((s + pads[i] + pads[spatial + i] - kernel[i]) / strides[i]) + 1);
    if (floor.some((o, i) => o !== out[i])) throw this.refuse(node, 'has ceil_mode windows past its padding');
    const attributes: Record<string, GraphAttribute> = { kernel_shape: kernel, strides, pads };
    if (node.opType === 'MaxPool' || this.number(node, 'count_include_pad', 0) === 1 || pads.every((p) => p === 0)) {
      if (node.opType === 'AveragePool') attributes.count_include_pad = 1;
      this.emit(node, node.opType, [this.input(node, 0)], attributes);
      return;
    }
    // the mean over each window's valid elements: the mean over the padded window × window size / valid count
    const padded = this.g.op('AveragePool', [this.input(node, 0)], { ...attributes, count_include_pad: 1 });
    this.g.setShape(padded, this.shape(node, node.outputs[0]));
    const counts = sizes.map((size, i) =>
      Array.from({ length: out[i] }, (_, o) => {
        const first = o * strides[i] - pads[i];
        return Math.max(0, Math.min(size, first + kernel[i]) - Math.max(0, first));
      }),
    );
    const scale = new Float32Array(out.reduce((a, b) => a * b, 1));
    const full = kernel.reduce((a, b) => a * b, 1);
    for (let flat = 0; flat < scale.length; flat++) {
      let rest = flat;
      let count = 1;
      for (let axis = spatial - 1; axis >= 0; axis--) {
        count *= counts[axis][rest % out[axis]];
        rest = Math.floor(rest / out[axis]);
      }
      scale[flat] = count === 0 ? 0 : full / count;
    }
    this.emit(node, 'Mul', [padded, this.g.floats('avgpool_valid_scale', scale, [1, ...out])]);
  }

  private reduce(node: OnnxFileNode): void {
    const rank = this.rank(node, node.inputs[0]);
    const axesInInput = node.opType === 'ReduceSum' ? this.graph.opset >= 13 : this.graph.opset >= 18;
    const given = axesInInput ? this.ints(node, 1) : this.list(node, 'axes');
    const axes = (given ?? Array.from({ length: rank }, (_, i) => i)).map((a) => normalise(a, rank));
    if (axes.includes(0)) throw this.refuse(node, 'reduces over the batch axis');
    const x = this.input(node, 0);
    const inner =
      node.opType === 'ReduceSum'
        ? this.g.op('ReduceSum', [x, this.g.int64s(axes)], { keepdims: 0 })
        : this.g.op(node.opType, [x], { axes, keepdims: 0 });
    const kept = this.shape(node, node.inputs[0]).filter((_, i) => !axes.includes(i + 1));
    this.g.setShape(inner, kept);
    if (this.number(node, 'keepdims', 1) === 0) {
      this.names.set(node.outputs[0], inner);
      this.shape(node, node.outputs[0]);
    } else this.emit(node, 'Reshape', [inner, this.g.int64s([-1, ...this.shape(node, node.outputs[0])])]);
  }

  /** Gemm as MatMul by a constant weight (transposed and scaled by alpha on the host) plus beta·C. */
  private gemm(node: OnnxFileNode): void {
    if (this.number(node, 'transA', 0) !== 0) throw this.refuse(node, 'transposes its input (transA)');
    const weight = this.host(node, node.inputs[1]);
    if (this.isActive(node.inputs[1]) || weight.dims.length !== 2)
      throw this.refuse(node, 'has a weight that is not a constant matrix');
    const alpha = this.number(node, 'alpha', 1);
    const [rows, cols] = weight.dims;
    const transB = this.number(node, 'transB', 0) === 1;
    const inner = transB ? cols : rows;
    const outer = transB ? rows : cols;
    const w = new Float32Array(inner * outer);
    for (let i = 0; i < inner; i++)
      for (let o = 0; o < outer; o++) w[i * outer + o] = alpha * weight.data[transB ? o * cols + i : i * cols + o];
    const product = this.g.op('MatMul', [this.input(node, 0), this.g.floats('gemm_weight', w, [inner, outer])]);
    this.g.setShape(product, [outer]);
    if (node.inputs.length < 3 || node.inputs[2] === '') {
      this.names.set(node.outputs[0], product);
      return;
    }
    const bias = this.host(node, node.inputs[2]);
    if (this.isActive(node.inputs[2])) throw this.refuse(node, 'has a bias computed from the model input');
    const beta = this.number(node, 'beta', 1);
    const b = this.g.floats(
      'gemm_bias',
      Float32Array.from(bias.data, (v) => beta * v),
      [...bias.dims],
    );
    this.emit(node, 'Add', [product, b]);
  }

  private matMul(node: OnnxFileNode): void {
    if (!this.isActive(node.inputs[0])) throw this.refuse(node, 'multiplies a constant by the model input');
    if (this.isActive(node.inputs[1])) {
      this.emit(node, 'MatMul', [this.input(node, 0), this.input(node, 1)]);
      return;
    }
    const weight = this.floats(node, 1);
    if (weight.host.dims.length !== 2) throw this.refuse(node, 'has a constant operand of rank other than 2');
    this.emit(node, 'MatMul', [this.input(node, 0), weight.name]);
  }

  private slice(node: OnnxFileNode): void {
    const dims = [0, ...this.shape(node, node.inputs[0])];
    const rank = dims.length;
    const fromInputs = this.graph.opset >= 10;
    const starts = fromInputs ? this.ints(node, 1) : this.list(node, 'starts');
    const ends = fromInputs ? this.ints(node, 2) : this.list(node, 'ends');
    if (starts === undefined || ends === undefined) throw this.refuse(node, 'has no starts or ends');
    const axes = ((fromInputs ? this.ints(node, 3) : this.list(node, 'axes')) ?? starts.map((_, i) => i)).map((a) =>
      normalise(a, rank),
    );
    const steps = fromInputs ? this.ints(node, 4) : undefined;
    if (steps !== undefined && steps.some((s) => s !== 1)) throw this.refuse(node, 'has steps other than 1');
    const kept = axes.map((axis, i) => ({ axis, start: starts[i], end: ends[i] }));
    if (kept.some((k) => k.axis === 0 && !(k.start === 0 && k.end >= INT64_LIMIT / 4)))
      throw this.refuse(node, 'slices the batch axis');
    const sliced = kept
      .filter((k) => k.axis !== 0)
      .map(({ axis, start, end }) => {
        const size = dims[axis];
        const clamp = (v: number) => Math.max(0, Math.min(size, v < 0 ? v + size : v));
        return { axis, start: clamp(start), end: Math.max(clamp(start), clamp(end)) };
      });
    if (sliced.length === 0) {
      this.names.set(node.outputs[0], this.input(node, 0));
      return;
    }
    this.emit(node, 'Slice', [
      this.input(node, 0),
      this.g.int64s(sliced.map((s) => s.start)),
      this.g.int64s(sliced.map((s) => s.end)),
      this.g.int64s(sliced.map((s) => s.axis)),
    ]);
  }

  /** A Gather of constant indices: one index (a Slice, then a Reshape dropping the axis) or a contiguous run. */
  private gather(node: OnnxFileNode): void {
    if (this.isActive(node.inputs[1])) throw this.refuse(node, 'takes its indices from the model input');
    const dims = [0, ...this.shape(node, node.inputs[0])];
    const axis = normalise(this.number(node, 'axis', 0), dims.length);
    if (axis === 0) throw this.refuse(node, 'gathers along the batch axis');
    const indices = this.host(node, node.inputs[1]);
    const values = Array.from(indices.data, (v) => (v < 0 ? v + dims[axis] : v));
    if (indices.dims.length > 1 || values.some((v, i) => v !== values[0] + i))
      throw this.refuse(node, 'gathers indices that are not one run of consecutive ones');
    const sliced = this.g.op('Slice', [
      this.input(node, 0),
      this.g.int64s([values[0]]),
      this.g.int64s([values[0] + values.length]),
      this.g.int64s([axis]),
    ]);
    const shape = this.shape(node, node.inputs[0]).map((d, i) => (i + 1 === axis ? values.length : d));
    this.g.setShape(sliced, shape);
    if (indices.dims.length === 1) {
      this.names.set(node.outputs[0], sliced);
      this.shape(node, node.outputs[0]);
    } else this.emit(node, 'Reshape', [sliced, this.g.int64s([-1, ...this.shape(node, node.outputs[0])])]);
  }

  /**
   * Resize (nearest or linear) as one constant interpolation matrix per resized axis: `MatMul` along the last axis,
   * between two `Transpose`s for another. Sizes computed from the input's shape (torch's `Shape → Slice → Concat`)
   * are read from the traced output shape.
   */
  private resize(node: OnnxFileNode): void {
    const at = resizeInputIndices(this.graph.opset);
    const scales = this.ints(node, at.scales);
    const inShape = this.shape(node, node.inputs[0]);
    const outShape = this.shape(node, node.outputs[0]);
    const bySizes = scales === undefined || scales.length === 0;
    if (bySizes && at.sizes !== undefined && this.isActive(node.inputs[at.sizes]))
      throw this.refuse(node, 'takes its sizes from the model input');
    this.resized(node, planResize(node, [1, ...inShape], scales, bySizes ? [1, ...outShape] : undefined));
  }

  /** Input 0 of `node` resized along the planned axes (or `node` refused with the plan's reason). */
  private resized(node: OnnxFileNode, plan: PlannedAxis[] | string): void {
    if (typeof plan === 'string') throw this.refuse(node, plan);
    const inShape = this.shape(node, node.inputs[0]);
    const outShape = this.shape(node, node.outputs[0]);
    const rank = inShape.length + 1;
    let value = this.input(node, 0);
    const shape = [...inShape];
    for (const { axis, ...resized } of plan) {
      if (outShape[axis - 1] !== resized.outLength) throw this.refuse(node, `resizes axis ${axis} unlike its trace`);
      const weights = this.g.floats('resize_weights', resizeMatrixTransposed(resized), [
        resized.inLength,
        resized.outLength,
      ]);
      const perm = Array.from({ length: rank }, (_, i) => i);
      perm[axis] = rank - 1;
      perm[rank - 1] = axis;
      const swapped = perm.slice(1).map((p) => shape[p - 1]);
      if (axis !== rank - 1) {
        value = this.g.op('Transpose', [value], { perm });
        this.g.setShape(value, swapped);
      }
      value = this.g.op('MatMul', [value, weights]);
      shape[axis - 1] = resized.outLength;
      swapped[rank - 2] = resized.outLength;
      this.g.setShape(value, swapped);
      if (axis !== rank - 1) {
        value = this.g.op('Transpose', [value], { perm });
        this.g.setShape(value, [...shape]);
      }
    }
    this.names.set(node.outputs[0], value);
    if (shape.join() !== outShape.join()) throw this.refuse(node, 'resizes to another shape than its trace');
  }

  private pad(node: OnnxFileNode): void {
    const mode = this.text(node, 'mode', 'constant');
    if (mode !== 'constant') throw this.refuse(node, `pads in mode '${mode}'`);
    const fromInputs = this.graph.opset >= 11;
    const pads = fromInputs ? this.ints(node, 1) : this.list(node, 'pads');
    if (pads === undefined) throw this.refuse(node, 'has no pads');
    const value = fromInputs ? (this.ints(node, 2)?.[0] ?? 0) : this.number(node, 'value', 0);
    if (value !== 0) throw this.refuse(node, 'pads with a value other than 0');
    if (fromInputs && node.inputs.length > 3 && node.inputs[3] !== '') throw this.refuse(node, 'pads given axes');
    const rank = pads.length / 2;
    if (pads[0] !== 0 || pads[rank] !== 0) throw this.refuse(node, 'pads the batch axis');
    if (pads.some((p) => p < 0)) throw this.refuse(node, 'crops (negative pads)');
    this.emit(node, 'Pad', [this.input(node, 0), this.g.int64s(pads)], { mode: 'constant' });
  }
}

/** An ONNX axis (negative counts from the end) as a non-negative one. */
function normalise(axis: number, rank: number): number {
  return axis < 0 ? axis + rank : axis;
}
