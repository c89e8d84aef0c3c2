/**
 * Seeded synthetic wingbeat recordings of the six Potamitis mosquito species, for the demo model and the demo
 * recordings shipped with the package (no TensorFlow.js import: this is signal code).
 *
 * A recording is a harmonic tone — the wingbeat fundamental and 4–6 harmonics with a species-specific amplitude
 * profile — with slow frequency modulation and random-walk jitter, a fly-by amplitude envelope (the insect crossing
 * the sensor's field of view) and white noise. The fundamental of each recording is drawn around a mean wingbeat
 * frequency of free-flying females of the species, chosen within the ranges reported in the literature (see
 * {@link SPECIES_PROFILES} and docs/demo.md). The classes overlap in frequency on purpose; the harmonic profiles
 * make them separable, as a classifier of real recordings has to use more than the fundamental.
 *
 * These are illustrations, not measurements: they make the demo and its tests work without real data.
 */
import { argumentError } from '../util/errors.js';
import { createRng, type Rng } from '../util/rng.js';

/** The Potamitis species, in the output-index order of the wingbeats models. */
export const DEMO_SPECIES = [
  'Ae_aegypti',
  'Ae_albopictus',
  'An_arabiensis',
  'An_gambiae',
  'Cu_pipiens',
  'Cu_quinquefasciatus',
] as const;

/** One of {@link DEMO_SPECIES}. */
export type DemoSpecies = (typeof DEMO_SPECIES)[number];

/** How recordings of one species are synthesized. */
export interface SpeciesProfile {
  /** Genus label (Aedes, Anopheles, Culex). */
  readonly genus: string;
  /** Mean wingbeat fundamental (Hz) of flying females, the centre of the drawn fundamentals. */
  readonly meanFrequency: number;
  /** Standard deviation (Hz) of the fundamental between recordings. */
  readonly frequencySd: number;
  /** Mean relative amplitude of the fundamental (1) and each harmonic: 4–6 entries in all. */
  readonly harmonics: readonly number[];
  /** Where the frequency range comes from (short citation; full references in docs/demo.md). */
  readonly source: string;
}

/**
 * The synthesis profile of each species. Means are demo choices inside the ranges reported for female
 * mosquitoes flying at about 25–28 °C (wingbeat frequency rises by roughly 8–13 Hz per °C, Villarreal et al. 2017,
 * so published means differ between studies by tens of Hz):
 * - Ae. aegypti 485 Hz (sd 25): females fly at roughly 400–550 Hz, most studies near 450–500 Hz
 *   (Cator et al. 2009, Science 323:1077; Villarreal et al. 2017, J. Med. Entomol. 54:1116; Mukundarajan et al. 2017, eLife 6:e27854);
 * - Ae. albopictus 570 Hz (sd 30): a higher flight tone than Ae. aegypti (Brogdon 1994, J. Med. Entomol. 31:700;
 *   Mukundarajan et al. 2017);
 * - An. arabiensis 420 Hz (sd 25) and An. gambiae 455 Hz (sd 25): Anopheles females roughly 400–480 Hz
 *   (Wekesa et al. 1998, Physiol. Entomol. 23:289; Pennetier et al. 2010, Curr. Biol. 20:131);
 * - Cx. pipiens 360 Hz (sd 20) and Cx. quinquefasciatus 390 Hz (sd 22): Culex females roughly 330–420 Hz
 *   (Warren et al. 2009, Curr. Biol. 19:485; Mukundarajan et al. 2017).
 *
 * The harmonic profiles are invented for the demo (distinct per species, so the classes are separable), not measured.
 */
export const SPECIES_PROFILES: Readonly<Record<DemoSpecies, SpeciesProfile>> = {
  Ae_aegypti: {
    genus: 'Aedes',
    meanFrequency: 485,
    frequencySd: 25,
    harmonics: [1, 0.35, 0.55, 0.12, 0.18],
    source: 'Cator et al. 2009; Villarreal et al. 2017; Mukundarajan et al. 2017',
  },
  Ae_albopictus: {
    genus: 'Aedes',
    meanFrequency: 570,
    frequencySd: 30,
    harmonics: [1, 0.6, 0.2, 0.3, 0.08],
    source: 'Brogdon 1994; Mukundarajan et al. 2017',
  },
  An_arabiensis: {
    genus: 'Anopheles',
    meanFrequency: 420,
    frequencySd: 25,
    harmonics: [1, 0.75, 0.25, 0.1],
    source: 'Wekesa et al. 1998',
  },
  An_gambiae: {
    genus: 'Anopheles',
    meanFrequency: 455,
    frequencySd: 25,
    harmonics: [1, 0.3, 0.3, 0.45, 0.1],
    source: 'Wekesa et al. 1998; Pennetier et al. 2010',
  },
  Cu_pipiens: {
    genus: 'Culex',
    meanFrequency: 360,
    frequencySd: 20,
    harmonics: [1, 0.8, 0.55, 0.35, 0.2, 0.1],
    source: 'Mukundarajan et al. 2017',
  },
  Cu_quinquefasciatus: {
    genus: 'Culex',
    meanFrequency: 390,
    frequencySd: 22,
    harmonics: [1, 0.45, 0.7, 0.2, 0.3, 0.12],
    source: 'Warren et al. 2009; Mukundarajan et al. 2017',
  },
};

