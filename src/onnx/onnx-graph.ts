/**
 * A small builder of ONNX graphs: nodes with typed attributes (subgraphs too: a `Scan`'s body), float32/int64
 * initializers, unique value names, and the final `ModelProto` (opset 17) with a free batch axis on every input and
 * output.
 */
import { ATTRIBUTE_TYPE, ONNX_FLOAT, ONNX_INT64, encodeModelProto } from './onnx-schema.js';

/**
 * An attribute value: a number is an int unless listed in `floatAttributes`, arrays are ints, strings are strings, a
 * graph is a subgraph (a `Scan`'s body).
 */
export type AttributeValue = number | number[] | string | OnnxGraph;

/** ONNX opset the compiled graphs use (ScatterElements with reduction needs 16). */
export const ONNX_OPSET = 17;

/** Attributes stored as floats (all other numbers are ints). */
const FLOAT_ATTRIBUTES = new Set(['epsilon', 'alpha', 'beta']);

function attribute(name: string, value: AttributeValue): Record<string, unknown> {
  if (typeof value === 'string') return { name, type: ATTRIBUTE_TYPE.string, s: new TextEncoder().encode(value) };
  if (value instanceof OnnxGraph) return { name, type: ATTRIBUTE_TYPE.graph, g: value.graphProto(name) };
  if (Array.isArray(value)) return { name, type: ATTRIBUTE_TYPE.ints, ints: value };
  if (FLOAT_ATTRIBUTES.has(name)) return { name, type: ATTRIBUTE_TYPE.float, f: value };
  return { name, type: ATTRIBUTE_TYPE.int, i: value };
}

/** One node of a graph under construction (mutable until {@link OnnxGraph.encode}). */
export interface GraphNode {
  opType: string;
  inputs: string[];
  outputs: string[];
  attributes: Record<string, AttributeValue>;
  /** Propagation rules leave this node's gradient alone (ops TensorFlow.js runs outside its rule sites). */
  ruleExempt?: boolean;
  /**
   * Set on the last node of an elementwise nonlinearity at a rule site (a layer's named activation, an activation
   * layer): the value the whole activation was applied to. Rules defined per activation (DeepLIFT's rescale) see
   * the activation as one op from this value to the node's output.
   */
  activationSite?: string;
  /** On a `Scan` node made by `appendScan` (src/onnx/scan.ts): the step it runs, which its gradient builds on. */
  scan?: ScanInfo;
}

/** Builds one graph; values are referred to by name. */
export class OnnxGraph {
  private readonly graphNodes: GraphNode[] = [];
  private readonly initializers: Record<string, unknown>[] = [];
  private readonly inputs: Record<string, unknown>[] = [];
  private readonly outputs: Record<string, unknown>[] = [];
  private readonly constants = new Map<string, string>();
  private readonly floatData = new Map<string, { data: Float32Array; dims: number[] }>();
  private readonly int64Data = new Map<string, number[]>();
  private readonly valueShapes = new Map<string, number[]>();
  private counter = 0;
  /** Nodes added from now on are exempt from propagation rules while this is true (see {@link GraphNode.ruleExempt}). */
  ruleExempt = false;

  /**
   * @param prefix Starts every value name this graph makes: a subgraph's names differ from its outer graph's (a
   *   `Scan` body takes a fresh name of the outer graph as its prefix).
   */
  constructor(private readonly prefix = '') {}

  /**
   * Marks `output` (made by a node added last or earlier) as an elementwise activation of `input` at a rule site
   * (see {@link GraphNode.activationSite}); nothing while nodes are rule-exempt or when `output` is `input`.
   */
  markActivationSite(output: string, input: string): void {
    if (this.ruleExempt || output === input) return;
    for (let n = this.graphNodes.length - 1; n >= 0; n--) {
      const node = this.graphNodes[n];
      if (!node.outputs.includes(output)) continue;
      node.activationSite = input;
      return;
    }
  }

