/**
 * Keras model configs (the `model_config` of a full .h5, the `modelTopology` of a model.json) made acceptable to
 * TensorFlow.js, after refusing what must never run: a Keras `Lambda` layer carries Python bytecode, so a config
 * holding one is rejected (`UNSAFE_LAYER`), never executed; a layer class nobody registered is named with the fix
 * (`UNKNOWN_LAYER`).
 */
import * as tf from '@tensorflow/tfjs';
import { WingbeatsError } from '../util/errors.js';
import { normaliseTensorOpLayer, tensorOpProblem } from './tensor-op-layer.js';
import { ATTENTION_CLASSES, attentionCallProblem, normaliseAttentionCall } from './keras-attention-layers.js';
import { kerasPreprocessingOptions, preprocessingOptionProblem } from './keras-resizing.js';
import {
  foldNestedSequentialInput,
  nestedTensorList,
  normaliseFlatten,
  normaliseInboundNodes,
  unsupportedSetting,
  normaliseLayerClass,
  normaliseLayerConfig,
} from './keras-config-compat.js';

type Json = Record<string, unknown>;

const CONTAINER_CLASSES = new Set(['Sequential', 'Functional', 'Model']);
/** Classes TensorFlow.js does not know that the loader rebuilds as classes it does (see keras-config-compat.ts). */
const REBUILT_CLASSES = new Set(['CuDNNLSTM', 'CuDNNGRU']);
/** Stock Keras layers wingbeats-xai does not run yet (named as such, not as custom layers to register). */
const UNSUPPORTED_KERAS_LAYERS = new Set([
  'GroupQueryAttention',
  'EinsumDense',
  'UnitNormalization',
  'GroupNormalization',
]);
/** Keras 2's layers for plain TensorFlow function calls (run by `TensorOpLayer` when the function is a plain op). */
const TENSOR_OP_CLASSES = new Set(['TFOpLambda', 'SlicingOpLambda']);

