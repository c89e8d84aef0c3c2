/** Seeded pseudo-random numbers shared by every sampled method, so a seed reproduces a run. */
import seedrandom from 'seedrandom';

/** A seeded random source. */
export interface Rng {
  /** Uniform in [0, 1). */
  uniform(): number;
  /** Standard normal (Box-Muller). */
  normal(): number;
  /** Integer in [0, n). */
  int(n: number): number;
  /** A 32-bit integer, e.g. to seed a TensorFlow.js op. */
  int32(): number;
}

/** Creates a seeded generator (alea); `seed` undefined draws a seed from Math.random. */
export function createRng(seed?: number | string): Rng {
  const source = seedrandom.alea(String(seed ?? Math.random()));
  let spare: number | null = null;
  const uniform = (): number => source();
  return {
    uniform,
    normal(): number {
      if (spare !== null) {
        const value = spare;
        spare = null;
        return value;
      }
      let u = 0;
      while (u === 0) u = uniform();
      const v = uniform();
      const radius = Math.sqrt(-2 * Math.log(u));
      spare = radius * Math.sin(2 * Math.PI * v);
      return radius * Math.cos(2 * Math.PI * v);
    },
    int(n: number): number {
      return Math.floor(uniform() * n);
    },
    int32(): number {
      return source.int32();
    },
  };
}

/** `count` distinct integers from [0, n) in random order (partial Fisher-Yates: without replacement). */
export function sampleWithoutReplacement(n: number, count: number, rng: Rng): number[] {
  const pool = Array.from({ length: n }, (_, i) => i);
  const k = Math.min(count, n);
  for (let i = 0; i < k; i++) {
    const j = i + rng.int(n - i);
    const tmp = pool[i];
    pool[i] = pool[j];
    pool[j] = tmp;
  }
  return pool.slice(0, k);
}
