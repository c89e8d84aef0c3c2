/**
 * The linear ops LRP's rules replace the gradient of, seen in the ONNX graph: a `MatMul` with a constant weight and
 * the bias `Add` after it (a Dense layer), or a `Conv` with constant kernel and bias (a convolution), with, when asked,
 * the `BatchNormalization` that alone reads the convolution folded in — the sites of src/rules/lrp-linear.ts, found by
 * ops. A rule gets the site's input, kernel, bias and pre-activation z and returns the input gradient for dz.
 */
import { WingbeatsError } from '../../util/errors.js';
import type { GraphNode } from '../onnx-graph.js';
import { GradientContext, internal, op } from '../op-gradient.js';
import { opGradient } from '../op-gradients.js';
import { RuleGraph, isConstant } from './rule-graph.js';

/** A constant of the graph: its values and dims. */
export interface Constant {
  data: Float32Array;
  dims: number[];
}

/** One weighted op (MatMul, Conv or ConvTranspose) as an LRP rule sees it. */
export interface LrpLinearSite {
  ctx: GradientContext;
  /** The op's input. */
  x: string;
  /**
   * The kernel in use (ONNX layout: `[in, out]` for MatMul, `[out, in, k...]` for Conv, `[in, out, k...]` for
   * ConvTranspose), batch norm folded in.
   */
  kernel: Constant;
  /** The bias in use, one value per output channel (zeros when the layer has none). */
  bias: Float32Array;
  /** The pre-activation z = x·W + b of the layer (the bias Add's output, or the folded batch norm's). */
  z: string;
  /** Stabiliser ε. */
  epsilon: number;
}

/** An LRP rule of a linear layer: the input gradient for the upstream gradient `dz` at the pre-activation. */
export type LrpLinearRule = (site: LrpLinearSite, dz: string) => string;

/** The `BatchNormalization` (channels first) that is the only live reader of a Conv's output, if any. */
export function foldedNorm(rules: RuleGraph, conv: GraphNode): GraphNode | undefined {
  if (conv.opType !== 'Conv') return undefined;
  const readers = rules.consumers(conv.outputs[0]);
  return readers.length === 1 && readers[0].opType === 'BatchNormalization' ? readers[0] : undefined;
}

/** Per-channel scale and shift of an inference `BatchNormalization` node (x·s + t), in float32 as TensorFlow.js folds. */
export function normScaleShift(ctx: GradientContext, norm: GraphNode): { scale: Float32Array; shift: Float32Array } {
  const [gamma, beta, mean, variance] = [1, 2, 3, 4].map((i) => {
    const known = ctx.graph.constantData(norm.inputs[i]);
    if (known === undefined) throw internal('a BatchNormalization with computed parameters');
    return known.data;
  });
  const epsilon = (norm.attributes.epsilon as number | undefined) ?? 1e-5;
  const scale = gamma.map((g, i) => g / Math.sqrt(variance[i] + epsilon));
  const shift = beta.map((b, i) => Math.fround(b - Math.fround(mean[i] * scale[i])));
  return { scale, shift };
}

/** The site of a MatMul or Conv node (with the batch norm after a Conv folded in when `fold`). */
export function linearSite(ctx: GradientContext, rules: RuleGraph, fold: boolean, epsilon: number): LrpLinearSite {
  const node = ctx.node;
  const g = ctx.graph;
  const weights = g.constantData(node.inputs[1]);
  if (weights === undefined || ctx.wanted[1]) throw internal(`LRP through a ${node.opType} with a computed weight`);
  let kernel: Constant = { data: weights.data, dims: weights.dims };
  // output channels: MatMul [in, out], Conv [out, in, k...], ConvTranspose [in, out, k...]
  const channels = node.opType === 'Conv' ? kernel.dims[0] : kernel.dims[1];
  let bias: Float32Array = new Float32Array(channels);
  let z = node.outputs[0];
  if (node.opType === 'MatMul') {
    const readers = rules.consumers(z);
    const add = readers.length === 1 && readers[0].opType === 'Add' ? readers[0] : undefined;
    if (add !== undefined && add.inputs[0] === z && isConstant(g, add.inputs[1])) {
      bias = g.constantData(add.inputs[1])!.data;
      z = add.outputs[0];
    }
  } else if (node.inputs[2] !== undefined) {
    const known = g.constantData(node.inputs[2]);
    if (known === undefined) throw internal('a Conv with a computed bias');
    bias = known.data;
  }
  const norm = fold ? foldedNorm(rules, node) : undefined;
  if (norm !== undefined) {
    const { scale, shift } = normScaleShift(ctx, norm);
    const taps = kernel.data.length / channels;
    kernel = { data: kernel.data.map((w, i) => w * scale[Math.floor(i / taps)]), dims: kernel.dims };
    bias = bias.map((b, o) => Math.fround(b * scale[o]) + shift[o]);
    z = norm.outputs[0];
  }
  return { ctx, x: node.inputs[0], kernel, bias, z, epsilon };
}

/** The site's linear map (no bias) of `x` with `kernel` (a forward op in the backward graph, not differentiated). */
export function linearPart(site: LrpLinearSite, x: string, kernel: Constant): string {
  const { ctx } = site;
  const w = ctx.graph.floats('lrp_kernel', kernel.data, kernel.dims);
  return op(ctx, ctx.node.opType, [x, w], ctx.node.attributes);
}

/** `x + bias` over the channel axis of the site's output (channels last for MatMul, first for Conv). */
export function addBias(site: LrpLinearSite, x: string, bias: Float32Array): string {
  const { ctx } = site;
  const rank = ctx.graph.shapeOf(ctx.node.outputs[0]).length;
  const dims = ctx.node.opType === 'MatMul' ? [bias.length] : [bias.length, ...Array<number>(rank - 1).fill(1)];
  return op(ctx, 'Add', [x, ctx.graph.floats('lrp_bias', bias, dims)]);
}

/** The transpose of the site's linear map with `kernel` applied to `dy` (the op's plain input gradient). */
export function transposed(site: LrpLinearSite, dy: string, kernel: Constant): string {
  const { ctx } = site;
  const gradient = opGradient(ctx.node.opType);
  if (gradient === undefined)
    throw new WingbeatsError('UNSUPPORTED_MODEL', `The ONNX op '${ctx.node.opType}' has no registered gradient.`);
  const w = ctx.graph.floats('lrp_kernel', kernel.data, kernel.dims);
  const node: GraphNode = { ...ctx.node, inputs: [ctx.node.inputs[0], w] };
  return gradient({ graph: ctx.graph, node, dys: [dy], wanted: [true, false] })[0]!;
}

/** `values` mapped elementwise, in float32. */
export function mapKernel(kernel: Constant, f: (w: number) => number): Constant {
  return { data: kernel.data.map(f), dims: kernel.dims };
}
