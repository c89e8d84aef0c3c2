/**
 * Lowerers of wrapper and composite layers: TimeDistributed (time folded into the batch axis by `Reshape`, the inner
 * layer lowered once) and the wingbeats composites (CNN1D/CNN2D, ConvBlock1d/2d, DenseBlock) as their sublayers.
 */
import type * as tf from '@tensorflow/tfjs';
import { LayerLowerer, Value, layerConfig, onlyInput, unsupportedLayer } from '../lowering-context.js';

type Parts = Record<string, tf.layers.Layer & tf.layers.Layer[]>;

function one(layer: tf.layers.Layer, values: Value[]): Value {
  if (values.length !== 1)
    throw unsupportedLayer(layer, `a part gives ${values.length} outputs where one was expected`);
  return values[0];
}

/**
 * `[b, t, ...]` → `[b·t, ...]` → inner layer → `[b, t, ...out]`. TensorFlow.js runs the wrapper with `layer.apply`,
 * so its inner layer sees no propagation rule and no Monte-Carlo dropout: {@link LoweringContext.applyPlain}.
 */
const timeDistributed: LayerLowerer = (layer, inputs, ctx) => {
  const x = onlyInput(layer, inputs);
  const inner = (layer as unknown as { layer: tf.layers.Layer }).layer;
  if (x.shape.length < 2) throw unsupportedLayer(layer, `input [${x.shape.join(',')}] has no time axis`);
  const [steps, ...rest] = x.shape;
  const folded = ctx.op('Reshape', [x.name, ctx.graph.int64s([-1, ...rest])], {}, rest);
  const y = one(layer, ctx.applyPlain(inner, [folded]));
  return ctx.op('Reshape', [y.name, ctx.graph.int64s([-1, steps, ...y.shape])], {}, [steps, ...y.shape]);
};

/** ConvBlock: conv → batch norm → ReLU → max pool (the executor's `convBlockOp`). */
const convBlock: LayerLowerer = (layer, inputs, ctx) => {
  const parts = layer as unknown as Parts;
  const normed = one(layer, ctx.apply(parts.bnorm, ctx.apply(parts.conv, inputs)));
  return ctx.apply(parts.maxpool, [ctx.activation(layer, 'relu', normed)]);
};

/** CNN1D/CNN2D: batch norm → conv blocks → pooling → Dropout(dropRate) (the executor's `cnnOp`). */
const cnn: LayerLowerer = (layer, inputs, ctx) => {
  const parts = layer as unknown as Parts;
  let x = ctx.apply(parts.bnorm0, inputs);
  for (const block of parts.blocks as unknown as tf.layers.Layer[]) x = ctx.apply(block, x);
  const pooled = one(layer, ctx.apply(parts.pooling, x));
  return ctx.dropout(layer, pooled, Number(layerConfig(layer).dropRate));
};

/** DenseBlock: batch norm → ReLU → Dense. */
const denseBlock: LayerLowerer = (layer, inputs, ctx) => {
  const parts = layer as unknown as Parts;
  const normed = one(layer, ctx.apply(parts.bnorm, inputs));
  return ctx.apply(parts.dense, [ctx.activation(layer, 'relu', normed)]);
};

/** `Identity` (wingbeats): its input. */
const identity: LayerLowerer = (layer, inputs) => onlyInput(layer, inputs);

/** The wrapper and composite lowerers by Keras class name. */
export const WRAPPER_LOWERERS: readonly (readonly [string, LayerLowerer])[] = [
  ['TimeDistributed', timeDistributed],
  ['ConvBlock1d', convBlock],
  ['ConvBlock2d', convBlock],
  ['CNN1D', cnn],
  ['CNN2D', cnn],
  ['DenseBlock', denseBlock],
  ['Identity', identity],
];
