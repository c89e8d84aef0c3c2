/**
 * Writes a labelled data set of synthetic wingbeat recordings (the project's own generator, src/demo/synthesize.ts):
 * one sub-folder per species, 16-bit mono WAV files at 8 kHz. Used by the dataset tests and benchmarks.
 *
 *   node --import tsx scripts/synthetic-dataset.ts --out DIR [--per-species N] [--seed N] [--species a,b]
 */
import * as wavefileModule from 'wavefile';
import { mkdir, writeFile } from 'node:fs/promises';
import { join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';
import { createRng } from '../src/util/rng.js';
import { DEMO_SPECIES, synthesizeWingbeat, type DemoSpecies } from '../src/demo/synthesize.js';

type WaveFileClass = typeof wavefileModule.WaveFile;
const WaveFile: WaveFileClass =
  (wavefileModule as { WaveFile?: WaveFileClass }).WaveFile ??
  (wavefileModule as unknown as { default: { WaveFile: WaveFileClass } }).default.WaveFile;

/** 16-bit mono WAV bytes of samples in [-1, 1]. */
export function wavBytes(samples: Float32Array, sampleRate: number): Uint8Array {
  const pcm = Int16Array.from(samples, (v) => Math.max(-32768, Math.min(32767, Math.round(v * 32767))));
  const wav = new WaveFile();
  wav.fromScratch(1, sampleRate, '16', pcm);
  return wav.toBuffer();
}

/**
 * Writes `perSpecies` recordings of each species into `dir/<species>/<species>-<i>.wav`; returns the relative paths.
 * Reproducible from `seed`.
 */
export async function writeSyntheticDataset(
  dir: string,
  options: { perSpecies: number; seed?: number; species?: readonly DemoSpecies[] },
): Promise<string[]> {
  const rng = createRng(options.seed ?? 1);
  const written: string[] = [];
  for (const species of options.species ?? DEMO_SPECIES) {
    await mkdir(join(dir, species), { recursive: true });
    for (let i = 0; i < options.perSpecies; i++) {
      const rec = synthesizeWingbeat(species, { seed: rng.int32(), sampleRate: 8000, duration: 0.7 });
      const relative = `${species}/${species}-${String(i).padStart(4, '0')}.wav`;
      await writeFile(join(dir, relative), wavBytes(rec.samples, 8000));
      written.push(relative);
    }
  }
  return written;
}

if (process.argv[1] !== undefined && resolve(process.argv[1]) === fileURLToPath(import.meta.url)) {
  const { values } = parseArgs({
    options: {
      out: { type: 'string' },
      'per-species': { type: 'string', default: '10' },
      seed: { type: 'string', default: '1' },
      species: { type: 'string' },
    },
  });
  if (values.out === undefined) throw new Error('--out DIR is required');
  const species = values.species?.split(',') as DemoSpecies[] | undefined;
  const files = await writeSyntheticDataset(values.out, {
    perSpecies: Number(values['per-species']),
    seed: Number(values.seed),
    species,
  });
  console.log(`${files.length} recordings in ${values.out}`);
}