/** Options of {@link synthesizeWingbeat}. */
export interface SynthesizeOptions {
  /** Seed of the recording (number or string); the same seed gives the same samples. Default: unseeded. */
  seed?: number | string;
  /** Sampling rate in Hz. Default 8000 (the Potamitis rate). */
  sampleRate?: number;
  /** Length in seconds. Default 0.7 (5600 samples at 8 kHz: longer than the 5000-sample model window). */
  duration?: number;
  /** Use this fundamental (Hz) instead of drawing one around the species mean. */
  fundamental?: number;
  /** Signal-to-noise ratio (dB) of the loudest part; default drawn uniformly in [12, 30]. */
  snrDb?: number;
}

/** A synthesized recording (its `samples` and `sampleRate` fit `featuresFromRecording`). */
export interface SyntheticRecording {
  /** e.g. `Ae_aegypti_synthetic`. */
  name: string;
  species: DemoSpecies;
  /** Index of `species` in {@link DEMO_SPECIES}. */
  label: number;
  sampleRate: number;
  /** Samples in [-1, 1] (peak about 0.9). */
  samples: Float32Array;
  /** The drawn (or given) mean fundamental in Hz. */
  fundamental: number;
  /** Signal-to-noise ratio (dB) of the loudest part. */
  snrDb: number;
}

function checkSpecies(fn: string, species: unknown): DemoSpecies {
  if (typeof species === 'number' && Number.isInteger(species) && species >= 0 && species < DEMO_SPECIES.length) {
    return DEMO_SPECIES[species];
  }
  if (typeof species === 'string' && (DEMO_SPECIES as readonly string[]).includes(species))
    return species as DemoSpecies;
  throw argumentError(
    fn,
    'species',
    `one of ${DEMO_SPECIES.join(', ')} or an index 0..${DEMO_SPECIES.length - 1}`,
    species,
  );
}

function checkPositiveOption(fn: string, name: string, value: number | undefined, fallback: number): number {
  if (value === undefined) return fallback;
  if (typeof value !== 'number' || !Number.isFinite(value) || value <= 0)
    throw argumentError(fn, name, 'a positive finite number', value);
  return value;
}

/**
 * Synthesizes one wingbeat recording of a species.
 *
 * The fundamental is drawn from a normal distribution around the species' {@link SpeciesProfile.meanFrequency}
 * (± its `frequencySd`, clipped to ±3 sd); each harmonic amplitude is the profile's value times a log-normal factor
 * (about ±25 %); the instantaneous frequency carries a slow sinusoidal modulation (1–3 % at 3–12 Hz) and a small
 * random walk; the amplitude envelope is a Gaussian fly-by centred somewhere in the middle 60 % of the recording,
 * with a small floor; white noise sets the signal-to-noise ratio. The result is scaled to a peak of 0.9.
 *
 * @param species - A name from {@link DEMO_SPECIES} or its index.
 * @param options - {@link SynthesizeOptions}: `seed`, `sampleRate` 8000, `duration` 0.7 s, `fundamental`, `snrDb`.
 * @returns The {@link SyntheticRecording}.
 * @throws WingbeatsError `INVALID_ARGUMENT` for an unknown species or a non-positive rate, duration or fundamental,
 *   or a fundamental whose highest harmonic does not fit below the Nyquist frequency.
 * @example
 * const rec = synthesizeWingbeat('Ae_aegypti', { seed: 1 }); // 5600 samples at 8 kHz
 * featuresFromRecording(rec, 'potamitis-psd'); // [129, 1]
 */
