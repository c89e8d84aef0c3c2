/** TensorFlow.js implementations of ONNX's element-wise ops (one function per op type). */
import * as tf from '@tensorflow/tfjs';
import type { OpContext, OpImplementation } from './op-context.js';

const unary =
  (f: (x: tf.Tensor) => tf.Tensor): OpImplementation =>
  (ctx) =>
    f(ctx.float(0));

/** ONNX integer division truncates toward zero; float division is plain. */
function div(ctx: OpContext): tf.Tensor {
  const a = ctx.tensor(0);
  const b = ctx.tensor(1);
  if (a.dtype === 'int32' && b.dtype === 'int32') {
    const q = tf.div(tf.cast(a, 'float32'), tf.cast(b, 'float32'));
    return tf.cast(tf.mul(tf.sign(q), tf.floor(tf.abs(q))), 'int32');
  }
  return tf.div(a, b);
}

const variadic =
  (f: (a: tf.Tensor, b: tf.Tensor) => tf.Tensor): OpImplementation =>
  (ctx) => {
    let out = ctx.tensor(0);
    for (let i = 1; i < ctx.inputCount; i++) if (ctx.input(i) !== undefined) out = f(out, ctx.tensor(i));
    return out;
  };

function clip(ctx: OpContext): tf.Tensor {
  const x = ctx.float(0);
  const low = ctx.opset >= 11 ? ctx.numbers(1)?.[0] : ctx.number('min', -Infinity);
  const high = ctx.opset >= 11 ? ctx.numbers(2)?.[0] : ctx.number('max', Infinity);
  return tf.clipByValue(x, low ?? -3.4028234663852886e38, high ?? 3.4028234663852886e38);
}

function hardSigmoid(x: tf.Tensor, alpha: number, beta: number): tf.Tensor {
  return tf.clipByValue(tf.add(tf.mul(x, alpha), beta), 0, 1);
}

function cast(ctx: OpContext): tf.Tensor {
  const to = ctx.number('to', 1);
  const x = ctx.tensor(0);
  if (to === 1 || to === 10 || to === 11) return x.dtype === 'float32' ? x : tf.cast(x, 'float32');
  if (to === 9) return tf.cast(x, 'bool');
  if (x.dtype === 'float32') return tf.cast(tf.mul(tf.sign(x), tf.floor(tf.abs(x))), 'int32');
  return tf.cast(x, 'int32');
}

/** Element-wise ops by ONNX op type. */
export const ELEMENTWISE_OPS: [string, OpImplementation][] = [
  ['Add', (ctx) => tf.add(ctx.tensor(0), ctx.tensor(1))],
  ['Sub', (ctx) => tf.sub(ctx.tensor(0), ctx.tensor(1))],
  ['Mul', (ctx) => tf.mul(ctx.tensor(0), ctx.tensor(1))],
  ['Div', div],
  ['Pow', (ctx) => tf.pow(ctx.float(0), ctx.float(1))],
  ['Sum', variadic(tf.add)],
  ['Max', variadic(tf.maximum)],
  ['Min', variadic(tf.minimum)],
  ['Mean', (ctx) => tf.div(variadic(tf.add)(ctx) as tf.Tensor, ctx.inputCount)],
  ['Relu', unary(tf.relu)],
  ['Sigmoid', unary(tf.sigmoid)],
  ['Tanh', unary(tf.tanh)],
  ['Exp', unary(tf.exp)],
  ['Log', unary(tf.log)],
  ['Sqrt', unary(tf.sqrt)],
  ['Neg', (ctx) => tf.neg(ctx.tensor(0))],
  ['Abs', (ctx) => tf.abs(ctx.tensor(0))],
  ['Reciprocal', unary(tf.reciprocal)],
  ['Floor', unary(tf.floor)],
  ['Ceil', unary(tf.ceil)],
  ['Sign', unary(tf.sign)],
  ['Erf', unary(tf.erf)],
  ['Sin', unary(tf.sin)],
  ['Cos', unary(tf.cos)],
  ['Softplus', unary(tf.softplus)],
  ['Softsign', unary((x) => tf.div(x, tf.add(tf.abs(x), 1)))],
  ['Mish', unary((x) => tf.mul(x, tf.tanh(tf.softplus(x))))],
  [
    'Elu',
    (ctx) =>
      tf.where(tf.greater(ctx.float(0), 0), ctx.float(0), tf.mul(tf.expm1(ctx.float(0)), ctx.number('alpha', 1))),
  ],
  [
    'Selu',
    (ctx) => {
      const x = ctx.float(0);
      const alpha = ctx.number('alpha', 1.6732632423543772);
      const gamma = ctx.number('gamma', 1.0507009873554805);
      return tf.mul(tf.where(tf.greater(x, 0), x, tf.mul(tf.expm1(x), alpha)), gamma);
    },
  ],
  ['LeakyRelu', (ctx) => tf.leakyRelu(ctx.float(0), ctx.number('alpha', 0.01))],
  ['PRelu', (ctx) => tf.add(tf.relu(ctx.float(0)), tf.mul(ctx.float(1), tf.minimum(ctx.float(0), 0)))],
  ['HardSigmoid', (ctx) => hardSigmoid(ctx.float(0), ctx.number('alpha', 0.2), ctx.number('beta', 0.5))],
  ['HardSwish', (ctx) => tf.mul(ctx.float(0), hardSigmoid(ctx.float(0), 1 / 6, 0.5))],
  [
    'Gelu',
    (ctx) => {
      const x = ctx.float(0);
      if (ctx.string('approximate', 'none') === 'tanh') {
        const inner = tf.mul(tf.add(x, tf.mul(tf.pow(x, 3), 0.044715)), Math.sqrt(2 / Math.PI));
        return tf.mul(tf.mul(x, 0.5), tf.add(tf.tanh(inner), 1));
      }
      return tf.mul(tf.mul(x, 0.5), tf.add(tf.erf(tf.mul(x, Math.SQRT1_2)), 1));
    },
  ],
  ['Clip', clip],
  ['Identity', (ctx) => ctx.input(0) ?? ctx.tensor(0)],
  ['Dropout', (ctx) => ctx.input(0) ?? ctx.tensor(0)],
  ['Cast', cast],
  ['Equal', (ctx) => tf.equal(ctx.tensor(0), ctx.tensor(1))],
  ['Less', (ctx) => tf.less(ctx.tensor(0), ctx.tensor(1))],
  ['Greater', (ctx) => tf.greater(ctx.tensor(0), ctx.tensor(1))],
  ['Not', (ctx) => tf.logicalNot(ctx.tensor(0))],
  [
    'Where',
    (ctx) => {
      const a = ctx.tensor(1);
      const b = ctx.tensor(2);
      const shape = tf.broadcast_util.assertAndGetBroadcastShape(
        tf.broadcast_util.assertAndGetBroadcastShape(ctx.tensor(0).shape, a.shape),
        b.shape,
      );
      return tf.where(tf.broadcastTo(ctx.tensor(0), shape), tf.broadcastTo(a, shape), tf.broadcastTo(b, shape));
    },
  ],
];
