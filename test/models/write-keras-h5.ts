/** Test helper: writes small Keras-style HDF5 files (full model or weights-only) with h5wasm's write API. */
import h5wasm from 'h5wasm';
import { writeFileSync } from 'node:fs';

/** One weight to store: full Keras name ('dense/kernel:0'), shape, values. */
export interface WeightToWrite {
  name: string;
  shape: number[];
  values: Float32Array;
  /** Stores the values chunked, then declares this larger shape without storing anything more (hostile files). */
  declaredShape?: number[];
  /** Stores the values as 64-bit integers (Keras's `count` of an adapted Normalization). */
  int64?: boolean;
}

let counter = 0;

/**
 * Writes `layers` (layer name → weights) as a Keras file at `path`: with `modelConfig` (a value, or its JSON text), a
 * full model (config as a root attribute, weights under model_weights/); without, a weights-only file.
 */
export async function writeKerasH5(
  path: string,
  layers: [string, WeightToWrite[]][],
  modelConfig?: unknown,
): Promise<void> {
  const { FS } = await h5wasm.ready;
  const memPath = `/test-write-${++counter}.h5`;
  const file = new h5wasm.File(memPath, 'w');
  try {
    file.create_attribute('keras_version', '2.4.0');
    file.create_attribute('backend', 'tensorflow');
    if (modelConfig !== undefined)
      file.create_attribute(
        'model_config',
        typeof modelConfig === 'string' ? modelConfig : JSON.stringify(modelConfig),
      );
    const root = modelConfig !== undefined ? file.create_group('model_weights') : file;
    root.create_attribute(
      'layer_names',
      layers.map(([name]) => name),
    );
    for (const [layerName, weights] of layers) {
      const group = root.create_group(layerName);
      if (weights.length > 0)
        group.create_attribute(
          'weight_names',
          weights.map((w) => w.name),
        );
      for (const weight of weights) {
        const parts = weight.name.split('/');
        let here = group;
        for (const part of parts.slice(0, -1))
          here = (here.keys().includes(part) ? here.get(part) : here.create_group(part)) as typeof group;
        if (weight.declaredShape === undefined)
          here.create_dataset({
            name: parts[parts.length - 1],
            data: weight.int64 === true ? BigInt64Array.from(weight.values, (v) => BigInt(v)) : weight.values,
            shape: weight.shape,
            dtype: weight.int64 === true ? '<q' : '<f',
          });
        else {
          const maxshape = weight.shape.map(() => null);
          here
            .create_dataset({
              name: parts[parts.length - 1],
              data: weight.values,
              shape: weight.shape,
              dtype: '<f',
              maxshape,
              chunks: weight.shape,
            })
            .resize(weight.declaredShape);
        }
      }
    }
  } finally {
    file.close();
  }
  writeFileSync(path, FS!.readFile(memPath));
  FS!.unlink(memPath);
}
