/**
 * Small Keras 2 models for the tests of the Keras layers TensorFlow.js lacks: a functional config chaining layers after
 * one input, and the `.h5` weights of a reference case (scripts/reference/keras_1d_layers*_reference.py) by layer.
 */
import type { WeightToWrite } from './write-keras-h5.js';

type Json = Record<string, any>;
type Ref = [string, number, number, Json];
const ref = (name: string): Ref => [name, 0, 0, {}];

/** Keras's initializer entries of a layer with a kernel and a bias (unused on load; Keras writes them). */
export const INITIALIZERS = {
  kernel_initializer: { class_name: 'GlorotUniform', config: { seed: null } },
  bias_initializer: { class_name: 'Zeros', config: {} },
};

/** A Keras 2 functional config chaining `layers` ([class, config]) after an input of `shape`. */
export function chainConfig(shape: number[], layers: [string, Json][]): Json {
  const entries: Json[] = [
    {
      class_name: 'InputLayer',
      name: 'x',
      config: { name: 'x', batch_input_shape: [null, ...shape] },
      inbound_nodes: [],
    },
  ];
  for (const [className, config] of layers) {
    const previous = entries[entries.length - 1].name as string;
    entries.push({
      class_name: className,
      name: config.name,
      config: { dtype: 'float32', trainable: true, ...config },
      inbound_nodes: [[ref(previous)]],
    });
  }
  const last = entries[entries.length - 1].name as string;
  return {
    class_name: 'Functional',
    config: { name: 'chain', layers: entries, input_layers: [['x', 0, 0]], output_layers: [[last, 0, 0]] },
  };
}

/** A reference case's weights: Keras names (`layer/weight`), shapes and values. */
export interface ReferenceWeights {
  weights: { name: string; shape: number[]; values: number[] }[];
}

/** Keras 2 `.h5` weights by layer (`normalization/count:0` as int64, as Keras writes it). */
export function h5Weights(c: ReferenceWeights): [string, WeightToWrite[]][] {
  const out = new Map<string, WeightToWrite[]>();
  for (const w of c.weights) {
    const layer = w.name.split('/')[0];
    const weight = {
      name: `${w.name}:0`,
      shape: w.shape,
      values: Float32Array.from(w.values),
      int64: w.name.endsWith('/count'),
    };
    out.set(layer, [...(out.get(layer) ?? []), weight]);
  }
  return [...out];
}
