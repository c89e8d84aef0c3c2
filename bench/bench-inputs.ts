/** Benchmark inputs: features of the real recordings in ../shared (repeated to the batch size), else seeded noise. */
import { existsSync, readdirSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { readWavFile } from '../src/node/read-wav-file.js';
import { featuresFromRecording } from '../src/signal/features.js';
import { featureShape, type FeaturePresetName } from '../src/signal/presets.js';
import { createRng } from '../src/util/rng.js';

/** The shared folder beside the checkout (read-only; may be absent). */
export const SHARED_DIR = fileURLToPath(new URL('../../shared/', import.meta.url));

/** A channels-last float32 batch and where it came from. */
export interface BenchBatch {
  data: Float32Array;
  shape: number[];
  source: string;
}

/**
 * `count` model inputs of `preset`: the loudest window of each recording in ../shared/data/recordings, cycled to
 * `count`; seeded standard-normal noise when the recordings are absent.
 */
export async function benchBatch(preset: FeaturePresetName, count: number, seed = 1): Promise<BenchBatch> {
  const folder = `${SHARED_DIR}data/recordings/`;
  const rows: Float32Array[] = [];
  let shape: number[] = [];
  if (existsSync(folder)) {
    for (const name of readdirSync(folder).sort()) {
      if (!name.toLowerCase().endsWith('.wav')) continue;
      const features = featuresFromRecording(await readWavFile(folder + name), preset);
      rows.push(Float32Array.from(features.data));
      shape = features.shape;
    }
  }
  if (rows.length > 0) {
    const size = rows[0].length;
    const data = new Float32Array(count * size);
    for (let i = 0; i < count; i++) data.set(rows[i % rows.length], i * size);
    return {
      data,
      shape: [count, ...shape],
      source: `${rows.length} recordings of ../shared/data/recordings (${preset}), cycled`,
    };
  }
  shape = featureShape(preset);
  const size = shape.reduce((a, b) => a * b, 1);
  const rng = createRng(seed);
  const data = Float32Array.from({ length: count * size }, () => rng.normal());
  return { data, shape: [count, ...shape], source: `seeded standard-normal noise (seed ${seed}; recordings absent)` };
}
