/**
 * Keras's `Resizing` and `CenterCrop` (the loader's TensorFlow.js layers, src/models/keras-resizing.ts and
 * keras-center-crop.ts) lowered to ONNX as their `call`s compute them: a resize as one constant interpolation-matrix
 * `MatMul` per spatial axis (the axis swapped last by a `Transpose` and back), a crop as a `Slice`. The ops are
 * rule-exempt (plain gradients), as on the TensorFlow.js path, where no propagation rule reaches the layers' ops.
 */
import type { AxisMap, Resizing } from '../../models/keras-resizing.js';
import type { CenterCrop } from '../../models/keras-center-crop.js';
import { type LayerLowerer, type LoweringContext, type Value, onlyInput } from '../lowering-context.js';
import { plainLayer } from './plain-layer.js';

/** `x` (`[H, W, C]` without the batch axis) multiplied along spatial axis `axis` (1 or 2, batch counted) by `map`. */
function alongAxis(x: Value, axis: 1 | 2, map: AxisMap, hint: string, ctx: LoweringContext): Value {
  const perm = axis === 1 ? [0, 3, 2, 1] : [0, 1, 3, 2];
  const swap = (shape: number[]): number[] => perm.slice(1).map((p) => shape[p - 1]);
  const moved = ctx.op('Transpose', [x.name], { perm }, swap(x.shape));
  const weights = ctx.graph.floats(hint, map.weights, [map.inLength, map.outLength]);
  const resized = ctx.op('MatMul', [moved.name, weights], {}, [...moved.shape.slice(0, 2), map.outLength]);
  const shape = [...x.shape];
  shape[axis - 1] = map.outLength;
  return ctx.op('Transpose', [resized.name], { perm }, shape);
}

/** `x` resized by the row and column maps. */
function resized(x: Value, [rows, columns]: [AxisMap, AxisMap], name: string, ctx: LoweringContext): Value {
  return alongAxis(alongAxis(x, 1, rows, `${name}_rows`, ctx), 2, columns, `${name}_columns`, ctx);
}

const resizing: LayerLowerer = (layer, inputs, ctx) =>
  resized(onlyInput(layer, inputs), (layer as Resizing).axisMaps(), layer.name, ctx);

const centerCrop: LayerLowerer = (layer, inputs, ctx) => {
  const x = onlyInput(layer, inputs);
  const crop = layer as CenterCrop;
  const plan = crop.cropPlan();
  if ('resize' in plan) return resized(x, plan.resize, layer.name, ctx);
  const [top, left] = plan.crop;
  const [starts, ends, axes] = [
    [top, left],
    [top + crop.height, left + crop.width],
    [1, 2],
  ].map((v) => ctx.graph.int64s(v));
  return ctx.op('Slice', [x.name, starts, ends, axes], {}, [crop.height, crop.width, x.shape[2]]);
};

/** The Resizing and CenterCrop lowerers by Keras class name. */
export const KERAS_RESIZING_LOWERERS: readonly (readonly [string, LayerLowerer])[] = [
  ['Resizing', plainLayer(resizing)],
  ['CenterCrop', plainLayer(centerCrop)],
];
