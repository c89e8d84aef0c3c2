/** Gradients of the elementwise ops: activations, arithmetic with broadcasting, Max/Min, Clip, Identity. */
import { GradientBuilder, GradientContext, op, unbroadcast, upstream, where } from '../op-gradient.js';

/** The gradient of a binary op from its per-input partials `da(dy)`, `db(dy)`, reduced to each input's shape. */
function binary(
  partials: [(ctx: GradientContext, dy: string) => string, (ctx: GradientContext, dy: string) => string],
): GradientBuilder {
  return (ctx) => {
    const dy = upstream(ctx);
    const out = ctx.graph.shapeOf(ctx.node.outputs[0]);
    return ctx.node.inputs.map((input, i) =>
      ctx.wanted[i] ? unbroadcast(ctx, partials[i](ctx, dy), ctx.graph.shapeOf(input), out) : undefined,
    );
  };
}

const x = (ctx: GradientContext, i = 0): string => ctx.node.inputs[i];
const y = (ctx: GradientContext): string => ctx.node.outputs[0];

/**
 * d relu = dy · [x > 0] (TensorFlow's ReluGrad: 0 at 0), read from the output (y > 0 exactly where x > 0), so the op
 * before the ReLU keeps one consumer and onnxruntime can fuse the ReLU into it.
 */
export const reluGradient: GradientBuilder = (ctx) => [
  where(ctx, op(ctx, 'Greater', [y(ctx), ctx.graph.scalar(0)]), upstream(ctx)),
];

/** Guided ReLU: only positive upstream gradients pass, where x > 0: relu(dy) · [x > 0]. */
export const guidedReluGradient: GradientBuilder = (ctx) => [
  where(ctx, op(ctx, 'Greater', [y(ctx), ctx.graph.scalar(0)]), op(ctx, 'Relu', [upstream(ctx)])),
];

/** The elementwise gradients by op type. */
export const ELEMENTWISE_GRADIENTS: readonly (readonly [string, GradientBuilder])[] = [
  ['Identity', (ctx) => [upstream(ctx)]],
  ['Relu', reluGradient],
  // dy · y(1 − y) and dy · (1 − y²), as TensorFlow.js's SigmoidGrad and TanhGrad
  [
    'Sigmoid',
    (ctx) => [op(ctx, 'Mul', [upstream(ctx), op(ctx, 'Mul', [y(ctx), op(ctx, 'Sub', [ctx.graph.scalar(1), y(ctx)])])])],
  ],
  [
    'Tanh',
    (ctx) => [op(ctx, 'Mul', [upstream(ctx), op(ctx, 'Sub', [ctx.graph.scalar(1), op(ctx, 'Mul', [y(ctx), y(ctx)])])])],
  ],
  // softmax over the last axis: y · (dy − Σ dy·y)
  [
    'Softmax',
    (ctx) => {
      const dy = upstream(ctx);
      const dot = op(ctx, 'ReduceSum', [op(ctx, 'Mul', [dy, y(ctx)]), ctx.graph.int64s([-1])], { keepdims: 1 });
      return [op(ctx, 'Mul', [y(ctx), op(ctx, 'Sub', [dy, dot])])];
    },
  ],
  // clip(x, lo, hi): dy where lo ≤ x ≤ hi (TensorFlow.js's clipByValue gradient); the bounds are constants
  [
    'Clip',
    (ctx) => {
      const inside = op(ctx, 'And', [
        op(ctx, 'GreaterOrEqual', [x(ctx), x(ctx, 1)]),
        op(ctx, 'LessOrEqual', [x(ctx), x(ctx, 2)]),
      ]);
      return [where(ctx, inside, upstream(ctx)), undefined, undefined];
    },
  ],
  ['Neg', (ctx) => [op(ctx, 'Neg', [upstream(ctx)])]],
  ['Add', binary([(_, dy) => dy, (_, dy) => dy])],
  ['Sub', binary([(_, dy) => dy, (ctx, dy) => op(ctx, 'Neg', [dy])])],
  ['Mul', binary([(ctx, dy) => op(ctx, 'Mul', [dy, x(ctx, 1)]), (ctx, dy) => op(ctx, 'Mul', [dy, x(ctx, 0)])])],
  [
    'Div',
    binary([
      (ctx, dy) => op(ctx, 'Div', [dy, x(ctx, 1)]),
      (ctx, dy) =>
        op(ctx, 'Neg', [op(ctx, 'Div', [op(ctx, 'Mul', [dy, x(ctx, 0)]), op(ctx, 'Mul', [x(ctx, 1), x(ctx, 1)])])]),
    ]),
  ],
  // TensorFlow's Maximum/Minimum gradients: ties go to the first input
  [
    'Max',
    binary([
      (ctx, dy) => where(ctx, op(ctx, 'GreaterOrEqual', [x(ctx, 0), x(ctx, 1)]), dy),
      (ctx, dy) => where(ctx, op(ctx, 'Less', [x(ctx, 0), x(ctx, 1)]), dy),
    ]),
  ],
  [
    'Min',
    binary([
      (ctx, dy) => where(ctx, op(ctx, 'LessOrEqual', [x(ctx, 0), x(ctx, 1)]), dy),
      (ctx, dy) => where(ctx, op(ctx, 'Greater', [x(ctx, 0), x(ctx, 1)]), dy),
    ]),
  ],
];
