/**
 * The bookkeeping of Monte-Carlo-dropout explanations, off the hot path: per example, running float64 sums of the
 * sample maps, scores and probabilities, fed one whole sample at a time in sample order (typed arrays, no tensors).
 */
import { Moments } from '../util/moments.js';

/** One Monte-Carlo sample, as passed to `onSample`. */
export interface McDropoutSample {
  /** Sample number, from 0. */
  index: number;
  /**
   * The sample's map per example (flat over the non-channel axes): the [0, 1] heatmap, or with `maps: 'signed'` the
   * attributions summed over channels. Yours to keep.
   */
  heatmaps: Float32Array[];
  /** The sample's scores per example (`[classes]` each, of kind `scores`). */
  predictions: number[][];
}

/** Mean and standard deviation over samples. */
export interface SampleSpread {
  mean: number[];
  std: number[];
}

/** What the reducer knows of one example at the end. */
export interface ReducedExample {
  mean: Float64Array;
  std: Float64Array;
  samples?: Float32Array[];
  predictions: SampleSpread & { samples: number[][] };
  probabilities?: SampleSpread;
}

/** Softmax of one score row (float64). */
export function softmaxRow(row: readonly number[]): number[] {
  const max = Math.max(...row);
  const exps = row.map((v) => Math.exp(v - max));
  const total = exps.reduce((a, b) => a + b, 0);
  return exps.map((v) => v / total);
}

/** Running sums over samples, per example. */
export class SampleReducer {
  private readonly maps: Moments[];
  private readonly scoreMoments: Moments[];
  private readonly probabilityMoments: Moments[];
  private readonly kept: Float32Array[][];
  private readonly scoreSamples: number[][][];
  private hasProbabilities = false;
  private count = 0;
  private pending: Promise<void> = Promise.resolve();

  constructor(
    examples: number,
    positions: number,
    classes: number,
    private readonly options: {
      keepSamples: boolean;
      samples: number;
      onSample?: (sample: McDropoutSample) => void | Promise<void>;
      onProgress?: (done: number, total: number) => void;
    },
  ) {
    this.maps = Array.from({ length: examples }, () => new Moments(positions));
    this.scoreMoments = Array.from({ length: examples }, () => new Moments(classes));
    this.probabilityMoments = Array.from({ length: examples }, () => new Moments(classes));
    this.kept = Array.from({ length: examples }, () => []);
    this.scoreSamples = Array.from({ length: examples }, () => []);
  }

  /**
   * Adds the next sample (maps and scores per example; probabilities where the head has them). `onSample` is called
   * in sample order after the previous call has settled; await {@link settled} for it (and its errors).
   */
  add(heatmaps: Float32Array[], predictions: number[][], probabilities?: number[][]): void {
    heatmaps.forEach((map, e) => {
      this.maps[e].add(map);
      this.scoreMoments[e].add(predictions[e]);
      this.scoreSamples[e].push(predictions[e]);
      if (this.options.keepSamples) this.kept[e].push(map);
    });
    if (probabilities !== undefined) {
      this.hasProbabilities = true;
      probabilities.forEach((row, e) => this.probabilityMoments[e].add(row));
    }
    const index = this.count++;
    const onSample = this.options.onSample;
    if (onSample !== undefined) {
      this.pending = this.pending.then(() => onSample({ index, heatmaps, predictions }));
      this.pending.catch(() => undefined); // reported by settled(); never an unhandled rejection
    }
    this.options.onProgress?.(this.count, this.options.samples);
  }

  /** Resolves when every `onSample` call so far has settled (rejects with the first error of one). */
  async settled(): Promise<void> {
    await this.pending;
  }

  /** The reduced numbers of example `e` over the samples added. */
  example(e: number): ReducedExample {
    const n = this.count;
    const spread = (m: Moments): SampleSpread => ({ mean: Array.from(m.mean(n)), std: Array.from(m.std(n)) });
    return {
      mean: this.maps[e].mean(n),
      std: this.maps[e].std(n),
      ...(this.options.keepSamples ? { samples: this.kept[e] } : {}),
      predictions: { ...spread(this.scoreMoments[e]), samples: this.scoreSamples[e] },
      ...(this.hasProbabilities ? { probabilities: spread(this.probabilityMoments[e]) } : {}),
    };
  }
}