  /** The nodes so far, in the order they were added (a topological order). */
  get nodes(): readonly GraphNode[] {
    return this.graphNodes;
  }

  /** The data of a float32 initializer made by {@link floats} (undefined for any other value). */
  constantData(name: string): { data: Float32Array; dims: number[] } | undefined {
    return this.floatData.get(name);
  }

  /** The values of an int64 initializer made by {@link int64s} (undefined for any other value). */
  constantInts(name: string): number[] | undefined {
    return this.int64Data.get(name);
  }

  /** Records the shape of a batch-carrying value (without the batch axis). */
  setShape(value: string, shape: number[]): void {
    this.valueShapes.set(value, shape);
  }

  /** The recorded shape of a batch-carrying value (without the batch axis). */
  shapeOf(value: string): number[] {
    const shape = this.valueShapes.get(value);
    if (shape === undefined) throw new Error(`Internal error: no shape recorded for ONNX value '${value}'.`);
    return shape;
  }

  /** The recorded shape of `value` (without the batch axis), or undefined where none was recorded. */
  knownShape(value: string): number[] | undefined {
    return this.valueShapes.get(value);
  }

  /** A fresh value name starting with `hint`. */
  name(hint: string): string {
    return `${this.prefix}${hint}_${this.counter++}`;
  }

  /** Adds a node; returns its output names (`outputs` fresh names derived from the op type). */
  node(opType: string, inputs: string[], attributes: Record<string, AttributeValue> = {}, outputs = 1): string[] {
    const names = Array.from({ length: outputs }, () => this.name(opType.toLowerCase()));
    const node: GraphNode = { opType, inputs, outputs: names, attributes };
    if (this.ruleExempt) node.ruleExempt = true;
    this.graphNodes.push(node);
    return names;
  }

  /**
   * Adds a node with one output just before `anchor` (a node of this graph), so that a rewrite can feed `anchor` from
   * it and keep the nodes in topological order; returns the output's name.
   */
  opBefore(
    anchor: GraphNode,
    opType: string,
    inputs: string[],
    attributes: Record<string, AttributeValue> = {},
  ): string {
    const at = this.graphNodes.indexOf(anchor);
    if (at < 0) throw new Error(`Internal error: no ${anchor.opType} node to insert a ${opType} before.`);
    const name = this.op(opType, inputs, attributes);
    this.graphNodes.splice(at, 0, this.graphNodes.pop()!);
    return name;
  }

  /** Adds a node with one output and returns that output's name. */
  op(opType: string, inputs: string[], attributes: Record<string, AttributeValue> = {}): string {
    return this.node(opType, inputs, attributes, 1)[0];
  }

  /** A float32 initializer. */
  floats(hint: string, values: Float32Array, dims: number[]): string {
    const name = this.name(hint);
    const raw = new Uint8Array(values.buffer.slice(values.byteOffset, values.byteOffset + values.byteLength));
    this.initializers.push({ name, dims, data_type: ONNX_FLOAT, raw_data: raw });
    this.floatData.set(name, { data: values, dims });
    return name;
  }

  /**
   * A constant derived from others (e.g. a weight's transpose), made once per `key` and shared by every later use: a
   * weight read by several ops needs one transposed copy for all their gradients.
   */
  derivedConstant(key: string, make: () => string): string {
    const known = this.constants.get(`derived:${key}`);
    if (known !== undefined) return known;
    const name = make();
    this.constants.set(`derived:${key}`, name);
    return name;
  }

  /** A float32 scalar initializer, shared between uses of the same value. */
  scalar(value: number): string {
    const key = `float:${value}`;
    const known = this.constants.get(key);
    if (known !== undefined) return known;
    const name = this.floats('scalar', Float32Array.of(value), []);
    this.constants.set(key, name);
    return name;
  }

