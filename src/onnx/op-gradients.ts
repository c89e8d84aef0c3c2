/**
 * The registry of ONNX op gradients (one builder per op type) and the reverse-mode pass over a lowered forward graph
 * that uses it: every lowered layer gets its input gradient from the gradients of the primitives it emitted.
 * Propagation rules override the builder of the op they name (guided backprop: `Relu`).
 */
import { WingbeatsError } from '../util/errors.js';
import type { OnnxGraph } from './onnx-graph.js';
import type { GradientBuilder } from './op-gradient.js';
import { ELEMENTWISE_GRADIENTS, guidedReluGradient } from './gradients/elementwise.js';
import { NEURAL_GRADIENTS } from './gradients/neural.js';
import { STRUCTURAL_GRADIENTS } from './gradients/structural.js';
import { ACTIVATION_GRADIENTS } from './gradients/activations.js';
import { POOLING_GRADIENTS } from './gradients/pooling.js';
import { CONVOLUTION_GRADIENTS, groupedConvGradient } from './gradients/convolution.js';
import { MATMUL_GRADIENTS, computedMatMulGradient } from './gradients/matmul.js';

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
 * Appends to `graph` the gradient of Σ seed·`output` with respect to the graph input `input`, walking the forward
 * nodes added so far in reverse; contributions of values used more than once are summed. `overrides` replace the
 * builders of their op types, except on nodes marked rule-exempt.
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
): string {
  const forward = graph.nodes.slice();
  const active = new Set([input]);
  for (const node of forward)
    if (node.inputs.some((v) => active.has(v))) for (const out of node.outputs) active.add(out);
  const gradients = new Map<string, string[]>([[output, [seed]]]);
  for (let n = forward.length - 1; n >= 0; n--) {
    const node = forward[n];
    if (!node.outputs.some((v) => active.has(v))) continue;
    const dys = node.outputs.map((v) => sum(graph, gradients.get(v)));
    if (dys.every((dy) => dy === undefined)) continue;
    const builder = (node.ruleExempt === true ? undefined : overrides.get(node.opType)) ?? builders.get(node.opType);
    if (builder === undefined)
      throw new WingbeatsError('UNSUPPORTED_MODEL', `The ONNX op '${node.opType}' has no registered gradient.`);
    const wanted = node.inputs.map((v) => active.has(v));
    const dxs = builder({ graph, node, dys, wanted });
    node.inputs.forEach((v, i) => {
      const dx = dxs[i];
      if (!wanted[i] || dx === undefined) return;
      const list = gradients.get(v);
      if (list === undefined) gradients.set(v, [dx]);
      else list.push(dx);
    });
  }
  const dx = sum(graph, gradients.get(input));
  if (dx === undefined) throw new WingbeatsError('UNSUPPORTED_MODEL', "The model's scores do not depend on its input.");
  return dx;
}
