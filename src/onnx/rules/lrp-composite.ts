/**
 * The LRP composite (src/rules/lrp-composite.ts) as gradient overrides of ONNX ops: the chosen rule on `Conv` and
 * `ConvTranspose` (convolutions, each of a separable one's two), ε on `MatMul` (Dense) and on the affine ops —
 * `BatchNormalization` and its flat `Mul`/`Add` form (Rescaling too), a Normalization's `Sub`/`Div`,
 * `GlobalAveragePool`/`ReduceMean`/`AveragePool` (averaging pools) — each taking z/stab(z) of its own output; a batch
 * norm folded into the convolution before it passes the gradient on. ReLU, max pooling, reshapes and the rest keep
 * their plain gradients, as the TF.js composite leaves them.
 */
import { convolutionRuleOf, type LrpCompositeSettings } from '../../rules/lrp-composite.js';
import type { GraphNode } from '../onnx-graph.js';
import { GradientBuilder, GradientContext, internal, op, upstream } from '../op-gradient.js';
import { opGradient } from '../op-gradients.js';
import { lrpAlphaBeta } from './lrp-alpha-beta.js';
import { lrpEpsilon } from './lrp-epsilon.js';
import { lrpGamma } from './lrp-gamma.js';
import { LrpLinearRule, foldedNorm, linearSite } from './lrp-linear.js';
import { RuleGraph, isConstant, relevanceRatio } from './rule-graph.js';

/** The op types the LRP composite overrides (every one has a plain gradient it builds on or replaces). */
export const LRP_OVERRIDDEN_OPS = [
  'Conv',
  'ConvTranspose',
  'MatMul',
  'Add',
  'Div',
  'BatchNormalization',
  'GlobalAveragePool',
  'ReduceMean',
  'AveragePool',
] as const;

const convolutionRule = (settings: LrpCompositeSettings): LrpLinearRule =>
  convolutionRuleOf(settings, { epsilon: lrpEpsilon, gamma: lrpGamma, alphaBeta: lrpAlphaBeta });

/** The plain gradient of the node in `ctx` with its upstream gradient replaced by `dy`. */
function plain(ctx: GradientContext, dy: string): (string | undefined)[] {
  const gradient = opGradient(ctx.node.opType);
  if (gradient === undefined) throw internal(`${ctx.node.opType} has no plain gradient`);
  return gradient({ ...ctx, dys: [dy, ...ctx.dys.slice(1)] });
}

/** ε on an affine op's own output y: the plain gradient of dy ⊙ y/stab(y). */
function epsilonOnOutput(epsilon: number): GradientBuilder {
  return (ctx) => {
    const y = ctx.node.outputs[0];
    return plain(ctx, op(ctx, 'Mul', [upstream(ctx), relevanceRatio(ctx, y, y, epsilon)]));
  };
}

/** Whether an `Add` is the shift of a flat batch norm: x·scale (a Mul by a constant) + a constant. */
function isNormShift(ctx: GradientContext, rules: RuleGraph, add: GraphNode): boolean {
  if (!isConstant(ctx.graph, add.inputs[1])) return false;
  const scaled = rules.producer(add.inputs[0]);
  return scaled?.opType === 'Mul' && isConstant(ctx.graph, scaled.inputs[1]);
}

/** Whether a `Div` is a Keras Normalization's: (x − a constant) / a constant. */
function isNormalizationDivide(ctx: GradientContext, rules: RuleGraph, div: GraphNode): boolean {
  if (!isConstant(ctx.graph, div.inputs[1])) return false;
  const centred = rules.producer(div.inputs[0]);
  return centred?.opType === 'Sub' && isConstant(ctx.graph, centred.inputs[1]);
}

/** How many batch norms LRP's canonisation folds into the convolution before them in the forward graph `rules`. */
export function lrpFoldCount(rules: RuleGraph, nodes: readonly GraphNode[]): number {
  return nodes.filter((n) => n.opType === 'Conv' && foldedNorm(rules, n) !== undefined).length;
}

/**
 * The gradient overrides of the LRP composite with `settings` on the forward graph `rules` describes. Linear ops take
 * the upstream gradient at their pre-activation: the plain gradients of the ReLU and bias Add after them give it.
 */
export function lrpOverrides(settings: LrpCompositeSettings, rules: RuleGraph): Map<string, GradientBuilder> {
  const onConvolutions = convolutionRule(settings);
  const { epsilon, foldBatchNorm } = settings;
  const linear =
    (rule: LrpLinearRule): GradientBuilder =>
    (ctx) => [
      rule(linearSite(ctx, rules, foldBatchNorm, epsilon), upstream(ctx)),
      ...ctx.node.inputs.slice(1).map(() => undefined),
    ];
  const affine = epsilonOnOutput(epsilon);
  return new Map<string, GradientBuilder>([
    ['Conv', linear(onConvolutions)],
    ['ConvTranspose', linear(onConvolutions)],
    ['MatMul', linear(lrpEpsilon)],
    // a Dense bias passes the gradient on (its MatMul's rule reads z after it); a flat batch norm's shift takes ε
    ['Add', (ctx) => (isNormShift(ctx, rules, ctx.node) ? affine(ctx) : plain(ctx, upstream(ctx)))],
    [
      'BatchNormalization',
      (ctx) => {
        const conv = rules.producer(ctx.node.inputs[0]);
        const folded = foldBatchNorm && conv !== undefined && foldedNorm(rules, conv) === ctx.node;
        return folded ? [upstream(ctx), undefined, undefined, undefined, undefined] : affine(ctx);
      },
    ],
    // a Keras Normalization, (x − mean) / divisor: ε on its output, as on a batch norm
    ['Div', (ctx) => (isNormalizationDivide(ctx, rules, ctx.node) ? affine(ctx) : plain(ctx, upstream(ctx)))],
    ['GlobalAveragePool', affine],
    ['ReduceMean', affine],
    ['AveragePool', affine],
  ]);
}