  /** An int64 initializer (shapes, axes), shared between uses of the same values. */
  int64s(values: number[]): string {
    const key = `int64:${values.join(',')}`;
    const known = this.constants.get(key);
    if (known !== undefined) return known;
    const name = this.name('shape');
    const raw = new Uint8Array(BigInt64Array.from(values.map((v) => BigInt(v))).buffer);
    this.initializers.push({ name, dims: [values.length], data_type: ONNX_INT64, raw_data: raw });
    this.constants.set(key, name);
    this.int64Data.set(name, values.slice());
    return name;
  }

  /** Declares a float32 graph input `[batch, ...shape]`. */
  input(name: string, shape: number[]): string {
    this.inputs.push(valueInfo(name, shape));
    this.setShape(name, shape);
    return name;
  }

  /** Declares `value` a float32 graph output `[batch, ...shape]` named `name`. */
  output(name: string, value: string, shape: number[]): void {
    this.node('Identity', [value]);
    this.graphNodes[this.graphNodes.length - 1].outputs[0] = name;
    this.outputs.push(valueInfo(name, shape));
  }

  /** The nodes some graph output depends on (unused ones, such as a Transpose nothing reads, are left out). */
  private usedNodes(): GraphNode[] {
    const needed = new Set(this.outputs.map((o) => o.name as string));
    const used: GraphNode[] = [];
    for (let i = this.graphNodes.length - 1; i >= 0; i--) {
      const node = this.graphNodes[i];
      if (!node.outputs.some((v) => needed.has(v))) continue;
      used.push(node);
      for (const v of node.inputs) needed.add(v);
    }
    return used.reverse();
  }

  /** The `GraphProto` of this graph (nodes no output depends on are dropped), as a message object. */
  graphProto(graphName: string): Record<string, unknown> {
    const used = this.usedNodes();
    const read = new Set(used.flatMap((node) => node.inputs));
    return {
      name: graphName,
      node: used.map((node, i) => ({
        op_type: node.opType,
        name: `${this.prefix}node_${node.opType}_${i}`,
        input: node.inputs,
        output: node.outputs,
        attribute: Object.entries(node.attributes).map(([key, value]) => attribute(key, value)),
      })),
      // initializers no used node reads (a rule's weights that a gradient builder only looked up) are left out
      initializer: this.initializers.filter((init) => read.has(init.name as string)),
      input: this.inputs,
      output: this.outputs,
    };
  }

  /** The binary `ModelProto` (nodes no output depends on are dropped). */
  encode(graphName: string): Uint8Array {
    return encodeModelProto({
      ir_version: 8,
      producer_name: 'wingbeats-xai',
      opset_import: [{ domain: '', version: ONNX_OPSET }],
      graph: this.graphProto(graphName),
    });
  }
}

function valueInfo(name: string, shape: number[]): Record<string, unknown> {
  const dim = [{ dim_param: 'batch' }, ...shape.map((d) => ({ dim_value: d }))];
  return { name, type: { tensor_type: { elem_type: ONNX_FLOAT, shape: { dim } } } };
}

/** One step of a recurrence, as a builder of ONNX ops. */
export interface ScanStep {
  /** Shapes (without the batch axis) of the states carried from step to step; the first state is the step's output. */
  stateShapes: number[][];
  /** Shapes (without the batch and time axes) of the per-step inputs. */
  inputShapes: number[][];
  /**
   * Adds one step to `graph`: from the states and the step's inputs, the next states (same order). It records the
   * shape of every value it makes (`graph.setShape`), as gradient builders read them.
   */
  build(graph: OnnxGraph, states: string[], inputs: string[]): string[];
}

/** What a `Scan` node made by `appendScan` (src/onnx/scan.ts) keeps for its gradient. */
export interface ScanInfo {
  step: ScanStep;
  /** Number of time steps. */
  steps: number;
  /** The per-step inputs are read last step first. */
  reverse: boolean;
  /** The output sequence is written last step first (in time order for a reverse scan). */
  reverseOutput: boolean;
  /** The body's nodes are exempt from propagation rules (a layer TensorFlow.js runs with its own `apply`). */
  ruleExempt: boolean;
  /** The forward body. */
  body: OnnxGraph;
}
