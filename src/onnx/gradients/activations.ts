/**
 * Gradients of the activation ops the layer lowerings emit beyond ReLU/sigmoid/tanh: Elu, Selu, Softplus, Erf, Exp,
 * LeakyRelu, PRelu, Sqrt, and Where with the comparisons that only feed masks (no gradient) — each as TensorFlow.js's
 * gradient of the op it stands for computes it.
 */
import { GradientBuilder, GradientContext, op, unbroadcast, upstream, where } from '../op-gradient.js';

const x = (ctx: GradientContext, i = 0): string => ctx.node.inputs[i];
const y = (ctx: GradientContext): string => ctx.node.outputs[0];
const mul = (ctx: GradientContext, a: string, b: string): string => op(ctx, 'Mul', [a, b]);

/** SELU's constants as TensorFlow.js's selu gradient uses them (scale, scale·α). */
const SELU_SCALE = 1.0507009873554804934193349852946;
const SELU_SCALE_ALPHA = 1.7580993408473768599402175208123;

/** The activation gradients by op type. */
export const ACTIVATION_GRADIENTS: readonly (readonly [string, GradientBuilder])[] = [
  // TensorFlow.js's EluGrad: dy where y ≥ 0, dy·(y + α) below (α = 1 for every Elu it runs)
  [
    'Elu',
    (ctx) => {
      const alpha = (ctx.node.attributes.alpha as number | undefined) ?? 1;
      const dy = upstream(ctx);
      const below = mul(ctx, dy, op(ctx, 'Add', [y(ctx), ctx.graph.scalar(alpha)]));
      return [op(ctx, 'Where', [op(ctx, 'Less', [y(ctx), ctx.graph.scalar(0)]), below, dy])];
    },
  ],
  // where(x > 0, dy·scale, dy·scale·α·exp(x)), TensorFlow.js's selu gradient (ONNX Selu with its default constants)
  [
    'Selu',
    (ctx) => {
      const dy = upstream(ctx);
      const above = mul(ctx, dy, ctx.graph.scalar(SELU_SCALE));
      const below = mul(ctx, mul(ctx, dy, ctx.graph.scalar(SELU_SCALE_ALPHA)), op(ctx, 'Exp', [x(ctx)]));
      return [op(ctx, 'Where', [op(ctx, 'Greater', [x(ctx), ctx.graph.scalar(0)]), above, below])];
    },
  ],
  // dy · sigmoid(x)
  ['Softplus', (ctx) => [mul(ctx, upstream(ctx), op(ctx, 'Sigmoid', [x(ctx)]))]],
  // dy · exp(−x²) · 2/√π
  [
    'Erf',
    (ctx) => {
      const gauss = op(ctx, 'Exp', [op(ctx, 'Neg', [mul(ctx, x(ctx), x(ctx))])]);
      return [mul(ctx, upstream(ctx), mul(ctx, gauss, ctx.graph.scalar(2 / Math.sqrt(Math.PI))))];
    },
  ],
  // dy · y
  ['Exp', (ctx) => [mul(ctx, upstream(ctx), y(ctx))]],
  // dy / (2·y), TensorFlow.js's sqrt gradient dy / (2·√x)
  ['Sqrt', (ctx) => [op(ctx, 'Div', [upstream(ctx), mul(ctx, y(ctx), ctx.graph.scalar(2))])]],
  // where(x > 0, dy, dy·α)
  [
    'LeakyRelu',
    (ctx) => {
      const dy = upstream(ctx);
      const alpha = (ctx.node.attributes.alpha as number | undefined) ?? 0.01;
      const mask = op(ctx, 'Greater', [x(ctx), ctx.graph.scalar(0)]);
      return [op(ctx, 'Where', [mask, dy, mul(ctx, dy, ctx.graph.scalar(alpha))])];
    },
  ],
  // where(x > 0, dy, dy·α) with the constant slope α broadcast
  [
    'PRelu',
    (ctx) => {
      const dy = upstream(ctx);
      const mask = op(ctx, 'Greater', [x(ctx), ctx.graph.scalar(0)]);
      return [op(ctx, 'Where', [mask, dy, mul(ctx, dy, x(ctx, 1))]), undefined];
    },
  ],
  // where(c, a, b): dy to a where c, to b elsewhere; the condition has none
  [
    'Where',
    (ctx) => {
      const dy = upstream(ctx);
      const out = ctx.graph.shapeOf(y(ctx));
      const zero = ctx.graph.scalar(0);
      return [
        undefined,
        ctx.wanted[1] ? unbroadcast(ctx, where(ctx, x(ctx), dy), ctx.graph.shapeOf(x(ctx, 1)), out) : undefined,
        ctx.wanted[2]
          ? unbroadcast(ctx, op(ctx, 'Where', [x(ctx), zero, dy]), ctx.graph.shapeOf(x(ctx, 2)), out)
          : undefined,
      ];
    },
  ],
  // comparisons only make masks: no gradient flows through them
  ['Greater', () => [undefined, undefined]],
  ['Less', () => [undefined, undefined]],
];
