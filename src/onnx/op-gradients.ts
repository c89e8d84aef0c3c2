/**
 * The registry of ONNX op gradients (one builder per op type) and the reverse-mode pass over a lowered forward graph
 * that uses it: every lowered layer gets its input gradient from the gradients of the primitives it emitted.
 * Propagation rules override the builder of the op they name (guided backprop: `Relu`).
 */
import { WingbeatsError } from '../util/errors.js';
import type { GraphNode, OnnxGraph } from './onnx-graph.js';
import { ACTIVATION_SITE, type GradientBuilder, isPairedBatch } from './op-gradient.js';
import { ELEMENTWISE_GRADIENTS, guidedReluGradient } from './gradients/elementwise.js';
import { NEURAL_GRADIENTS } from './gradients/neural.js';
import { STRUCTURAL_GRADIENTS } from './gradients/structural.js';
import { ACTIVATION_GRADIENTS } from './gradients/activations.js';
import { POOLING_GRADIENTS } from './gradients/pooling.js';
import { CONVOLUTION_GRADIENTS, groupedConvGradient } from './gradients/convolution.js';
import { MATMUL_GRADIENTS, computedMatMulGradient } from './gradients/matmul.js';
import { scanGradient } from './gradients/scan.js';
import { rewriteBackward } from './backward-rewrites.js';

const builders = new Map<string, GradientBuilder>([
  ...ELEMENTWISE_GRADIENTS,
  ...STRUCTURAL_GRADIENTS,
  ...NEURAL_GRADIENTS,
  ...ACTIVATION_GRADIENTS,
  ...POOLING_GRADIENTS,
  ...CONVOLUTION_GRADIENTS,
  ...MATMUL_GRADIENTS,
]);
builders.set('Conv', groupedConvGradient(builders.get('Conv')!));
builders.set('MatMul', computedMatMulGradient(builders.get('MatMul')!));
builders.set('Scan', scanGradient(reversePass));

/** Whether op type `opType` has a registered gradient. */
export function hasOpGradient(opType: string): boolean {
  return builders.has(opType);
}

/** The registered (plain) gradient of op type `opType`, if any: rules build on it (e.g. a transposed convolution). */
export function opGradient(opType: string): GradientBuilder | undefined {
  return builders.get(opType);
}

/** The op types with a registered gradient. */
export function gradientOpTypes(): string[] {
  return [...builders.keys()];
}

/** Gradient overrides of the propagation rules the ONNX graphs express, by rule: the op type and its builder. */
export const RULE_GRADIENTS = {
  guided: new Map<string, GradientBuilder>([['Relu', guidedReluGradient]]),
} as const;

function sum(graph: OnnxGraph, parts: string[] | undefined): string | undefined {
  if (parts === undefined || parts.length === 0) return undefined;
  return parts.length === 1 ? parts[0] : graph.op('Sum', parts);
}

/**
 * The first half along the batch axis of the batch-carrying values of a paired batch, each split once (see
 * `PairedBatchOverrides`): values computed from the graph input, except shapes and what is computed from shapes only.
 */
function firstHalves(graph: OnnxGraph, forward: readonly GraphNode[], active: ReadonlySet<string>) {
  const shapes = new Set<string>();
  for (const node of forward) {
    const read = node.inputs.filter((v) => active.has(v));
    if (node.opType === 'Shape' || (read.length > 0 && read.every((v) => shapes.has(v))))
      for (const out of node.outputs) shapes.add(out);
  }
  const split = new Map<string, string>();
  const half = (value: string): string => {
    if (!active.has(value) || shapes.has(value)) return value;
    let first = split.get(value);
    if (first === undefined) {
      first = graph.node('Split', [value], { axis: 0 }, 2)[0];
      const shape = graph.knownShape(value);
      if (shape !== undefined) graph.setShape(first, shape);
      split.set(value, first);
    }
    return first;
  };
  return (node: GraphNode): GraphNode => ({ ...node, inputs: node.inputs.map(half), outputs: node.outputs.map(half) });
}

/**
 * Appends to `graph` the gradient of Σ seed·`output` with respect to the graph input `input`, walking the forward
 * nodes added so far in reverse; contributions of values used more than once are summed. `overrides` replace the
 * builders of their op types, except on nodes marked rule-exempt. Paired-batch overrides (`PairedBatchOverrides`:
 * DeepLIFT) give the gradient of the input rows only, from the first half of `seed`. The backward nodes are then
 * rewritten into cheaper forms of the same gradient (`rewriteBackward`) unless `rewrite` is false.
 *
 * @throws WingbeatsError `UNSUPPORTED_MODEL` when an op on the path has no gradient, or the output does not depend on
 *   the input.
 */
