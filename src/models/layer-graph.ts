/**
 * Checking that the layer graph of a Functional model config can be built. TensorFlow.js builds it by re-queueing
 * every layer call whose inputs do not exist yet until none is left, so a graph that loops (a layer feeding one that
 * feeds it) or that calls a layer missing from the config spins forever. Here the same schedule is replayed on the
 * config alone (no tensors) and a graph that stops making progress is refused, naming the layers involved.
 */
import { WingbeatsError } from '../core/errors.js';

type Json = Record<string, unknown>;

function isObject(value: unknown): value is Json {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

/** Name a layer entry is registered under (TensorFlow.js uses the entry's `name`). */
function entryName(layer: Json): string {
  if (typeof layer.name === 'string') return layer.name;
  return isObject(layer.config) && typeof layer.config.name === 'string' ? layer.config.name : '';
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
    const layers = config.layers.filter(isObject);
    for (const layer of layers) pending.push(layer);
    if (entry.class_name === 'Sequential') continue;
    checkContainer(layers, source, isObject(config) && typeof config.name === 'string' ? config.name : 'model');
  }
}

function checkContainer(layers: Json[], source: string, containerName: string): void {
  const names = layers.map(entryName);
  const known = new Set(names);
  // Nodes each layer has: an InputLayer has its own from the start; every other layer one per call made.
  const nodeCount = new Map<string, number>(layers.map((l, i) => [names[i], l.class_name === 'InputLayer' ? 1 : 0]));
  const queue = new Map<string, unknown[][]>();
  for (const [i, layer] of layers.entries()) {
    const nodes = Array.isArray(layer.inbound_nodes) ? layer.inbound_nodes : [];
    const calls = nodes.filter((node): node is unknown[] => Array.isArray(node));
    if (calls.length > 0) queue.set(names[i], [...(queue.get(names[i]) ?? []), ...calls]);
  }
  const ready = (input: unknown): boolean => {
    const inbound = Array.isArray(input) ? input : [];
    const name = String(inbound[0]);
    return known.has(name) && !((nodeCount.get(name) ?? 0) <= (inbound[1] as number));
  };
  while (queue.size > 0) {
    let progress = false;
    for (const name of names) {
      const calls = queue.get(name);
      if (calls === undefined) continue;
      queue.delete(name);
      const waiting: unknown[][] = [];
      for (const call of calls) {
        if (!call.every(ready)) {
          waiting.push(call);
          continue;
        }
        progress = true;
        if (call.length > 0) nodeCount.set(name, (nodeCount.get(name) ?? 0) + 1);
      }
      if (waiting.length > 0) queue.set(name, [...(queue.get(name) ?? []), ...waiting]);
    }
    if (!progress) {
      const stuck = [...queue.keys()];
      const missing = [...queue.values()].flat(2).map((input) => String(Array.isArray(input) ? input[0] : input)).find((n) => !known.has(n));
      throw new WingbeatsError(
        'INVALID_FILE',
        `The layer graph of ${source} (model '${containerName}') cannot be built: ` +
          (missing !== undefined
            ? `layer '${stuck[0]}' takes its input from layer '${missing}', which the config does not define.`
            : `layers ${stuck.slice(0, 5).map((n) => `'${n}'`).join(', ')}${stuck.length > 5 ? ', ...' : ''} wait for outputs that are never made (the graph loops, or names a layer output that does not exist).`),
      );
    }
  }
}
