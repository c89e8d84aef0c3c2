/**
 * Checking that the layer graph of a Functional model config can be built. TensorFlow.js builds it by re-queueing
 * every layer call whose inputs do not exist yet until none is left, so a graph that loops (a layer feeding one that
 * feeds it) or that calls a layer missing from the config spins forever. Here the same schedule is replayed on the
 * config alone (no tensors) and a graph that stops making progress is refused, naming the layers involved.
 */
import { WingbeatsError } from '../util/errors.js';

type Json = Record<string, unknown>;

/** Names TensorFlow.js accepts for variables (a layer's weights are named `<layer>/<weight>`). */
const VALID_NAME = /^[A-Za-z0-9][-A-Za-z0-9._/]*$/;

function isObject(value: unknown): value is Json {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

/**
 * Replays TensorFlow.js's build schedule of one Functional container (and of every Functional container nested in
 * it) and throws when some layer calls can never run.
 *
 * @param modelConfig - A Keras model config `{class_name, config}` (after normalisation).
 * @param source - Names the file in messages, e.g. `"'model.json'"`.
 * @throws WingbeatsError `INVALID_FILE` naming the layers that loop or wait for a missing layer.
 * @example checkLayerGraph(config, "'model.json'");
 */
export function checkLayerGraph(modelConfig: Json, source: string): void {
  const pending: Json[] = [modelConfig];
  while (pending.length > 0) {
    const entry = pending.pop() as Json;
    const config = entry.config;
    if (!isObject(config) || !Array.isArray(config.layers)) continue;
    if (!config.layers.every(isObject)) continue; // TensorFlow.js throws on such an entry
    const layers = config.layers as Json[];
    for (const layer of layers) {
      pending.push(layer);
      const name = isObject(layer.config) ? layer.config.name : undefined;
      // TensorFlow.js names the weights '<name>/kernel' (a non-string name as its string), and throws on a bad one
      // only after creating the initial values, which then leak.
      if (name !== undefined && name !== null && typeof name !== 'string') {
        throw new WingbeatsError(
          'INVALID_FILE',
          `${source} has a layer whose name is not a string (got ${Array.isArray(name) ? 'a list' : typeof name}: ${JSON.stringify(name).slice(0, 100)}); layer names are strings.`,
        );
      }
      if (typeof name === 'string' && name !== '' && !VALID_NAME.test(name)) {
        throw new WingbeatsError(
          'INVALID_FILE',
          `${source} has a layer named '${String(name).slice(0, 100)}', which is not a valid TensorFlow name (letters, digits, '.', '_', '-', '/').`,
        );
      }
    }
    if (entry.class_name === 'Sequential') continue;
    checkContainer(layers, source, isObject(config) && typeof config.name === 'string' ? config.name : 'model');
  }
}

/**
 * One container, replayed as TensorFlow.js's `Container.fromConfig` runs it: layers are registered under their entry's
 * `name` (as a property key), queued calls are keyed by the layer object's own name (its config's `name`), and a call
 * runs once every input names a registered layer that already has the node it asks for. Returns when the schedule
 * finishes or reaches a step where TensorFlow.js throws (no hang); throws when a full pass makes no progress.
 */
function checkContainer(layers: Json[], source: string, containerName: string): void {
  const keys = layers.map((layer) => String(layer.name));
  const objectNames = layers.map((layer, i) =>
    isObject(layer.config) && typeof layer.config.name === 'string' ? layer.config.name : `\u0000auto${i}`,
  );
  const registered = new Map<string, number>(keys.map((key, i) => [key, i]));
  // Nodes each layer object has: an InputLayer makes its own; every layer one per call that ran.
  // A nested model (Sequential, Functional) also makes one node when it is constructed.
  const nodeCount = layers.map((layer) =>
    layer.class_name === 'InputLayer' || (isObject(layer.config) && Array.isArray(layer.config.layers)) ? 1 : 0,
  );
  const queue = new Map<string, unknown[][]>();
  const enqueue = (name: string, call: unknown[]): void => void queue.set(name, [...(queue.get(name) ?? []), call]);
  for (const [i, layer] of layers.entries()) {
    if (!Array.isArray(layer.inbound_nodes)) return; // TensorFlow.js throws on this entry
    for (const call of layer.inbound_nodes) {
      if (!Array.isArray(call)) return; // "Corrupted configuration"
      enqueue(objectNames[i], call);
    }
  }
  while (queue.size > 0) {
    let progress = false;
    for (const key of keys) {
      const target = registered.get(key) as number;
      const calls = queue.get(objectNames[target]);
      if (calls === undefined) continue;
      queue.delete(objectNames[target]);
      for (const call of calls) {
        let waiting = false;
        for (const input of call) {
          if (input === null || input === undefined) return; // reading input[0] throws
          const inbound = registered.get(String((input as Record<number, unknown>)[0]));
          if (inbound === undefined || nodeCount[inbound] <= ((input as Record<number, unknown>)[1] as number)) {
            waiting = true;
            break;
          }
        }
        if (waiting) enqueue(objectNames[target], call);
        else {
          progress = true;
          if (call.length > 0) nodeCount[target]++;
        }
      }
    }
    if (!progress) {
      const stuck = [...queue.keys()].map((n) => (n.startsWith('\u0000') ? '(unnamed)' : n));
      const inputs = [...queue.values()]
        .flat()
        .flatMap((call) => call.map((input) => String((input as Record<number, unknown>)[0])));
      const missing = inputs.find((name) => !registered.has(name));
      throw new WingbeatsError(
        'INVALID_FILE',
        `The layer graph of ${source} (model '${containerName}') cannot be built: ` +
          (missing !== undefined
            ? `layer '${stuck[0]}' takes its input from layer '${missing}', which the config does not define.`
            : `layers ${stuck
                .slice(0, 5)
                .map((n) => `'${n}'`)
                .join(
                  ', ',
                )}${stuck.length > 5 ? ', ...' : ''} wait for outputs that are never made (the graph loops, or names a layer output that does not exist).`),
      );
    }
  }
}
