/**
 * Test helper: writes Keras 3 `.keras` files (a zip of config.json, metadata.json and model.weights.h5 with
 * variables at `layers/<path>/vars/<i>`) with h5wasm's write API and fflate, as Keras 3's saving library lays them out.
 */
import h5wasm from 'h5wasm';
import { zipSync } from 'fflate';
import { writeFileSync } from 'node:fs';

/** One variable to store at its full path in model.weights.h5 (`'layers/lstm/cell/vars/0'`). */
export interface VariableToWrite {
  path: string;
  shape: number[];
  values: Float32Array;
}

let counter = 0;

/** The bytes of a model.weights.h5 holding `variables` (plus an empty top-level `vars` group, as Keras writes). */
export async function kerasWeightsH5(variables: VariableToWrite[]): Promise<Uint8Array> {
  const { FS } = await h5wasm.ready;
  const memPath = `/test-keras-weights-${++counter}.h5`;
  const file = new h5wasm.File(memPath, 'w');
  try {
    file.create_group('vars');
    for (const variable of variables) {
      const parts = variable.path.split('/');
      let here: InstanceType<typeof h5wasm.Group> = file;
      for (const part of parts.slice(0, -1))
        here = (here.keys().includes(part) ? here.get(part) : here.create_group(part)) as InstanceType<
          typeof h5wasm.Group
        >;
      here.create_dataset({ name: parts[parts.length - 1], data: variable.values, shape: variable.shape, dtype: '<f' });
    }
  } finally {
    file.close();
  }
  const bytes = FS!.readFile(memPath);
  FS!.unlink(memPath);
  return bytes;
}

/** Writes a `.keras` archive at `path`; `entries` may replace or drop (`null`) any of the three files. */
export async function writeKerasArchive(
  path: string,
  config: unknown,
  variables: VariableToWrite[],
  entries: Partial<Record<'config.json' | 'metadata.json' | 'model.weights.h5', Uint8Array | null>> = {},
): Promise<void> {
  const text = (value: unknown): Uint8Array => new TextEncoder().encode(JSON.stringify(value));
  const files: Record<string, Uint8Array | null> = {
    'metadata.json': text({ keras_version: '3.4.1', date_saved: '2026-01-01@00:00:00' }),
    'config.json': text(config),
    'model.weights.h5': await kerasWeightsH5(variables),
    ...entries,
  };
  const kept = Object.fromEntries(Object.entries(files).filter((e): e is [string, Uint8Array] => e[1] !== null));
  writeFileSync(path, zipSync(kept));
}