export function synthesizeWingbeat(species: DemoSpecies | number, options: SynthesizeOptions = {}): SyntheticRecording {
  const fn = 'synthesizeWingbeat';
  const name = checkSpecies(fn, species);
  const sampleRate = checkPositiveOption(fn, 'options.sampleRate', options.sampleRate, 8000);
  const duration = checkPositiveOption(fn, 'options.duration', options.duration, 0.7);
  const length = Math.round(duration * sampleRate);
  if (length < 16) throw argumentError(fn, 'options.duration', 'long enough for at least 16 samples', duration);
  const profile = SPECIES_PROFILES[name];
  const rng = createRng(options.seed);

  const drawn = profile.meanFrequency + profile.frequencySd * clip(rng.normal(), 3);
  const fundamental = checkPositiveOption(fn, 'options.fundamental', options.fundamental, drawn);
  const topHarmonic = profile.harmonics.length;
  if (fundamental * topHarmonic * 1.05 >= sampleRate / 2) {
    throw argumentError(
      fn,
      'options.fundamental',
      `below ${(sampleRate / 2 / topHarmonic / 1.05).toFixed(1)} Hz at ${sampleRate} Hz (harmonic ${topHarmonic} must stay below Nyquist)`,
      fundamental,
    );
  }
  const snrDb = options.snrDb ?? 12 + 18 * rng.uniform();
  if (typeof snrDb !== 'number' || !Number.isFinite(snrDb))
    throw argumentError(fn, 'options.snrDb', 'a finite number', snrDb);

  const amplitudes = profile.harmonics.map((a, k) => (k === 0 ? a : a * Math.exp(0.25 * clip(rng.normal(), 2.5))));
  const phases = profile.harmonics.map(() => 2 * Math.PI * rng.uniform());
  const modDepth = 0.01 + 0.02 * rng.uniform();
  const modRate = 3 + 9 * rng.uniform();
  const modPhase = 2 * Math.PI * rng.uniform();
  const centre = (0.2 + 0.6 * rng.uniform()) * length;
  const width = (0.15 + 0.2 * rng.uniform()) * length;
  const floor = 0.05 + 0.1 * rng.uniform();

  const clean = new Float64Array(length);
  let phase = 0;
  let walk = 0;
  const walkStep = 0.002 / Math.sqrt(sampleRate / 8000);
  for (let i = 0; i < length; i++) {
    const t = i / sampleRate;
    walk = 0.999 * walk + walkStep * rng.normal();
    const frequency = fundamental * (1 + modDepth * Math.sin(2 * Math.PI * modRate * t + modPhase) + walk);
    phase += (2 * Math.PI * frequency) / sampleRate;
    let tone = 0;
    for (let k = 0; k < amplitudes.length; k++) tone += amplitudes[k] * Math.sin((k + 1) * phase + phases[k]);
    const z = (i - centre) / width;
    clean[i] = tone * (floor + (1 - floor) * Math.exp(-0.5 * z * z));
  }
  const samples = addNoiseAndScale(clean, snrDb, centre, width, rng);
  return {
    name: `${name}_synthetic`,
    species: name,
    label: DEMO_SPECIES.indexOf(name),
    sampleRate,
    samples,
    fundamental,
    snrDb,
  };
}

/** Adds white noise at `snrDb` relative to the RMS of the loudest part (centre ± width) and scales to peak 0.9. */
function addNoiseAndScale(clean: Float64Array, snrDb: number, centre: number, width: number, rng: Rng): Float32Array {
  const from = Math.max(0, Math.floor(centre - width));
  const to = Math.min(clean.length, Math.ceil(centre + width));
  let power = 0;
  for (let i = from; i < to; i++) power += clean[i] * clean[i];
  power /= Math.max(1, to - from);
  const noiseSd = Math.sqrt(power / 10 ** (snrDb / 10));
  let peak = 0;
  const noisy = new Float64Array(clean.length);
  for (let i = 0; i < clean.length; i++) {
    noisy[i] = clean[i] + noiseSd * rng.normal();
    peak = Math.max(peak, Math.abs(noisy[i]));
  }
  const scale = peak > 0 ? 0.9 / peak : 1;
  return Float32Array.from(noisy, (v) => v * scale);
}

function clip(value: number, limit: number): number {
  return Math.max(-limit, Math.min(limit, value));
}

/** Options of {@link synthesizeDataset}. */
export interface SynthesizeDatasetOptions extends Omit<SynthesizeOptions, 'seed' | 'fundamental'> {
  /** Recordings per species. */
  perSpecies: number;
  /** Seed of the whole set; each recording gets its own seed drawn from it. Default: unseeded. */
  seed?: number | string;
}

/**
 * Synthesizes `perSpecies` recordings of every species, in species order (all Ae_aegypti first). Reproducible from
 * `seed`: each recording's seed is drawn from one generator seeded with it.
 *
 * @param options - {@link SynthesizeDatasetOptions}: `perSpecies` (required), `seed`, and the per-recording options.
 * @returns `6 × perSpecies` {@link SyntheticRecording}s; `label` is the class index.
 * @throws WingbeatsError `INVALID_ARGUMENT` for a `perSpecies` that is not a positive integer, or bad recording options.
 * @example
 * const train = synthesizeDataset({ perSpecies: 150, seed: 1 });
 */
export function synthesizeDataset(options: SynthesizeDatasetOptions): SyntheticRecording[] {
  const fn = 'synthesizeDataset';
  if (options === null || typeof options !== 'object')
    throw argumentError(fn, 'options', 'an object with perSpecies', options);
  const { perSpecies, seed, ...recordingOptions } = options;
  if (!Number.isInteger(perSpecies) || perSpecies < 1)
    throw argumentError(fn, 'options.perSpecies', 'a positive integer', perSpecies);
  const rng = createRng(seed);
  const out: SyntheticRecording[] = [];
  for (const species of DEMO_SPECIES) {
    for (let i = 0; i < perSpecies; i++)
      out.push(synthesizeWingbeat(species, { ...recordingOptions, seed: rng.int32() }));
  }
  return out;
}
