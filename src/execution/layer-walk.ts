/** Walks the layers a model executes, into nested models and composite layers (those exposing `sublayers()`). */
import * as tf from '@tensorflow/tfjs';

/** The sublayers of a nested model or composite layer, or null for a leaf layer. */
function childLayers(layer: tf.layers.Layer): tf.layers.Layer[] | null {
  if (layer instanceof tf.LayersModel) return layer.layers as tf.layers.Layer[];
  const composite = layer as unknown as { sublayers?: () => tf.layers.Layer[] };
  return typeof composite.sublayers === 'function' ? composite.sublayers() : null;
}

/** Every leaf layer of `model`, depth-first in the order the model lists them (execution order for chains). */
export function leafLayers(model: tf.LayersModel): tf.layers.Layer[] {
  const out: tf.layers.Layer[] = [];
  const visit = (layers: readonly tf.layers.Layer[]): void => {
    for (const layer of layers) {
      const children = childLayers(layer);
      if (children === null) out.push(layer);
      else visit(children);
    }
  };
  visit(model.layers as tf.layers.Layer[]);
  return out;
}
