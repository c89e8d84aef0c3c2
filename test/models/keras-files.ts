/**
 * Test helper: Keras model files of our own from a layer list (class, config, weights): Keras 2 `.h5`, Keras 3 `.h5`
 * and Keras 3 `.keras`, with the configs each Keras version writes (Keras 3: `module`/`registered_name`, dtype policy
 * objects, InputLayer `batch_shape`, initializers TensorFlow.js does not know, regularizers and constraints).
 */
import { WeightToWrite, writeKerasH5 } from './write-keras-h5.js';
import { VariableToWrite, writeKerasArchive } from './write-keras-archive.js';

type Json = Record<string, any>;

/** One weight of a layer: its Keras name, shape, values and where a `.keras` file stores it. */
export interface LayerWeight {
  name: string;
  shape: number[];
  values: number[];
  kerasPath: string;
}

/** One layer of a Sequential test model. */
export interface LayerSpec {
  class_name: string;
  config: Json;
  weights: LayerWeight[];
}

const POLICY = { module: 'keras', class_name: 'DTypePolicy', config: { name: 'float32' }, registered_name: null };
const keras3Object = (module: string, className: string, config: Json): Json => ({
  module,
  class_name: className,
  config,
  registered_name: null,
});

/** A layer config as Keras 3 writes it, with the training-only objects TensorFlow.js does not know. */
function keras3LayerConfig(config: Json): Json {
  const out: Json = { ...config, trainable: true, dtype: POLICY };
  if ('units' in config || 'filters' in config) {
    out.kernel_initializer = keras3Object('keras.initializers', 'LecunUniform', { seed: null });
    out.bias_initializer = keras3Object('keras.initializers', 'Zeros', {});
    out.kernel_regularizer = keras3Object('keras.regularizers', 'L2', { l2: 0.01 });
    out.bias_regularizer = keras3Object('keras.regularizers', 'L1', { l1: 0.001 });
    out.activity_regularizer = keras3Object('keras.regularizers', 'L1L2', { l1: 0, l2: 0.001 });
    out.kernel_constraint = keras3Object('keras.constraints', 'MaxNorm', { max_value: 2, axis: 0 });
  }
  if ('recurrent_activation' in config)
    out.recurrent_initializer = keras3Object('keras.initializers', 'OrthogonalInitializer', { gain: 1, seed: null });
  if (config.layer !== undefined) {
    // Keras 3 writes the backward copy of a Bidirectional's layer as well.
    out.layer = keras3Layer(config.layer.class_name, config.layer.config);
    out.backward_layer = keras3Layer(config.layer.class_name, {
      ...config.layer.config,
      name: `backward_${String(config.layer.config.name)}`,
      go_backwards: true,
    });
  }
  return out;
}

function keras3Layer(className: string, config: Json): Json {
  return keras3Object('keras.layers', className, keras3LayerConfig(config));
}

/** A Keras 3 Sequential config (as in config.json or a Keras 3 `.h5`'s model_config). */
export function keras3Sequential(layers: LayerSpec[], inputShape: number[]): Json {
  return {
    module: 'keras',
    class_name: 'Sequential',
    config: {
      name: 'sequential',
      trainable: true,
      dtype: POLICY,
      layers: [
        keras3Object('keras.layers', 'InputLayer', {
          batch_shape: [null, ...inputShape],
          dtype: 'float32',
          sparse: false,
          name: 'input_layer',
        }),
        ...layers.map((l) => ({ ...keras3Layer(l.class_name, l.config), build_config: { input_shape: null } })),
      ],
      build: true,
    },
    registered_name: null,
    build_config: { input_shape: [null, ...inputShape] },
    compile_config: null,
  };
}

/** A Keras 2 Sequential config (tf.keras 2.x `model_config`). */
export function keras2Sequential(layers: LayerSpec[], inputShape: number[]): Json {
  return {
    class_name: 'Sequential',
    config: {
      name: 'sequential',
      layers: [
        {
          class_name: 'InputLayer',
          config: { batch_input_shape: [null, ...inputShape], dtype: 'float32', name: 'input_1' },
        },
        ...layers.map((l) => ({
          class_name: l.class_name,
          config: { ...l.config, dtype: 'float32', trainable: true },
        })),
      ],
    },
  };
}

function cellScope(layer: LayerSpec): string {
  const inner = layer.class_name === 'Bidirectional' ? layer.config.layer.class_name : layer.class_name;
  return `${String(inner).toLowerCase()}_cell`;
}

/**
 * Weight names in a `.h5` file: Keras 2 (`lstm/lstm_cell/kernel:0`, `bidirectional/forward_lstm/lstm_cell/kernel:0`),
 * or Keras 3 (bare `kernel`, or a path without `:0` for a wrapper whose weights would otherwise share names).
 */
function h5WeightName(layer: LayerSpec, weight: LayerWeight, style: 'keras2' | 'keras3'): string {
  const name = String(layer.config.name);
  const direction = /^(forward|backward)_/.exec(weight.name)?.[1];
  const bare = direction === undefined ? weight.name : weight.name.slice(direction.length + 1);
  if (style === 'keras3' && direction === undefined) return bare;
  const recurrent = ['LSTM', 'GRU', 'SimpleRNN', 'Bidirectional'].includes(layer.class_name);
  const scopes = [name];
  if (direction !== undefined) scopes.push(`${direction}_${String(layer.config.layer.config.name)}`);
  if (recurrent) scopes.push(cellScope(layer));
  return `${scopes.join('/')}/${bare}${style === 'keras2' ? ':0' : ''}`;
}

function h5Layers(layers: LayerSpec[], style: 'keras2' | 'keras3'): [string, WeightToWrite[]][] {
  return layers.map((layer) => [
    String(layer.config.name),
    layer.weights.map((w) => ({
      name: h5WeightName(layer, w, style),
      shape: w.shape,
      values: Float32Array.from(w.values),
    })),
  ]);
}

/** Writes a Keras 2 `.h5` full model. */
export async function writeKeras2H5(path: string, layers: LayerSpec[], inputShape: number[]): Promise<void> {
  await writeKerasH5(path, h5Layers(layers, 'keras2'), keras2Sequential(layers, inputShape));
}

/** Writes a Keras 3 `.h5` full model (legacy format as Keras 3 writes it: Keras 3 config, bare weight names). */
export async function writeKeras3H5(path: string, layers: LayerSpec[], inputShape: number[]): Promise<void> {
  await writeKerasH5(path, h5Layers(layers, 'keras3'), keras3Sequential(layers, inputShape));
}

/** The variables of a `.keras` file for these layers. */
export function archiveVariables(layers: LayerSpec[]): VariableToWrite[] {
  return layers.flatMap((layer) =>
    layer.weights.map((w) => ({ path: w.kerasPath, shape: w.shape, values: Float32Array.from(w.values) })),
  );
}

/** Writes a Keras 3 `.keras` file. */
export async function writeKeras3Archive(path: string, layers: LayerSpec[], inputShape: number[]): Promise<void> {
  await writeKerasArchive(path, keras3Sequential(layers, inputShape), archiveVariables(layers));
}
