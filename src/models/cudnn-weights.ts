/**
 * Keras 2's `CuDNNLSTM` and `CuDNNGRU` (GPU-only classes of Keras 2.0–2.3): the loader builds them as `LSTM`
 * (tanh, sigmoid) and `GRUResetAfter`, and turns their stored biases into those layers' layout: cuDNN keeps the input
 * and the recurrent bias apart in one vector — `[8·units]` for the LSTM, whose two halves add up to the LSTM bias, and
 * `[6·units]` for the GRU, which is the `[2, 3·units]` bias of GRU `reset_after` read row by row.
 */
import type { StoredWeight } from './hdf5.js';

type Json = Record<string, any>;

const CUDNN_GATES: Record<string, number> = { CuDNNLSTM: 4, CuDNNGRU: 3 };

/** The cuDNN layers of a layer entry (itself, the layer it wraps, or those of a nested model). */
function cudnnLayers(entry: Json): { name: string; className: string; units: number }[] {
  const config: Json = entry?.config ?? {};
  const own =
    CUDNN_GATES[entry?.class_name] !== undefined
      ? [{ name: String(config.name), className: String(entry.class_name), units: Number(config.units) }]
      : [];
  const nested = Array.isArray(config.layers) ? config.layers.flatMap(cudnnLayers) : [];
  const wrapped = config.layer !== undefined ? cudnnLayers(config.layer) : [];
  return [...own, ...nested, ...wrapped];
}

function convertBias(weight: StoredWeight, className: string, units: number): StoredWeight {
  const gates = CUDNN_GATES[className];
  if (className === 'CuDNNGRU') return { ...weight, shape: [2, gates * units] };
  const half = gates * units;
  const values = new Float32Array(half);
  for (let i = 0; i < half; i++) values[i] = weight.values[i] + weight.values[half + i];
  return { ...weight, shape: [half], values };
}

/**
 * `weights` (per top-level layer, as read from a Keras `.h5`) with the biases of cuDNN layers in the layout of the
 * layers the loader builds for them; weights of other layers are passed through unchanged.
 */
export function convertCudnnWeights(
  modelConfig: Json,
  weights: Map<string, StoredWeight[]>,
): Map<string, StoredWeight[]> {
  const layers: Json[] = Array.isArray(modelConfig?.config?.layers) ? modelConfig.config.layers : [];
  const out = new Map(weights);
  for (const entry of layers) {
    const cudnn = cudnnLayers(entry);
    const name = String(entry?.config?.name ?? entry?.name);
    const stored = weights.get(name);
    if (cudnn.length === 0 || stored === undefined) continue;
    out.set(
      name,
      stored.map((weight) => {
        const base = weight.name.replace(/:\d+$/, '');
        if (!base.endsWith('bias') || weight.shape.length !== 1) return weight;
        // The cuDNN layer this bias belongs to: the only one, or the one named in the weight's path.
        const owner = cudnn.length === 1 ? cudnn[0] : cudnn.find((c) => base.includes(c.name));
        if (owner === undefined || weight.shape[0] !== 2 * CUDNN_GATES[owner.className] * owner.units) return weight;
        return convertBias(weight, owner.className, owner.units);
      }),
    );
  }
  return out;
}
