/**
 * Where Keras 3's saving library puts each layer's variables in `model.weights.h5`, derived from the model config:
 * a container's layers sit under `layers/<snake_case class name>` numbered per container in order (`conv1d`,
 * `conv1d_1`, ...; never the layer's own name), a recurrent layer's under `cell`, a Bidirectional's under
 * `forward_layer`/`backward_layer`, another wrapper's under `layer`, a nested model's under its own `layers/...`.
 * Each group holds `vars/<i>` in the order the layer created them (trainable first), named here after Keras's
 * variable names (`kernel`, `recurrent_kernel`, `moving_mean`, ...) so the `.h5` weight matcher places them.
 */
import { WingbeatsError } from '../util/errors.js';
import { StoredWeight } from './hdf5.js';

type Json = Record<string, any>;

function isObject(value: unknown): value is Json {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

/** Keras's `naming.to_snake_case` of a class name (`BatchNormalization` → `batch_normalization`, `Conv1D` → `conv1d`). */
export function kerasSnakeCase(className: string): string {
  return className
    .replace(/\W+/g, '')
    .replace(/(.)([A-Z][a-z]+)/g, '$1_$2')
    .replace(/([a-z])([A-Z])/g, '$1_$2')
    .toLowerCase();
}

const withBias = (c: Json, names: string[]): string[] => (c.use_bias === false ? names : [...names, 'bias']);
const KERNEL_BIAS = (c: Json): string[] => withBias(c, ['kernel']);
const RECURRENT_CELL = (c: Json): string[] => withBias(c, ['kernel', 'recurrent_kernel']);

/** Keras's variable names per layer class, in creation order. */
const VARIABLE_NAMES: Record<string, (c: Json) => string[]> = {
  Dense: KERNEL_BIAS,
  Conv1D: KERNEL_BIAS,
  Conv2D: KERNEL_BIAS,
  Conv3D: KERNEL_BIAS,
  Conv1DTranspose: KERNEL_BIAS,
  Conv2DTranspose: KERNEL_BIAS,
  Conv3DTranspose: KERNEL_BIAS,
  DepthwiseConv1D: (c) => withBias(c, ['depthwise_kernel']),
  DepthwiseConv2D: (c) => withBias(c, ['depthwise_kernel']),
  SeparableConv1D: (c) => withBias(c, ['depthwise_kernel', 'pointwise_kernel']),
  SeparableConv2D: (c) => withBias(c, ['depthwise_kernel', 'pointwise_kernel']),
  BatchNormalization: (c) => [
    ...(c.scale === false ? [] : ['gamma']),
    ...(c.center === false ? [] : ['beta']),
    'moving_mean',
    'moving_variance',
  ],
  LayerNormalization: (c) => [...(c.scale === false ? [] : ['gamma']), ...(c.center === false ? [] : ['beta'])],
  Embedding: () => ['embeddings'],
  Attention: (c) => [
    ...(c.use_scale === true ? ['scale'] : []),
    ...(c.score_mode === 'concat' ? ['concat_score_weight'] : []),
  ],
  AdditiveAttention: (c) => (c.use_scale === false ? [] : ['scale']),
  PReLU: () => ['alpha'],
  Normalization: (c) => (c.mean == null ? ['mean', 'variance', 'count'] : []),
};

const RECURRENT_CLASSES = new Set(['LSTM', 'GRU', 'SimpleRNN']);

/**
 * MultiHeadAttention's EinsumDense sublayers: where Keras 2.15 and 3 store them (the attribute names `_query_dense`,
 * ...) and the scope Keras gives their weights (`query/kernel`, ...).
 */
const ATTENTION_PROJECTIONS: readonly [string, string][] = [
  ['_query_dense', 'query'],
  ['_key_dense', 'key'],
  ['_value_dense', 'value'],
  ['_output_dense', 'attention_output'],
];

/** Walks the config and the stored variable groups together. */
class VariableCollector {
  private readonly consumed = new Set<string>();

  constructor(
    private readonly variables: Map<string, StoredWeight[]>,
    private readonly source: string,
  ) {}

  /** The layers of a container with their variable paths (`<prefix>/layers/<snake>[_n]`). */
  containerLayers(config: Json, prefix: string, layersKey: string): { entry: Json; path: string }[] {
    const used = new Map<string, number>();
    const out: { entry: Json; path: string }[] = [];
    for (const entry of Array.isArray(config.layers) ? config.layers : []) {
      if (!isObject(entry)) continue;
      const base = kerasSnakeCase(String(entry.class_name));
      const count = used.get(base);
      used.set(base, count === undefined ? 0 : count + 1);
      const name = count === undefined ? base : `${base}_${count + 1}`;
      out.push({ entry, path: prefix === '' ? `${layersKey}/${name}` : `${prefix}/${layersKey}/${name}` });
    }
    return out;
  }

  /** The weights of one layer entry stored at `path`, named `<namePrefix><variable name>`. */
  collect(entry: Json, path: string, namePrefix: string, layersKey: string): StoredWeight[] {
    const className = String(entry.class_name);
    const config: Json = isObject(entry.config) ? entry.config : {};
    const out: StoredWeight[] = [];
    if (Array.isArray(config.layers)) {
      for (const child of this.containerLayers(config, path, layersKey)) {
        out.push(
          ...this.collect(
            child.entry,
            child.path,
            `${namePrefix}${String(child.entry.config?.name ?? '')}/`,
            layersKey,
          ),
        );
      }
    }
    const own = this.take(path);
    if (own.length > 0) {
      const names = VARIABLE_NAMES[className]?.(config);
      if (names !== undefined && names.length !== own.length) {
        throw new WingbeatsError(
          'WEIGHTS_MISMATCH',
          `Layer '${String(config.name)}' (${className}) in ${this.source} stores ${own.length} variables at '${path}' but a ${className} with this config has ${names.length}.`,
        );
      }
      // Unknown classes (custom layers) keep their positions: '#0', '#1', ... in creation order.
      own.forEach((w, i) => out.push({ ...w, name: `${namePrefix}${names?.[i] ?? `#${i}`}` }));
    }
    if (className === 'MultiHeadAttention') {
      for (const [attribute, scope] of ATTENTION_PROJECTIONS) {
        const stored = this.take(`${path}/${attribute}`);
        const names = withBias(config, ['kernel']);
        if (stored.length > 0 && stored.length !== names.length) {
          throw new WingbeatsError(
            'WEIGHTS_MISMATCH',
            `Layer '${String(config.name)}' (${className}) in ${this.source} stores ${stored.length} variables at '${path}/${attribute}' but its ${scope} projection has ${names.length}.`,
          );
        }
        stored.forEach((w, i) => out.push({ ...w, name: `${namePrefix}${scope}/${names[i]}` }));
      }
    }
    if (RECURRENT_CLASSES.has(className)) {
      this.take(`${path}/cell`).forEach((w, i) =>
        out.push({ ...w, name: `${namePrefix}cell/${RECURRENT_CELL(config)[i] ?? `#${i}`}` }),
      );
    }
    if (isObject(config.layer)) {
      const inner = config.layer;
      const parts = className === 'Bidirectional' ? ['forward_layer', 'backward_layer'] : ['layer'];
      for (const part of parts) out.push(...this.collect(inner, `${path}/${part}`, `${namePrefix}${part}/`, layersKey));
    }
    return out;
  }

  private take(path: string): StoredWeight[] {
    const list = this.variables.get(path);
    if (list === undefined) return [];
    this.consumed.add(path);
    return list;
  }

  /** Variable groups of the model (not the optimizer's or metrics') that no layer took. */
  leftovers(layersKey: string): string[] {
    return [...this.variables.entries()]
      .filter(([path, list]) => list.length > 0 && !this.consumed.has(path) && path.startsWith(`${layersKey}/`))
      .map(([path]) => path);
  }
}

/**
 * The weights of a `.keras` file per top-level layer name (as `readKerasH5` gives them for an `.h5` file), from the
 * model config and the variable groups read by `readKerasVarsH5`.
 * @throws WingbeatsError `WEIGHTS_MISMATCH` naming the layer when a group holds the wrong number of variables or a
 *   variable group belongs to no layer of the config.
 */
export function weightsFromVariablePaths(
  modelConfig: Json,
  variables: Map<string, StoredWeight[]>,
  source = 'the file',
): Map<string, StoredWeight[]> {
  // Keras 2.13 wrote the layer list as `_layer_checkpoint_dependencies`.
  const layersKey = [...variables.keys()].some((k) => k.startsWith('_layer_checkpoint_dependencies/'))
    ? '_layer_checkpoint_dependencies'
    : 'layers';
  const collector = new VariableCollector(variables, source);
  const rootConfig: Json = isObject(modelConfig.config) ? modelConfig.config : {};
  const weights = new Map<string, StoredWeight[]>();
  for (const { entry, path } of collector.containerLayers(rootConfig, '', layersKey)) {
    const name = String(entry.config?.name ?? path);
    weights.set(name, collector.collect(entry, path, `${name}/`, layersKey));
  }
  const left = collector.leftovers(layersKey);
  if (left.length > 0) {
    throw new WingbeatsError(
      'WEIGHTS_MISMATCH',
      `${source} stores variables that no layer of its config owns: ${left.map((p) => `'${p}'`).join(', ')}.`,
    );
  }
  return weights;
}
