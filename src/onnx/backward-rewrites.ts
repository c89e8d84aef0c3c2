/**
 * Rewrites of a backward graph (the nodes `appendBackward` added after the forward nodes) into cheaper forms of the same
 * gradient. The per-op builders each see one op, so two of their products end up on full-resolution tensors where a
 * smaller one would do; both cost the most on onnxruntime-web, whose WebAssembly elementwise kernels are scalar:
 *
 * - **A mask behind a max-pool gradient moves in front of it.** `Where(c(a), MaxUnpool(g, i), 0)`, where `i` are the
 *   indices of `p = MaxPool(a)` and `c` compares with a constant (a ReLU's `a > 0`), becomes
 *   `MaxUnpool(Where(c(p), g, 0), i)`: the unpooled tensor is zero except at the indexed maxima, where `a` equals `p`,
 *   so every element is the same (the same bits), and the mask runs on the pooled tensor (a quarter of the size under
 *   2×2 pooling). Guided backprop's `Where(c(a), Relu(MaxUnpool(g, i)), 0)` likewise (ReLU keeps the zeros).
 * - **A per-channel scale next to a convolution folds into its kernel.** `Conv(Mul(v, s), W)` with a constant `s` of
 *   one value per input channel becomes `Conv(v, W·s)`, and `Mul(Conv(v, W), s)` with one value per output channel
 *   `Conv(v, s·W)` (the batch-normalisation gradient in front of or behind a convolution's input gradient): one full
 *   pass over the tensor less, with the products rounded once in another order (equal to float32 rounding).
 */
import type { GraphNode, OnnxGraph } from './onnx-graph.js';

/** Comparisons with a constant a mask can be computed with on the pooled values instead. */
const COMPARISONS = new Set(['Greater', 'GreaterOrEqual', 'Less', 'LessOrEqual', 'Equal']);

/** The readers of every value among `nodes`. */
function readersOf(nodes: readonly GraphNode[]): Map<string, GraphNode[]> {
  const readers = new Map<string, GraphNode[]>();
  for (const node of nodes)
    for (const input of node.inputs) {
      const list = readers.get(input);
      if (list === undefined) readers.set(input, [node]);
      else if (!list.includes(node)) list.push(node);
    }
  return readers;
}

/** Whether `value` is a float32 constant of one element equal to 0. */
function isZero(graph: OnnxGraph, value: string): boolean {
  const data = graph.constantData(value);
  return data !== undefined && data.data.length === 1 && data.data[0] === 0;
}

/**
 * Rewrites the backward nodes of `graph` (those from index `from` on; see the file comment) and returns the name that
 * now holds the value `result` held (the gradient `appendBackward` returns).
 */
