/**
 * LayerNormalization as TensorFlow.js's layer computes it, decomposed into primitives whose gradients flow through
 * the mean and the variance too: (x − mean) / √(variance + ε) · γ + β over the normalised axes. (The decomposition,
 * not ONNX's LayerNormalization op: its gradient is the gradients of ReduceMean, Sub, Mul, Sqrt and Div that the
 * registry has.)
 */
import { LayerLowerer, Value, layerConfig, onlyInput, unsupportedLayer, weightValues } from '../lowering-context.js';
import { plainLayer } from './plain-layer.js';

/** The normalised axes, batch axis included (1 … rank − 1), from Keras's `axis` (a number or a list, may be negative). */
function normalisedAxes(layer: Parameters<LayerLowerer>[0], configured: unknown, rank: number): number[] {
  const list = Array.isArray(configured) ? (configured as unknown[]) : [configured ?? -1];
  const axes = list.map((a) => (typeof a === 'number' && a < 0 ? rank + a : a));
  if (axes.some((a) => typeof a !== 'number' || !Number.isInteger(a) || a < 1 || a >= rank))
    throw unsupportedLayer(layer, `axis ${JSON.stringify(configured)} is not a list of non-batch axes`);
  return [...new Set(axes as number[])].sort((a, b) => a - b);
}

const layerNormalization: LayerLowerer = (layer, inputs, ctx) => {
  const x = onlyInput(layer, inputs);
  const c = layerConfig(layer);
  const axes = normalisedAxes(layer, c.axis, x.shape.length + 1);
  const epsilon = Number(c.epsilon ?? 1e-3);
  const kept = x.shape.map((d, i) => (axes.includes(i + 1) ? 1 : d));
  const reduced = x.shape.filter((_, i) => !axes.includes(i + 1));
  const mean = (v: Value): Value => {
    const m = ctx.op('ReduceMean', [v.name], { axes, keepdims: 0 }, reduced);
    return ctx.op('Reshape', [m.name, ctx.graph.int64s([-1, ...kept])], {}, kept);
  };
  const centred = ctx.op('Sub', [x.name, mean(x).name], {}, x.shape);
  const variance = mean(ctx.op('Mul', [centred.name, centred.name], {}, x.shape));
  const shifted = ctx.op('Add', [variance.name, ctx.graph.scalar(epsilon)], {}, kept);
  const deviation = ctx.op('Sqrt', [shifted.name], {}, kept);
  let y = ctx.op('Div', [centred.name, deviation.name], {}, x.shape);
  const paramShape = x.shape.map((d, i) => (axes.includes(i + 1) ? d : 1));
  for (const [name, opType, enabled] of [
    ['gamma', 'Mul', c.scale !== false],
    ['beta', 'Add', c.center !== false],
  ] as const) {
    if (!enabled) continue;
    const weight = weightValues(layer, name);
    if (weight === null) throw unsupportedLayer(layer, `it has no ${name}`);
    const constant = ctx.graph.floats(`${layer.name}_${name}`, weight.data, paramShape);
    y = ctx.op(opType, [y.name, constant], {}, x.shape);
  }
  return y;
};

/** The layer-normalisation lowerer by Keras class name (TensorFlow.js runs the layer with its own `call`). */
export const LAYER_NORMALIZATION_LOWERERS: readonly (readonly [string, LayerLowerer])[] = [
  ['LayerNormalization', plainLayer(layerNormalization)],
];
