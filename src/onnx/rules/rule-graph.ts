/**
 * What the ONNX propagation rules read of the forward graph: which node made a value and which live nodes read it (a
 * rule recognises its site by ops, e.g. "the bias Add after this MatMul", never by layer names), and the small ONNX
 * expressions the rules share (LRP's stabilised ratio, the halves of DeepLIFT's paired batch).
 */
import type { GraphNode, OnnxGraph } from '../onnx-graph.js';

/** Anything that carries the graph under construction (a gradient builder's context). */
export interface InGraph {
  readonly graph: OnnxGraph;
}

const op = (at: InGraph, opType: string, inputs: string[], attributes: Record<string, number | number[]> = {}) =>
  at.graph.op(opType, inputs, attributes);

/** The forward graph as the rules see it (taken before the backward ops are added). */
export interface RuleGraph {
  /** The node that computes `value` (undefined for graph inputs and constants). */
  producer(value: string): GraphNode | undefined;
  /** The forward nodes the scores depend on that read `value`. */
  consumers(value: string): GraphNode[];
}

/** The {@link RuleGraph} of the forward nodes of `graph` added so far, for the scores value `output`. */
export function ruleGraph(graph: OnnxGraph, output: string): RuleGraph {
  const nodes = graph.nodes.slice();
  const producers = new Map<string, GraphNode>();
  for (const node of nodes) for (const out of node.outputs) producers.set(out, node);
  const needed = new Set([output]);
  const readers = new Map<string, GraphNode[]>();
  for (let i = nodes.length - 1; i >= 0; i--) {
    const node = nodes[i];
    if (!node.outputs.some((v) => needed.has(v))) continue;
    for (const v of node.inputs) {
      needed.add(v);
      const list = readers.get(v);
      if (list === undefined) readers.set(v, [node]);
      else list.push(node);
    }
  }
  return { producer: (value) => producers.get(value), consumers: (value) => readers.get(value) ?? [] };
}

/** Whether `value` is a float32 initializer of `graph`. */
export function isConstant(graph: OnnxGraph, value: string | undefined): boolean {
  return value !== undefined && graph.constantData(value) !== undefined;
}

/** `den + ε·sign(den)` with sign(0) = +1 (Zennit's stabiliser, as `stabilise` in src/rules/lrp-linear.ts). */
function stabilise(ctx: InGraph, den: string, epsilon: number): string {
  const g = ctx.graph;
  const signed = op(ctx, 'Where', [
    op(ctx, 'GreaterOrEqual', [den, g.scalar(0)]),
    g.scalar(epsilon),
    g.scalar(-epsilon),
  ]);
  return op(ctx, 'Add', [den, signed]);
}

/**
 * `num / stabilise(den, ε)`, 0 where the stabilised denominator is exactly 0 (as `relevanceRatio` of the TF.js rules).
 * With ε > 0 in float32 the stabilised denominator is never 0 (it is ≥ ε or ≤ −ε), so no guard is built.
 */
export function relevanceRatio(ctx: InGraph, num: string, den: string, epsilon: number): string {
  const g = ctx.graph;
  const d = stabilise(ctx, den, epsilon);
  if (Math.fround(epsilon) > 0) return op(ctx, 'Div', [num, d]);
  const zero = op(ctx, 'Equal', [d, g.scalar(0)]);
  return op(ctx, 'Where', [zero, g.scalar(0), op(ctx, 'Div', [num, op(ctx, 'Where', [zero, g.scalar(1), d])])]);
}

/** The two halves `[inputs; references]` of a paired batch along the batch axis. */
export function halves(ctx: InGraph, value: string): [string, string] {
  const [a, b] = ctx.graph.node('Split', [value], { axis: 0 }, 2);
  return [a, b];
}

/** `[top; bottom]` along the batch axis. */
export function paired(ctx: InGraph, top: string, bottom: string): string {
  return op(ctx, 'Concat', [top, bottom], { axis: 0 });
}

/** 1 where `condition`, else 0 (float32). */
export function indicator(ctx: InGraph, condition: string): string {
  return op(ctx, 'Cast', [condition], { to: 1 });
}
