/**
 * Puts the weights read from a Keras HDF5 file into a TensorFlow.js model, matched by name (never by position:
 * Keras stores them trainable-first), with every shape checked and every stored weight used exactly once.
 */
import * as tf from '@tensorflow/tfjs';
import { WingbeatsError } from '../util/errors.js';
import { StoredWeight } from './hdf5.js';

/** `'a/b/kernel:0'` → `'a/b/kernel'`. */
function baseName(name: string): string {
  return name.replace(/:\d+$/, '');
}

function shapeText(shape: readonly (number | null)[]): string {
  return `[${shape.join(',')}]`;
}

/** The same path with the second-to-last segment (an auto-numbered sublayer name such as `dense_1`) left open. */
function looseKey(path: string): string {
  const parts = path.split('/');
  if (parts.length >= 3) parts[parts.length - 2] = '*';
  return parts.join('/');
}

function findStored(layerName: string, variable: tf.LayerVariable, stored: StoredWeight[], used: Set<StoredWeight>): StoredWeight | undefined {
  const path = baseName(variable.originalName ?? variable.name);
  const candidates = [path, path.startsWith(`${layerName}/`) ? path : `${layerName}/${path}`];
  for (const key of candidates) {
    const hit = stored.find((s) => !used.has(s) && baseName(s.name) === key);
    if (hit !== undefined) return hit;
  }
  // Keras numbers unnamed sublayers globally (batch_normalization_1, dense_1): accept any sublayer name when unique.
  for (const key of candidates) {
    const loose = looseKey(key);
    if (loose === key) continue;
    const hits = stored.filter((s) => !used.has(s) && looseKey(baseName(s.name)) === loose);
    if (hits.length === 1) return hits[0];
  }
  return undefined;
}

/**
 * Writes `weights` (per top-level layer name, as read by `readKerasH5`) into `model`. Throws `WEIGHTS_MISMATCH`
 * naming layer, weight, expected and stored shape when a weight is missing, does not fit, or is left over.
 * Tensors: none left behind (the new values are copied into the model's variables).
 */
export function assignStoredWeights(model: tf.LayersModel, weights: Map<string, StoredWeight[]>, fileName = 'the file'): void {
  const pairs: { variable: tf.LayerVariable; stored: StoredWeight }[] = [];
  const used = new Set<StoredWeight>();
  for (const layer of model.layers) {
    const variables = layer.weights;
    if (variables.length === 0) continue;
    const stored = weights.get(layer.name);
    if (stored === undefined) {
      throw new WingbeatsError('WEIGHTS_MISMATCH', `Layer '${layer.name}' (${layer.getClassName()}) has ${variables.length} weights but ${fileName} holds none for it.`);
    }
    for (const variable of variables) {
      const hit = findStored(layer.name, variable, stored, used);
      const weightName = baseName(variable.originalName ?? variable.name);
      if (hit === undefined) {
        throw new WingbeatsError(
          'WEIGHTS_MISMATCH',
          `Weight '${weightName}' of layer '${layer.name}' (expected shape ${shapeText(variable.shape)}) is missing from ${fileName}; ` +
            `it holds ${stored.map((s) => `'${s.name}'`).join(', ') || 'nothing'} for that layer.`,
        );
      }
      if (hit.shape.length !== variable.shape.length || hit.shape.some((d, i) => d !== variable.shape[i])) {
        throw new WingbeatsError(
          'WEIGHTS_MISMATCH',
          `Weight '${weightName}' of layer '${layer.name}' does not fit: the model expects shape ${shapeText(variable.shape)} ` +
            `but ${fileName} holds '${hit.name}' with shape ${shapeText(hit.shape)}.`,
        );
      }
      used.add(hit);
      pairs.push({ variable, stored: hit });
    }
  }
  for (const [layerName, stored] of weights) {
    const unused = stored.filter((s) => !used.has(s));
    if (unused.length > 0) {
      throw new WingbeatsError(
        'WEIGHTS_MISMATCH',
        `${fileName} holds weights the model does not use: ${unused.map((s) => `'${s.name}' ${shapeText(s.shape)}`).join(', ')} (layer '${layerName}').`,
      );
    }
  }
  tf.tidy(() => {
    for (const { variable, stored } of pairs) variable.write(tf.tensor(stored.values, stored.shape, 'float32'));
  });
}
