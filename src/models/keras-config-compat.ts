/**
 * Rewrites of single Keras config entries that TensorFlow.js cannot read as written by Keras 2.3 to 3.x:
 * Keras 3 `InputLayer` `batch_shape`, Functional `inbound_nodes` in `args`/`kwargs` form with `__keras_tensor__`
 * entries, un-nested `input_layers`/`output_layers`, dtype policy objects, GRU `reset_after`, `Flatten` of a 2-D
 * input, and the training-only objects inference never uses (initializers, regularizers, constraints), whose class
 * names TensorFlow.js often does not know (`L1`, `OrthogonalInitializer`, `LecunUniform`, ...).
 */

type Json = Record<string, unknown>;

function isObject(value: unknown): value is Json {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

/** Dtypes TensorFlow.js layers accept; anything else (a mixed-precision policy) runs in float32. */
const TFJS_DTYPES = new Set(['float32', 'int32', 'bool']);

/** Activations the explainable executor runs (Keras names; `silu` is renamed `swish`). */
const ACTIVATIONS = new Set([
  'linear',
  'relu',
  'softmax',
  'sigmoid',
  'tanh',
  'elu',
  'selu',
  'softplus',
  'relu6',
  'swish',
  'silu',
  'gelu',
]);
/** Activations inside recurrent cells. */
const CELL_ACTIVATIONS = new Set(['linear', 'relu', 'sigmoid', 'tanh', 'hard_sigmoid']);

/**
 * Why a layer config cannot be run faithfully (an activation the executor lacks, a grouped convolution), as the end of
 * a sentence, or null.
 */
export function unsupportedSetting(config: Json, kerasVersion: string | null = null): string | null {
  // Keras 3 redefined hard_sigmoid as relu6(x + 3) / 6; TensorFlow.js (and Keras 2) clip 0.2·x + 0.5.
  if (
    kerasVersion !== null &&
    /^3\./.test(kerasVersion) &&
    [config.activation, config.recurrent_activation].includes('hard_sigmoid')
  ) {
    return "uses Keras 3's hard_sigmoid (relu6(x + 3) / 6), which differs from the Keras 2 form TensorFlow.js computes";
  }
  const activation = config.activation;
  const allowed = 'recurrent_activation' in config ? CELL_ACTIVATIONS : ACTIVATIONS;
  if (typeof activation === 'string' && !allowed.has(activation)) {
    return `uses activation '${activation}', which wingbeats-xai cannot run (supported: ${[...allowed].join(', ')})`;
  }
  if (isObject(activation)) return 'uses a custom activation object, which wingbeats-xai cannot run';
  const recurrent = config.recurrent_activation;
  if (typeof recurrent === 'string' && !CELL_ACTIVATIONS.has(recurrent)) {
    return `uses recurrent activation '${recurrent}', which wingbeats-xai cannot run (supported: ${[...CELL_ACTIVATIONS].join(', ')})`;
  }
  if (typeof config.groups === 'number' && config.groups > 1)
    return `is a grouped convolution (groups=${config.groups}), which TensorFlow.js cannot run`;
  return null;
}

/** A single-element list (`axis: [2]`, as Keras 2.3 writes batch-norm axes) becomes its element. */
function unwrapSingleton(value: unknown): unknown {
  return Array.isArray(value) && value.length === 1 && typeof value[0] === 'number' ? value[0] : value;
}

/**
 * The layer config made readable: dtype policy → name, Keras 3 input `batch_shape` → `batch_input_shape`, initializers
 * → zeros (every weight is overwritten from the file), regularizers and constraints dropped (training only).
 */
export function normaliseLayerConfig(config: Json): void {
  if ('axis' in config) config.axis = unwrapSingleton(config.axis);
  if (config.activation === 'silu') config.activation = 'swish';
  let dtype = config.dtype;
  if (isObject(dtype) && isObject(dtype.config)) dtype = dtype.config.name;
  if (dtype !== undefined) config.dtype = typeof dtype === 'string' && TFJS_DTYPES.has(dtype) ? dtype : 'float32';
  if (Array.isArray(config.batch_shape) && config.batch_input_shape === undefined) {
    config.batch_input_shape = config.batch_shape;
    delete config.batch_shape;
  }
  for (const key of Object.keys(config)) {
    if (key.endsWith('_initializer') && isObject(config[key])) config[key] = { class_name: 'Zeros', config: {} };
    else if (key.endsWith('_regularizer') || key.endsWith('_constraint')) config[key] = null;
  }
}

/**
 * The class TensorFlow.js should build for a Keras layer entry: `GRU` with `reset_after` becomes the registered
 * `GRUResetAfter`; Keras 2's `CuDNNLSTM`/`CuDNNGRU` become `LSTM`/`GRUResetAfter`; a causal `Conv1D` becomes the
 * registered `CausalConv1D`. Changes `entry` in place.
 */
export function normaliseLayerClass(entry: Json): void {
  const config = entry.config;
  if (!isObject(config)) return;
  if (entry.class_name === 'CuDNNLSTM' || entry.class_name === 'CuDNNGRU') {
    // Keras 2's GPU-only layers: fixed tanh/sigmoid, biases converted by cudnn-weights.ts.
    entry.class_name = entry.class_name === 'CuDNNLSTM' ? 'LSTM' : 'GRUResetAfter';
    Object.assign(config, { activation: 'tanh', recurrent_activation: 'sigmoid', use_bias: true });
  } else if (entry.class_name === 'GRU' && config.reset_after === true) {
    entry.class_name = 'GRUResetAfter';
    delete config.reset_after;
  } else if (entry.class_name === 'Conv1D' && config.padding === 'causal') {
    entry.class_name = 'CausalConv1D';
  } else if (entry.class_name === 'LeakyReLU' && typeof config.negative_slope === 'number') {
    // Keras 3 calls LeakyReLU's alpha negative_slope.
    config.alpha = config.negative_slope;
    delete config.negative_slope;
  } else if (entry.class_name === 'ELU' && (config.alpha ?? 1) !== 1) {
    entry.class_name = 'KerasELU';
  } else if (entry.class_name === 'ReLU' && ((config.negative_slope ?? 0) !== 0 || (config.threshold ?? 0) !== 0)) {
    entry.class_name = 'KerasReLU';
  }
}

const RECURRENT = new Set(['LSTM', 'GRU', 'SimpleRNN', 'CuDNNLSTM', 'CuDNNGRU', 'GRUResetAfter']);
const GLOBAL_POOLING = /^Global(Average|Max)Pooling[123]D$/;

/** Whether a layer entry outputs `[batch, features]` (a recurrent layer's last output, a global pooling). */
function outputs2D(entry: Json | undefined): boolean {
  if (entry === undefined || !isObject(entry.config)) return false;
  const config = entry.config;
  const className = String(entry.class_name);
  if (RECURRENT.has(className)) return config.return_sequences !== true;
  if (className === 'Bidirectional' && isObject(config.layer) && isObject(config.layer.config))
    return config.layer.config.return_sequences !== true;
  return GLOBAL_POOLING.test(className) && config.keepdims !== true;
}

/**
 * A `Flatten` whose input is 2-D (a recurrent layer's last output) becomes the registered `KerasFlatten`: Keras passes
 * such an input through, TensorFlow.js's Flatten refuses it. `predecessor` is the entry feeding it. Other Flatten layers
 * stay as they are. Changes `entry` in place.
 */
export function normaliseFlatten(entry: Json, predecessor: Json | undefined): void {
  if (entry.class_name !== 'Flatten' || !isObject(entry.config) || !outputs2D(predecessor)) return;
  entry.class_name = 'KerasFlatten';
  delete entry.config.data_format;
}

/** `['x', 0, 0]` (Keras 3, one tensor) → `[['x', 0, 0]]`; nested lists stay. */
export function nestedTensorList(value: unknown): unknown {
  // Keras 3 writes the outputs of a model built with a dict of outputs as that dict; it orders them by key.
  if (isObject(value)) {
    return Object.keys(value)
      .sort()
      .flatMap((key) => nestedTensorList(value[key]) as unknown[]);
  }
  return Array.isArray(value) && typeof value[0] === 'string' ? [value] : value;
}

/**
 * Every `__keras_tensor__` in a Keras 3 call argument, depth first, as `[layer, node, tensor, {}]`. A nested model's
 * node index moves up by one: TensorFlow.js (like Keras 2) counts the model's own internal node as its node 0.
 */
function kerasTensors(value: unknown, nestedModels: ReadonlySet<string>, out: unknown[][]): unknown[][] {
  if (Array.isArray(value)) {
    for (const item of value) kerasTensors(item, nestedModels, out);
  } else if (isObject(value)) {
    if (
      value.class_name === '__keras_tensor__' &&
      isObject(value.config) &&
      Array.isArray(value.config.keras_history)
    ) {
      const [layer, node, tensor] = value.config.keras_history as unknown[];
      out.push([layer, nestedModels.has(String(layer)) && typeof node === 'number' ? node + 1 : node, tensor, {}]);
    }
  }
  return out;
}

/**
 * Keras 3 `inbound_nodes` (`[{args: [...], kwargs: {...}}]`) → the Keras 2 form TensorFlow.js reads
 * (`[[[layer, node, tensor, {}], ...]]`). `nestedModels` names the layers of the same container that are models.
 * Tensors passed as keyword arguments (a mask) are ignored; Keras 2 nodes stay as they are.
 */
export function normaliseInboundNodes(nodes: unknown, nestedModels: ReadonlySet<string> = new Set()): unknown {
  if (!Array.isArray(nodes)) return nodes;
  return nodes.map((node) => (isObject(node) && 'args' in node ? kerasTensors(node.args, nestedModels, []) : node));
}

/**
 * A nested Sequential's leading `InputLayer` folded into its first layer's `batch_input_shape` (the Keras 2.2 form):
 * TensorFlow.js cannot connect a nested Sequential that starts with its own InputLayer. Changes `config` in place.
 */
export function foldNestedSequentialInput(config: Json): void {
  const layers = config.layers;
  if (!Array.isArray(layers) || layers.length < 2) return;
  const [input, next] = layers as unknown[];
  if (
    !isObject(input) ||
    input.class_name !== 'InputLayer' ||
    !isObject(input.config) ||
    !isObject(next) ||
    !isObject(next.config)
  )
    return;
  const shape = input.config.batch_input_shape ?? input.config.batch_shape;
  if (next.config.batch_input_shape === undefined && Array.isArray(shape)) next.config.batch_input_shape = shape;
  config.layers = layers.slice(1);
}
