/**
 * Writes the synthetic demo recordings shipped in assets/demo-recordings/: one 16-bit PCM WAV per species at
 * 44.1 kHz (so the demo exercises the resampler to the model's 8 kHz), 0.75 s each (longer than the 5000-sample
 * model window at 8 kHz, so the loudest-window cut is exercised too).
 *
 *   node --import tsx scripts/make-demo-recordings.ts [--out DIR] [--seed N]
 */
import * as wavefileModule from 'wavefile';
import { mkdir, writeFile } from 'node:fs/promises';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';
import { createRng } from '../src/util/rng.js';
import { DEMO_SPECIES, synthesizeWingbeat } from '../src/demo/synthesize.js';

type WaveFileClass = typeof wavefileModule.WaveFile;
// Node's CommonJS interop exposes the class on `default`.
const WaveFile: WaveFileClass =
  (wavefileModule as { WaveFile?: WaveFileClass }).WaveFile ??
  (wavefileModule as unknown as { default: { WaveFile: WaveFileClass } }).default.WaveFile;

const repoRoot = resolve(dirname(fileURLToPath(import.meta.url)), '..');
const { values } = parseArgs({
  options: {
    out: { type: 'string', default: join(repoRoot, 'assets', 'demo-recordings') },
    seed: { type: 'string', default: '20250502' },
  },
});

const SAMPLE_RATE = 44100;
const DURATION = 0.75;

async function main(): Promise<void> {
  await mkdir(values.out, { recursive: true });
  const rng = createRng(Number(values.seed));
  for (const species of DEMO_SPECIES) {
    // A clean-ish recording near the species mean (SNR 25 dB) so each file is a typical example.
    const rec = synthesizeWingbeat(species, {
      seed: rng.int32(),
      sampleRate: SAMPLE_RATE,
      duration: DURATION,
      snrDb: 25,
    });
    const pcm = Int16Array.from(rec.samples, (v) => Math.max(-32768, Math.min(32767, Math.round(v * 32767))));
    const wav = new WaveFile();
    wav.fromScratch(1, SAMPLE_RATE, '16', pcm);
    const bytes = wav.toBuffer();
    const path = join(values.out, `${rec.name}.wav`);
    await writeFile(path, bytes);
    console.log(
      `${path}: ${rec.samples.length} samples at ${SAMPLE_RATE} Hz, fundamental ${rec.fundamental.toFixed(1)} Hz, ${bytes.byteLength} bytes`,
    );
  }
}

main().catch((error: unknown) => {
  console.error(error instanceof Error ? (error.stack ?? error.message) : String(error));
  process.exit(1);
});
