/**
 * What a player of a listenable explanation shows, shared by the HTML report and the browser page: the caption of each
 * part (what the model makes of it). Both play at the one gain of the JSON's `audio.gain` (`listeningGain`).
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
