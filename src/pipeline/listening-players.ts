/**
 * What a player of a listenable explanation shows, shared by the HTML report and the browser page: the caption of each
 * part (what the model makes of it) and one playback gain for the recording and both parts, so their loudness compares.
 */
import type { AudioPartJson } from './listenable-audio.js';

/** The two parts of a listenable explanation. */
export type AudioPartKind = 'used' | 'ignored';

/**
 * The caption of a part's player: which part it is and the class the model gives it with its probability.
 * @example audioPartCaption('used', { file: 'a.used.wav', predicted: 2, predictedName: 'Ae_aegypti', probability: 0.91 })
 * // "What the model used: classified as Ae_aegypti (p = 0.910)"
 */
export function audioPartCaption(kind: AudioPartKind, part: AudioPartJson): string {
  return `${kind === 'used' ? 'What the model used' : 'What it ignored'}: classified as ${
    part.predicted === null
      ? 'nothing (silent)'
      : `${part.predictedName ?? `class ${part.predicted}`} (p = ${(part.probability ?? 0).toFixed(3)})`
  }`;
}

/**
 * One gain for several signals played side by side (the recording and its used and ignored parts): `peak` over the
 * largest |sample| of all of them, so the loudest reaches `peak` and the others keep their level relative to it (a
 * part that is quiet because the model ignored little sounds quiet). 0 when every signal is silent.
 * @example commonPlaybackGain([recording, used, ignored]) // 0.9 / max |sample|
 */
export function commonPlaybackGain(signals: readonly ArrayLike<number>[], peak = 0.9): number {
  let largest = 0;
  for (const signal of signals)
    for (let i = 0; i < signal.length; i++) largest = Math.max(largest, Math.abs(signal[i]));
  return largest > 0 ? peak / largest : 0;
}
