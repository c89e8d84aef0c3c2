/**
 * Keras model configs (the `model_config` of a full .h5, the `modelTopology` of a model.json) made acceptable to
 * TensorFlow.js, after refusing what must never run: a Keras `Lambda` layer carries Python bytecode, so a config
 * holding one is rejected (`UNSAFE_LAYER`), never executed; a layer class nobody registered is named with the fix
 * (`UNKNOWN_LAYER`).
 */
import * as tf from '@tensorflow/tfjs';
import { WingbeatsError } from '../util/errors.js';

type Json = Record<string, unknown>;

const CONTAINER_CLASSES = new Set(['Sequential', 'Functional', 'Model']);

function isObject(value: unknown): value is Json {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

/** The layer entries (`{class_name, config}`) of a model config, nested models included, with their path. */
function* layerEntries(entry: Json, path: string[] = []): Generator<{ entry: Json; path: string[] }> {
  const config = entry.config;
  if (!isObject(config) || !Array.isArray(config.layers)) return;
  for (const layer of config.layers) {
    if (!isObject(layer)) continue;
    const name = isObject(layer.config) && typeof layer.config.name === 'string' ? layer.config.name : String(layer.name ?? '?');
    const here = [...path, name];
    yield { entry: layer, path: here };
    yield* layerEntries(layer, here);
  }
}

function registeredClassNames(): Record<string, unknown> {
  const map = (tf.serialization as unknown as { SerializationMap: { getMap(): { classNameMap: Record<string, unknown> } } }).SerializationMap;
  return map.getMap().classNameMap;
}

/**
 * Throws `UNSAFE_LAYER` for a Keras `Lambda` layer and `UNKNOWN_LAYER` for a layer class that TensorFlow.js does
 * not know (with how to register it). `source` names the file in messages.
 */
export function checkKerasConfig(modelConfig: Json, source = 'the model'): void {
  if (typeof modelConfig.class_name !== 'string' || !isObject(modelConfig.config)) {
    throw new WingbeatsError('INVALID_FILE', `The model config of ${source} has no 'class_name'/'config'; it is not a Keras model config.`);
  }
  const known = registeredClassNames();
  for (const { entry, path } of layerEntries(modelConfig)) {
    const className = entry.class_name;
    const where = `layer '${path.join('/')}'`;
    if (className === 'Lambda' || className === 'TFOpLambda' || className === 'SlicingOpLambda') {
      throw new WingbeatsError(
        'UNSAFE_LAYER',
        `${source} contains a Keras ${className} layer (${where}). Lambda layers hold Python code, which wingbeats-xai never runs; ` +
          're-save the model with the Lambda replaced by a named custom layer and register that layer with tf.serialization.registerClass.',
      );
    }
    if (typeof className !== 'string') {
      throw new WingbeatsError('INVALID_FILE', `The config of ${where} in ${source} has no class name.`);
    }
    // TensorFlow.js camel-cases class names while deserialising ('L2_Norm' is looked up as 'L2Norm').
    const camel = className.replace(/_+(\w|$)/g, (_m, c: string) => c.toUpperCase());
    if (!(className in known) && !(camel in known) && !CONTAINER_CLASSES.has(className)) {
      throw new WingbeatsError(
        'UNKNOWN_LAYER',
        `Layer class '${className}' is not registered: ${where} of ${source} uses it; call registerWingbeatsLayers() for the wingbeats layers, ` +
          `or tf.serialization.registerClass(YourLayer) with static className '${className}' for your own layer, before loading.`,
      );
    }
  }
}

/** A single-element list (`axis: [2]`, as Keras 2.3 writes batch-norm axes) becomes its element. */
function unwrapSingleton(value: unknown): unknown {
  return Array.isArray(value) && value.length === 1 && typeof value[0] === 'number' ? value[0] : value;
}

function normaliseLayerConfig(config: Json): void {
  if ('axis' in config) config.axis = unwrapSingleton(config.axis);
  // Newer Keras writes the dtype as a policy object; TensorFlow.js wants the name.
  if (isObject(config.dtype) && isObject(config.dtype.config) && typeof config.dtype.config.name === 'string') {
    config.dtype = config.dtype.config.name;
  }
}

/**
 * A deep copy of a Keras model config that `tf.models.modelFromJSON` accepts: a Sequential subclass name
 * (`Mosquito_CNN_PSD`) becomes `Sequential` (`Functional` when it lists input/output layers), single-element
 * list fields such as batch-norm `axis: [2]` become numbers. Returns the config and the original root class name.
 */
export function normaliseKerasConfig(modelConfig: Json): { config: Json; originalClassName: string } {
  const config = structuredClone(modelConfig);
  const originalClassName = String(config.class_name);
  const rewriteContainer = (entry: Json): void => {
    const inner = entry.config;
    if (!isObject(inner) || !Array.isArray(inner.layers)) return;
    if (!CONTAINER_CLASSES.has(String(entry.class_name))) {
      entry.class_name = 'input_layers' in inner && 'output_layers' in inner ? 'Functional' : 'Sequential';
    }
  };
  rewriteContainer(config);
  for (const { entry } of layerEntries(config)) {
    rewriteContainer(entry);
    if (isObject(entry.config)) normaliseLayerConfig(entry.config);
  }
  return { config, originalClassName };
}
