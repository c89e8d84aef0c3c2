/**
 * Runs an imported ONNX graph on TensorFlow.js, node by node in file order (ONNX stores nodes sorted), with the
 * registered implementation of each op. Float initializers live on the backend for the runner's lifetime; integer
 * constants and shape arithmetic stay on the host, and a node whose inputs are all host values is computed and read
 * back at once, so torch's Shape → Gather → Concat → Reshape chains give plain numbers.
 */
import * as tf from '@tensorflow/tfjs';
import { WingbeatsError } from '../util/errors.js';
import type { HostTensor, OnnxFileGraph, OnnxFileNode } from './onnx-file-graph.js';
import { OpContext, Value, hostToTensor, isHost, tensorToHost } from './op-context.js';
import { importedOp } from './import-ops.js';

/** Float constants with more values than this live on the backend (uploaded once) rather than on the host. */
const HOST_FLOAT_LIMIT = 64;

/** Ops whose removal at the end of the graph leaves the logits (the project explains logits, see `ExplainableModel`). */
const SOFTMAX_OPS = new Set(['Softmax', 'LogSoftmax']);

/** The one-line refusal of a node whose op the importer cannot run. */
function unsupportedOp(graph: OnnxFileGraph, node: OnnxFileNode, others: number): WingbeatsError {
  const domain = node.domain === '' || node.domain === 'ai.onnx' ? '' : ` of domain '${node.domain}'`;
  const more = others > 0 ? ` (and ${others} more node${others > 1 ? 's' : ''} with unsupported ops)` : '';
  return new WingbeatsError(
    'UNSUPPORTED_MODEL',
    `'${graph.fileName}': node '${node.name}' uses the ONNX op '${node.opType}'${domain}, which wingbeats-xai cannot run${more}; re-export the model without it (docs/onnx-files.md lists the ops that run).`,
  );
}

/** The value of a Constant node's attribute (value, value_float(s), value_int(s)). */
function constantValue(graph: OnnxFileGraph, node: OnnxFileNode): HostTensor {
  const [key, value] = [...node.attributes.entries()][0] ?? [];
  if (key === 'value' && typeof value === 'object' && !Array.isArray(value)) return value;
  if (key === 'value_float' && typeof value === 'number')
    return { kind: 'host', dtype: 'float', dims: [], data: Float32Array.of(value) };
  if (key === 'value_int' && typeof value === 'number')
    return { kind: 'host', dtype: 'int', dims: [], data: Float64Array.of(value) };
  if ((key === 'value_floats' || key === 'value_ints') && Array.isArray(value))
    return {
      kind: 'host',
      dtype: key === 'value_floats' ? 'float' : 'int',
      dims: [value.length],
      data: Float64Array.from(value as number[]),
    };
  throw new WingbeatsError(
    'UNSUPPORTED_MODEL',
    `'${graph.fileName}': Constant node '${node.name}' holds '${key ?? 'nothing'}', which wingbeats-xai cannot read; export the model with dense constants.`,
  );
}

/** An imported graph ready to run; {@link dispose} frees its backend constants. */
export class OnnxGraphRunner {
  private readonly constants = new Map<string, Value>();
  private readonly kept: tf.Tensor[] = [];
  private readonly nodes: OnnxFileNode[];
  /** The value explained: the graph's output, or the input of a final softmax. */
  readonly scoresName: string;
  /** Whether the graph's output is a softmax (or log-softmax) of the scores explained. */
  readonly endsInSoftmax: boolean;