export function appendBackward(
  graph: OnnxGraph,
  input: string,
  output: string,
  seed: string,
  overrides: ReadonlyMap<string, GradientBuilder> = new Map(),
  rewrite = true,
): string {
  const forward = graph.nodes.slice();
  const start = isPairedBatch(overrides) ? graph.node('Split', [seed], { axis: 0 }, 2)[0] : seed;
  const [dx] = reversePass(graph, forward, [input], [[output, start]], overrides);
  if (dx === undefined) throw new WingbeatsError('UNSUPPORTED_MODEL', "The model's scores do not depend on its input.");
  return rewrite ? rewriteBackward(graph, forward.length, dx) : dx;
}

/**
 * The reverse-mode pass of {@link appendBackward} over the nodes `forward` of `graph`, from several outputs at once:
 * appends the gradient of Σ seed·output over `seeds` (`[output, seed]`; under paired-batch overrides each seed is
 * already the input rows') with respect to each of `inputs` (undefined where none depends on them). A `Scan`'s
 * gradient runs it again on the `Scan`'s body.
 */
export function reversePass(
  graph: OnnxGraph,
  forward: readonly GraphNode[],
  inputs: readonly string[],
  seeds: readonly (readonly [string, string])[],
  overrides: ReadonlyMap<string, GradientBuilder>,
): (string | undefined)[] {
  const active = new Set(inputs);
  for (const node of forward)
    if (node.inputs.some((v) => active.has(v))) for (const out of node.outputs) active.add(out);
  const halved = isPairedBatch(overrides) ? firstHalves(graph, forward, active) : undefined;
  const gradients = new Map<string, string[]>();
  const add = (value: string, dx: string) => {
    const list = gradients.get(value);
    if (list === undefined) gradients.set(value, [dx]);
    else list.push(dx);
  };
  for (const [output, seed] of seeds) add(output, seed);
  for (let n = forward.length - 1; n >= 0; n--) {
    const node = forward[n];
    if (!node.outputs.some((v) => active.has(v))) continue;
    let dys = node.outputs.map((v) => sum(graph, gradients.get(v)));
    if (dys.every((dy) => dy === undefined)) continue;
    const site = node.activationSite;
    const siteRule = site === undefined ? undefined : overrides.get(ACTIVATION_SITE);
    if (site !== undefined && siteRule !== undefined) {
      // the whole activation as one op (see ACTIVATION_SITE): the rule's part goes straight to its input, the rest
      // down the activation's own ops
      const view = { opType: ACTIVATION_SITE, inputs: [site], outputs: node.outputs, attributes: {} };
      const [direct, rest] = siteRule({ graph, node: view, dys, wanted: [true] });
      if (direct !== undefined && active.has(site)) add(site, direct);
      dys = [rest];
    }
    const override = node.ruleExempt === true || siteRule !== undefined ? undefined : overrides.get(node.opType);
    const builder = override ?? builders.get(node.opType);
    if (builder === undefined)
      throw new WingbeatsError('UNSUPPORTED_MODEL', `The ONNX op '${node.opType}' has no registered gradient.`);
    const wanted = node.inputs.map((v) => active.has(v));
    // overrides and a Scan's gradient (which runs the overrides itself) see the paired forward values
    const seen = halved === undefined || override !== undefined || node.scan !== undefined ? node : halved(node);
    let dxs = builder({ graph, node: seen, dys, wanted, overrides });
    // A builder that adds outputs to its forward node (MaxPool's indices) cannot take the first halves: it runs on the
    // paired batch with zero gradients for the references (the ops it added first are left unused, so not encoded).
    if (seen !== node && seen.outputs.length !== node.outputs.length) {
      const paired = dys.map((dy) =>
        dy === undefined
          ? undefined
          : graph.op('Concat', [dy, graph.op('ConstantOfShape', [graph.op('Shape', [dy])])], { axis: 0 }),
      );
      dxs = builder({ graph, node, dys: paired, wanted, overrides }).map((dx) =>
        dx === undefined ? undefined : graph.node('Split', [dx], { axis: 0 }, 2)[0],
      );
    }
    node.inputs.forEach((v, i) => {
      const dx = dxs[i];
      if (wanted[i] && dx !== undefined) add(v, dx);
    });
  }
  return inputs.map((input) => sum(graph, gradients.get(input)));
}