function isObject(value: unknown): value is Json {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

function entryName(layer: Json): string {
  return isObject(layer.config) && typeof layer.config.name === 'string'
    ? layer.config.name
    : String(layer.name ?? '?');
}

/**
 * The layer entries (`{class_name, config}`) of a model config with their path: nested models and the layer inside a
 * wrapper (`Bidirectional`, `TimeDistributed`) included.
 */
export function* layerEntries(entry: Json, path: string[] = []): Generator<{ entry: Json; path: string[] }> {
  const config = entry.config;
  if (!isObject(config)) return;
  const children = Array.isArray(config.layers) ? config.layers : isObject(config.layer) ? [config.layer] : [];
  for (const layer of children) {
    if (!isObject(layer)) continue;
    const here = [...path, entryName(layer)];
    yield { entry: layer, path: here };
    yield* layerEntries(layer, here);
  }
}

function registeredClassNames(): Record<string, unknown> {
  const map = (
    tf.serialization as unknown as { SerializationMap: { getMap(): { classNameMap: Record<string, unknown> } } }
  ).SerializationMap;
  return map.getMap().classNameMap;
}

/**
 * Throws `UNSAFE_LAYER` for a Keras `Lambda` layer, `UNKNOWN_LAYER` for a layer class that TensorFlow.js does
 * not know (with how to register it), `UNSUPPORTED_MODEL` for a setting that would not run faithfully. `source` names
 * the file in messages; `kerasVersion` (when known) decides version-dependent meanings.
 */
export function checkKerasConfig(modelConfig: Json, source = 'the model', kerasVersion: string | null = null): void {
  if (typeof modelConfig.class_name !== 'string' || !isObject(modelConfig.config)) {
    throw new WingbeatsError(
      'INVALID_FILE',
      `The model config of ${source} has no 'class_name'/'config'; it is not a Keras model config.`,
    );
  }
  const known = registeredClassNames();
  for (const { entry, path } of layerEntries(modelConfig)) {
    const className = entry.class_name;
    const where = `layer '${path.join('/')}'`;
    if (TENSOR_OP_CLASSES.has(String(className))) {
      const problem = isObject(entry.config) ? tensorOpProblem(entry.config) : 'has no config';
      if (problem !== null)
        throw new WingbeatsError('UNSUPPORTED_MODEL', `${where} (${String(className)}) of ${source} ${problem}.`);
      continue;
    }
    if (ATTENTION_CLASSES.has(String(className))) {
      const problem = attentionCallProblem(entry);
      if (problem !== null)
        throw new WingbeatsError('UNSUPPORTED_MODEL', `${where} (${String(className)}) of ${source} ${problem}.`);
    }
    if ((className === 'Resizing' || className === 'CenterCrop') && isObject(entry.config)) {
      const problem = preprocessingOptionProblem(className, kerasPreprocessingOptions(entry.config));
      if (problem !== null)
        throw new WingbeatsError('UNSUPPORTED_MODEL', `${where} (${className}) of ${source} ${problem}.`);
    }
    if (className === 'Lambda') {
      throw new WingbeatsError(
        'UNSAFE_LAYER',
        `${source} contains a Keras ${className} layer (${where}). Lambda layers hold Python code, which wingbeats-xai never runs; ` +
          're-save the model with the Lambda replaced by a named custom layer and register that layer with tf.serialization.registerClass.',
      );
    }
    if (typeof className !== 'string') {
      throw new WingbeatsError('INVALID_FILE', `The config of ${where} in ${source} has no class name.`);
    }
    if (UNSUPPORTED_KERAS_LAYERS.has(className) && !(className in known)) {
      throw new WingbeatsError(
        'UNSUPPORTED_MODEL',
        `${where} of ${source} is a Keras ${className} layer, which wingbeats-xai does not run yet; explain a model without it, or export the model to ONNX once ONNX files are supported.`,
      );
    }
    // TensorFlow.js camel-cases class names while deserialising ('L2_Norm' is looked up as 'L2Norm').
    const camel = className.replace(/_+(\w|$)/g, (_m, c: string) => c.toUpperCase());
    if (
      !(className in known) &&
      !(camel in known) &&
      !CONTAINER_CLASSES.has(className) &&
      !REBUILT_CLASSES.has(className)
    ) {
      throw new WingbeatsError(
        'UNKNOWN_LAYER',
        `Layer class '${className}' is not registered: ${where} of ${source} uses it; call registerWingbeatsLayers() for the wingbeats layers, ` +
          `or tf.serialization.registerClass(YourLayer) with static className '${className}' for your own layer, before loading.`,
      );
    }
    const problem = isObject(entry.config) ? unsupportedSetting(entry.config, kerasVersion) : null;
    if (problem !== null)
      throw new WingbeatsError('UNSUPPORTED_MODEL', `${where} (${className}) of ${source} ${problem}.`);
  }
}

/**
 * A deep copy of a Keras (2.3 to 3.x) model config that `tf.models.modelFromJSON` accepts: a Sequential subclass
 * name (`Mosquito_CNN_PSD`) becomes `Sequential` (`Functional` when it lists input/output layers), single-element
 * list fields such as batch-norm `axis: [2]` become numbers, and the Keras 3 forms of `keras-config-compat.ts` are
 * rewritten. Returns the config and the original root class name.
 */
export function normaliseKerasConfig(modelConfig: Json): { config: Json; originalClassName: string } {
  const config = structuredClone(modelConfig);
  const originalClassName = String(config.class_name);
  const rewriteContainer = (entry: Json, nested: boolean): void => {
    const inner = entry.config;
    if (!isObject(inner) || !Array.isArray(inner.layers)) return;
    if (!CONTAINER_CLASSES.has(String(entry.class_name))) {
      entry.class_name = 'input_layers' in inner && 'output_layers' in inner ? 'Functional' : 'Sequential';
    }
    if (nested && entry.class_name === 'Sequential') foldNestedSequentialInput(inner);
    if ('input_layers' in inner) inner.input_layers = nestedTensorList(inner.input_layers);
    if ('output_layers' in inner) inner.output_layers = nestedTensorList(inner.output_layers);
    const layers = inner.layers as unknown[];
    const nestedModels = new Set(
      layers
        .filter((l) => isObject(l) && isObject(l.config) && Array.isArray(l.config.layers))
        .map((l) => entryName(l as Json)),
    );
    for (const layer of layers) {
      if (isObject(layer) && ATTENTION_CLASSES.has(String(layer.class_name))) normaliseAttentionCall(layer);
      if (isObject(layer) && 'inbound_nodes' in layer)
        layer.inbound_nodes = normaliseInboundNodes(layer.inbound_nodes, nestedModels);
      if (isObject(layer) && TENSOR_OP_CLASSES.has(String(layer.class_name))) normaliseTensorOpLayer(layer);
    }
    // A Flatten's predecessor: the layer before it (Sequential) or the layer of its first inbound tensor (Functional).
    const byName = new Map(layers.filter(isObject).map((l) => [entryName(l), l]));
    layers.forEach((layer, i) => {
      if (!isObject(layer)) return;
      const inbound = (layer.inbound_nodes as unknown[][][] | undefined)?.[0]?.[0]?.[0];
      const predecessor = entry.class_name === 'Sequential' ? layers[i - 1] : byName.get(String(inbound));
      normaliseFlatten(layer, isObject(predecessor) ? predecessor : undefined);
    });
  };
  rewriteContainer(config, false);
  for (const { entry } of layerEntries(config)) {
    rewriteContainer(entry, true);
    normaliseLayerClass(entry);
    if (isObject(entry.config)) normaliseLayerConfig(entry.config);
  }
  return { config, originalClassName };
}