  /**
   * Checks every op against the registry and the node order, and uploads the float constants.
   * @throws WingbeatsError `UNSUPPORTED_MODEL` naming the first node with an op that does not run, `INVALID_FILE` for
   *   a node reading a value nothing produced before it.
   */
  constructor(readonly graph: OnnxFileGraph) {
    const unsupported = graph.nodes.filter(
      (n) =>
        n.opType !== 'Constant' && ((n.domain !== '' && n.domain !== 'ai.onnx') || importedOp(n.opType) === undefined),
    );
    if (unsupported.length > 0) throw unsupportedOp(graph, unsupported[0], unsupported.length - 1);
    const known = new Set([graph.input.name, ...graph.initializers.keys()]);
    for (const node of graph.nodes) {
      const missing = node.inputs.find((name) => name !== '' && !known.has(name));
      if (missing !== undefined) {
        throw new WingbeatsError(
          'INVALID_FILE',
          `'${graph.fileName}': node '${node.name}' reads '${missing}', which no earlier node, input or initializer produces; the graph is damaged or not sorted.`,
        );
      }
      for (const out of node.outputs) known.add(out);
    }
    if (!known.has(graph.output.name))
      throw new WingbeatsError(
        'INVALID_FILE',
        `'${graph.fileName}': no node produces the output '${graph.output.name}'.`,
      );
    try {
      const keep = (name: string, host: HostTensor): void => {
        if (host.dtype === 'float' && host.data.length > HOST_FLOAT_LIMIT) {
          const tensor = hostToTensor(host);
          this.kept.push(tensor);
          this.constants.set(name, tensor);
        } else this.constants.set(name, host);
      };
      for (const [name, host] of graph.initializers) keep(name, host);
      for (const node of graph.nodes) if (node.opType === 'Constant') keep(node.outputs[0], constantValue(graph, node));
    } catch (error) {
      this.dispose();
      throw error;
    }
    this.nodes = graph.nodes.filter((n) => n.opType !== 'Constant');
    const producers = new Map(graph.nodes.flatMap((n) => n.outputs.map((o) => [o, n] as const)));
    let scores = graph.output.name;
    let node = producers.get(scores);
    while (node?.opType === 'Identity') {
      scores = node.inputs[0];
      node = producers.get(scores);
    }
    const axis = node?.attributes.get('axis');
    this.endsInSoftmax =
      node !== undefined && SOFTMAX_OPS.has(node.opType) && (axis === undefined || axis === -1 || axis === 1);
    this.scoresName = this.endsInSoftmax && node !== undefined ? node.inputs[0] : graph.output.name;
  }

  /**
   * The scores (the output, or the logits before a final softmax) for the batch `x` laid out as the ONNX input
   * (`[batch, ...]`). Differentiable; the result and every intermediate belong to the caller's `tf.tidy`/`tf.grad`.
   * `observe` sees every value a node computes (name, value) as it is computed (the native lowering traces shapes and
   * folds constants with it; the value belongs to the run).
   * @throws WingbeatsError `UNSUPPORTED_MODEL` naming the node that failed.
   */
  run(x: tf.Tensor, observe?: (name: string, value: Value) => void): tf.Tensor {
    const values = new Map<string, Value>(this.constants);
    values.set(this.graph.input.name, x);
    for (const node of this.nodes) {
      if (node.outputs.every((o) => o === '')) continue;
      const inputs = node.inputs.map((name) => {
        if (name === '') return undefined;
        const value = values.get(name);
        if (value === undefined) {
          throw new WingbeatsError(
            'UNSUPPORTED_MODEL',
            `'${this.graph.fileName}': node '${node.name}' (op '${node.opType}') reads '${name}', an output wingbeats-xai does not compute (e.g. a Dropout mask or MaxPool indices).`,
          );
        }
        return value;
      });
      while (inputs.length > 0 && inputs[inputs.length - 1] === undefined) inputs.pop();
      const outputs = this.runNode(node, inputs);
      node.outputs.forEach((name, i) => {
        if (name !== '' && outputs[i] !== undefined) {
          values.set(name, outputs[i]);
          observe?.(name, outputs[i]);
        }
      });
      if (node.outputs.includes(this.scoresName)) break;
    }
    const out = values.get(this.scoresName) as Value;
    return isHost(out) ? hostToTensor(out) : out;
  }

  private runNode(node: OnnxFileNode, inputs: (Value | undefined)[]): Value[] {
    const implementation = importedOp(node.opType);
    if (implementation === undefined) throw unsupportedOp(this.graph, node, 0);
    const ctx = new OpContext(node, this.graph.opset, inputs);
    const onHost = inputs.length > 0 && inputs.every((v) => v === undefined || isHost(v));
    try {
      if (!onHost) {
        const out = implementation(ctx);
        return Array.isArray(out) ? out : [out];
      }
      const computed = tf.tidy(() => {
        const out = implementation(ctx);
        return (Array.isArray(out) ? out : [out]).map((v) => (isHost(v) ? hostToTensor(v) : v));
      });
      const hosts = computed.map(tensorToHost);
      tf.dispose(computed);
      return hosts;
    } catch (error) {
      if (error instanceof WingbeatsError) throw error;
      throw new WingbeatsError(
        'UNSUPPORTED_MODEL',
        `'${this.graph.fileName}': node '${node.name}' (op '${node.opType}') failed on TensorFlow.js: ${String((error as Error).message ?? error).split('\n')[0]}`,
        { cause: error },
      );
    }
  }

  /** The constant (initializer or Constant node) `name` as the runner keeps it, or undefined. */
  constant(name: string): Value | undefined {
    return this.constants.get(name);
  }

  /** Frees the backend constants (idempotent). */
  dispose(): void {
    for (const tensor of this.kept) if (!tensor.isDisposed) tensor.dispose();
    this.kept.length = 0;
  }
}