export function rewriteBackward(graph: OnnxGraph, from: number, result: string): string {
  const backward = new Set(graph.nodes.slice(from));
  const producer = new Map<string, GraphNode>();
  for (const node of graph.nodes) for (const output of node.outputs) producer.set(output, node);
  let renamed = result;
  const replaceReads = (old: string, now: string): void => {
    for (const node of graph.nodes) node.inputs = node.inputs.map((v) => (v === old ? now : v));
    if (renamed === old) renamed = now;
  };
  // Masks behind max-pool gradients
  const unpoolReaders = readersOf(graph.nodes);
  for (const where of graph.nodes.filter((n) => backward.has(n) && n.opType === 'Where')) {
    const [conditionValue, value, otherwise] = where.inputs;
    const condition = producer.get(conditionValue);
    // the masked value: an unpooling, or (guided backprop) the ReLU of one — ReLU(0) = 0 keeps the zeros it left
    let unpool = producer.get(value);
    const relu = unpool?.opType === 'Relu' ? unpool : undefined;
    if (relu !== undefined) unpool = producer.get(relu.inputs[0]);
    if (condition === undefined || unpool === undefined || unpool.opType !== 'MaxUnpool') continue;
    if (!COMPARISONS.has(condition.opType) || graph.constantData(condition.inputs[1])?.data.length !== 1) continue;
    if (!isZero(graph, otherwise) || unpoolReaders.get(unpool.outputs[0])?.length !== 1) continue;
    if (relu !== undefined && unpoolReaders.get(relu.outputs[0])?.length !== 1) continue;
    const pool = producer.get(unpool.inputs[1]);
    if (pool === undefined || pool.opType !== 'MaxPool' || pool.outputs[1] !== unpool.inputs[1]) continue;
    if (pool.inputs[0] !== condition.inputs[0]) continue;
    const pooledCondition = graph.opBefore(unpool, condition.opType, [pool.outputs[0], condition.inputs[1]]);
    const pooled = relu === undefined ? unpool.inputs[0] : graph.opBefore(unpool, 'Relu', [unpool.inputs[0]]);
    const masked = graph.opBefore(unpool, 'Where', [pooledCondition, pooled, otherwise]);
    const shape = graph.knownShape(unpool.inputs[0]);
    if (shape !== undefined) graph.setShape(masked, shape);
    const rewritten = graph.opBefore(where, 'MaxUnpool', [masked, ...unpool.inputs.slice(1)], unpool.attributes);
    replaceReads(where.outputs[0], rewritten);
  }
  // Per-channel scales beside convolutions
  const readers = readersOf(graph.nodes);
  const onlyReader = (value: string): GraphNode | undefined => {
    const list = readers.get(value);
    return list?.length === 1 && value !== renamed ? list[0] : undefined;
  };
  for (const mul of graph.nodes.filter((n) => backward.has(n) && n.opType === 'Mul')) {
    const scaleIndex = graph.constantData(mul.inputs[1]) !== undefined ? 1 : 0;
    const scale = graph.constantData(mul.inputs[scaleIndex]);
    const input = mul.inputs[1 - scaleIndex];
    if (scale === undefined || graph.constantData(input) !== undefined) continue;
    const reader = onlyReader(mul.outputs[0]);
    const before = producer.get(input);
    if (reader !== undefined && foldableConv(graph, reader, backward) && reader.inputs[0] === mul.outputs[0]) {
      const kernel = scaledKernel(graph, reader, scale, 'input');
      if (kernel === undefined) continue;
      reader.inputs = [input, kernel];
      readers.set(input, [...(readers.get(input) ?? []), reader]);
    } else if (before !== undefined && foldableConv(graph, before, backward) && onlyReader(input) === mul) {
      const kernel = scaledKernel(graph, before, scale, 'output');
      if (kernel === undefined) continue;
      before.inputs = [before.inputs[0], kernel];
      replaceReads(mul.outputs[0], input);
    }
  }
  return renamed;
}

/** Whether `node` is a backward `Conv` without bias, of one group, whose kernel is a constant. */
function foldableConv(graph: OnnxGraph, node: GraphNode, backward: ReadonlySet<GraphNode>): boolean {
  return (
    backward.has(node) &&
    node.opType === 'Conv' &&
    node.inputs.length === 2 &&
    (node.attributes.group === undefined || node.attributes.group === 1) &&
    graph.constantData(node.inputs[1]) !== undefined
  );
}

/**
 * The kernel of `conv` with `scale` (one value per input or output channel, shaped `[channels, 1, ...]` to broadcast
 * over a channels-first activation) multiplied in along that axis, as a new constant; undefined when `scale` is not of
 * that form.
 */
function scaledKernel(
  graph: OnnxGraph,
  conv: GraphNode,
  scale: { data: Float32Array; dims: number[] },
  axis: 'input' | 'output',
): string | undefined {
  const kernel = graph.constantData(conv.inputs[1])!;
  const [outputs, inputs] = kernel.dims;
  const channels = axis === 'input' ? inputs : outputs;
  if (scale.dims.length !== kernel.dims.length - 1 || scale.dims[0] !== channels) return undefined;
  if (scale.dims.slice(1).some((d) => d !== 1)) return undefined;
  const taps = kernel.data.length / (outputs * inputs);
  const data = new Float32Array(kernel.data.length);
  for (let o = 0; o < outputs; o++)
    for (let i = 0; i < inputs; i++) {
      const s = scale.data[axis === 'input' ? i : o];
      for (let t = 0; t < taps; t++) data[(o * inputs + i) * taps + t] = kernel.data[(o * inputs + i) * taps + t] * s;
    }
  return graph.floats('kernel_scaled', data, kernel.dims);
}
