/**
 * Puts the weights read from a Keras HDF5 or `.keras` file into a TensorFlow.js model, matched by name (never by bare
 * position: Keras stores them trainable-first), with every shape checked and every stored weight used exactly once.
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

function lastPart(path: string): string {
  return path.slice(path.lastIndexOf('/') + 1);
}

function direction(path: string): 'forward' | 'backward' | null {
  if (/(^|\/)forward/.test(path)) return 'forward';
  if (/(^|\/)backward/.test(path)) return 'backward';
  return null;
}

/** How well a stored name's scopes agree with a variable's path: shared scope names, and the same RNN direction. */
function agreement(storedPath: string, variablePath: string): number {
  const scopes = new Set(variablePath.split('/').slice(0, -1));
  let score = storedPath
    .split('/')
    .slice(0, -1)
    .filter((part) => scopes.has(part)).length;
  const a = direction(storedPath);
  const b = direction(variablePath);
  if (a !== null && b !== null) score += a === b ? 10 : -10;
  return score;
}

/**
 * The stored weight for one variable, by name and never by bare position: the exact name; the same name with the
 * auto-numbered sublayer left open (when unique); then the same weight name (`kernel`, whatever the scopes: Keras 2
 * `lstm/lstm_cell/kernel`, Keras 3 bare `kernel`) of fitting shape whose scopes agree best, in stored order; finally,
 * for layers of unknown class in `.keras` files, the variable's creation index (`#i`).
 */
function findStored(
  layerName: string,
  variable: tf.LayerVariable,
  index: number,
  stored: StoredWeight[],
  used: Set<StoredWeight>,
): StoredWeight | undefined {
  const path = baseName(variable.originalName ?? variable.name);
  const candidates = [path, path.startsWith(`${layerName}/`) ? path : `${layerName}/${path}`];
  const free = stored.filter((s) => !used.has(s));
  for (const key of candidates) {
    const hit = free.find((s) => baseName(s.name) === key);
    if (hit !== undefined) return hit;
  }
  // Keras numbers unnamed sublayers globally (batch_normalization_1, dense_1): accept any sublayer name when unique.
  for (const key of candidates) {
    const loose = looseKey(key);
    if (loose === key) continue;
    const hits = free.filter((s) => looseKey(baseName(s.name)) === loose);
    if (hits.length === 1) return hits[0];
  }
  const sameName = free.filter((s) => lastPart(baseName(s.name)) === lastPart(path));
  if (sameName.length > 0) {
    const fitting = sameName.filter((s) => sameShape(s.shape, variable.shape));
    const pool = fitting.length > 0 ? fitting : sameName;
    let best = pool[0];
    for (const s of pool)
      if (agreement(baseName(s.name), candidates[1]) > agreement(baseName(best.name), candidates[1])) best = s;
    return best;
  }
  const keras3 = KERAS3_NAMES[lastPart(path)];
  if (keras3 !== undefined) {
    const renamed = free.filter((s) => lastPart(baseName(s.name)) === keras3 && sameShape(s.shape, variable.shape));
    if (renamed.length === 1) return renamed[0];
  }
  return free.find((s) => lastPart(s.name) === `#${index}`);
}

/** Keras 3's names for variables Keras 2 and TensorFlow.js name otherwise (DepthwiseConv1D/2D: `kernel`). */
const KERAS3_NAMES: Readonly<Record<string, string>> = { depthwise_kernel: 'kernel' };

function sameShape(a: readonly (number | null)[], b: readonly (number | null)[]): boolean {
  return a.length === b.length && a.every((d, i) => d === b[i]);
}

/**
 * Writes `weights` (per top-level layer name, as read by `readKerasH5`) into `model`. Throws `WEIGHTS_MISMATCH`
 * naming layer, weight, expected and stored shape when a weight is missing, does not fit, or is left over.
 * Tensors: none left behind (the new values are copied into the model's variables).
 */
export function assignStoredWeights(
  model: tf.LayersModel,
  weights: Map<string, StoredWeight[]>,
  fileName = 'the file',
): void {
  const pairs: { variable: tf.LayerVariable; stored: StoredWeight }[] = [];
  const used = new Set<StoredWeight>();
  for (const layer of model.layers) {
    const variables = layer.weights;
    if (variables.length === 0) continue;
    const stored = weights.get(layer.name);
    if (stored === undefined) {
      throw new WingbeatsError(
        'WEIGHTS_MISMATCH',
        `Layer '${layer.name}' (${layer.getClassName()}) has ${variables.length} weights but ${fileName} holds none for it.`,
      );
    }
    for (const [index, variable] of variables.entries()) {
      const hit = findStored(layer.name, variable, index, stored, used);
      const weightName = baseName(variable.originalName ?? variable.name);
      if (hit === undefined) {
        throw new WingbeatsError(
          'WEIGHTS_MISMATCH',
          `Weight '${weightName}' of layer '${layer.name}' (expected shape ${shapeText(variable.shape)}) is missing from ${fileName}; ` +
            `it holds ${stored.map((s) => `'${s.name}'`).join(', ') || 'nothing'} for that layer.`,
        );
      }
      if (!sameShape(hit.shape, variable.shape)) {
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
