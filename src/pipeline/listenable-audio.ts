/**
 * `explain --audio`: per explained recording, the whole recording at its own rate split into what the model used and
 * what it ignored (src/signal/listenable-recording.ts), each part classified again by the model on the window it
 * explained — a faithfulness check a biologist can hear.
 */
import * as tf from '@tensorflow/tfjs';
import type { ExplainableModel } from '../execution/explainable-model.js';
import { WingbeatsError } from '../util/errors.js';
import { computeFeatures } from '../signal/features.js';
import { resampleTo } from '../signal/resample.js';
import { relevanceMask, type RelevanceMaskOptions } from '../signal/listenable.js';
import {
  listeningGain,
  LISTENING_PEAK,
  splitRecording,
  type RecordingParts,
  type UnseenPart,
} from '../signal/listenable-recording.js';
import { encodeWavFloat32 } from '../signal/wav-encode.js';
import type { ExplainedItem } from './explain-items.js';
import { safeRelativePath, type OutputFile } from './output-files.js';

export { AUDIO_OPTIONS } from './audio-option-specs.js';

/** One part as the JSON document shows it. */
export interface AudioPartJson {
  /** File name (relative to the output folder). */
  file: string;
  /** The class the model gives this part (null for a silent part, which has no features). */
  predicted: number | null;
  predictedName?: string;
  /** Its probability (softmax of the head's logits). */
  probability: number | null;
}

/** The settings of `--audio`: how the mask is made from the heatmap, and where what the model never saw goes. */
export interface AudioSettings extends RelevanceMaskOptions {
  /** Default `'ignored'` (see `splitRecording`). */
  unseen?: UnseenPart;
}

/** The one gain both parts are written and played with, and its rule. */
export interface AudioGainJson {
  /** The gain: both files (and the report's players) hold part × value. */
  value: number;
  /** How it was chosen, in words. */
  rule: string;
}

/** The `audio` entry of one result. */
export interface AudioJson {
  /** How the mask was made from the heatmap. */
  mask: Required<RelevanceMaskOptions>;
  /** Where what the model never saw (outside its window, above its highest bin) went (see `splitRecording`). */
  unseen: UnseenPart;
  /** The recording's rate: both parts have the recording's rate and length. */
  sampleRate: number;
  /** The model's window in the recording (seconds), where the parts are classified again. */
  window: { startSeconds: number; endSeconds: number };
  /** The highest frequency (Hz) the model saw. */
  maxHz: number;
  /** The one gain of both parts (see `listeningGain`), so their loudness compares: used + ignored = recording × gain. */
  gain: AudioGainJson;
  used: AudioPartJson;
  ignored: AudioPartJson;
}

/** The window of the recording that the item's features were computed from, at the preset's rate (before peak normalisation). */
export function itemWindow(row: ExplainedItem): { signal: Float32Array; sampleRate: number } {
  const { recording, features } = row.item;
  if (recording === undefined || features === undefined || row.parts !== undefined) {
    throw new WingbeatsError(
      'INVALID_ARGUMENT',
      `Option '--audio' needs .wav inputs explained with a feature preset, but '${row.item.name}' is not one.`,
    );
  }
  const resampled =
    recording.sampleRate === features.sampleRate
      ? recording.samples
      : resampleTo(recording.samples, recording.sampleRate, features.sampleRate);
  const signal = new Float32Array(features.settings.windowLength);
  const end = Math.min(resampled.length, features.start + signal.length);
  for (let t = features.start; t < end; t++) signal[t - features.start] = resampled[t];
  return { signal, sampleRate: features.sampleRate };
}

/** The rule of the parts' common gain, as the JSON states it. */
const GAIN_RULE = `${LISTENING_PEAK} / the largest |sample| of the recording and both parts (one gain for both, so their loudness compares and used + ignored = recording × gain in the files); the predictions are of the parts at the recording's own level (file ÷ gain)`;

/**
 * The used and ignored parts of each explained recording — the whole recording at its own rate and length, split by
 * `splitRecording` with the mask of the item's heatmap — each classified again on the model's window: the part is
 * resampled to the preset's rate (as the recording was), the window the model explained is cut from it and turned into
 * features, and the model's top class and probability are recorded. Both parts are written with one gain
 * (`listeningGain`: the loudest of the recording and its parts at 0.9 of full scale), stated in the entry's `gain`, so
 * they are heard at their true loudness relative to each other; they are classified at the recording's own level.
 * Returns per row its `audio` entry and the two WAV files (`NAME.used.wav`, `NAME.ignored.wav`, 32-bit float, part ×
 * gain), the parts themselves (at the recording's level) and the gains.
 * Throws INVALID_ARGUMENT for items that are not recordings.
 */
export function listenableAudio(
  model: ExplainableModel,
  rows: readonly ExplainedItem[],
  options: AudioSettings & { outputIndex: number },
): { audio: AudioJson[]; files: OutputFile[]; parts: RecordingParts[]; gains: number[] } {
  const mask = { mapping: options.mapping ?? 'hard', share: options.share ?? 0.2 };
  const unseen = options.unseen ?? 'ignored';
  const labels = model.labels(options.outputIndex);
  const files: OutputFile[] = [];
  const split: RecordingParts[] = [];
  const listening: number[] = [];
  const audio = rows.map((row): AudioJson => {
    itemWindow(row); // refuses items that are not recordings explained with a preset
    const recording = row.item.recording as NonNullable<ExplainedItem['item']['recording']>;
    const features = row.item.features as NonNullable<ExplainedItem['item']['features']>;
    const settings = features.settings;
    if (settings.kind === 'spectrogram' && settings.values === 'db')
      throw new WingbeatsError(
        'INVALID_ARGUMENT',
        "Listening to what the model used (--audio) needs a PSD or spectrogram-image recipe: a values 'db' spectrogram (mel bands, dB against a reference) is not split back into sound.",
      );
    let gains = relevanceMask(row.heatmap, mask);
    if (settings.kind === 'spectrogram') {
      // Heatmap rows run from the highest bin down; the mask wants bin 0 first.
      const [bins, frames] = row.heatmapShape;
      const flipped = new Float32Array(bins * frames);
      for (let r = 0; r < bins; r++) flipped.set(gains.subarray(r * frames, (r + 1) * frames), (bins - 1 - r) * frames);
      gains = flipped;
    }
    const parts = splitRecording(recording.samples, recording.sampleRate, gains, settings, features.start, { unseen });
    split.push(parts);
    const gain = listeningGain(recording.samples, parts);
    listening.push(gain);
    const base = safeRelativePath(row.item.name);
    const entry = (kind: 'used' | 'ignored', samples: Float32Array): AudioPartJson => {
      const file = `${base}.${kind}.wav`;
      files.push({
        name: file,
        bytes: encodeWavFloat32(
          samples.map((v) => v * gain),
          recording.sampleRate,
        ),
      });
      const window = modelWindow(
        samples,
        recording.sampleRate,
        features.start,
        settings.windowLength,
        settings.sampleRate,
      );
      if (!window.some((v) => v !== 0)) return { file, predicted: null, probability: null };
      const { data, shape } = computeFeatures(window, settings);
      const probabilities = tf.tidy(() =>
        Array.from(
          model
            .run(tf.tensor(data, [1, ...shape]), { outputIndex: options.outputIndex, scores: 'probabilities' })
            .dataSync(),
        ),
      );
      let best = 0;
      for (let c = 1; c < probabilities.length; c++) if (probabilities[c] > probabilities[best]) best = c;
      return {
        file,
        predicted: best,
        ...(labels?.[best] === undefined ? {} : { predictedName: labels[best] }),
        probability: probabilities[best],
      };
    };
    return {
      mask,
      unseen,
      sampleRate: recording.sampleRate,
      window: {
        startSeconds: parts.windowStart / recording.sampleRate,
        endSeconds: parts.windowEnd / recording.sampleRate,
      },
      maxHz: parts.maxHz,
      gain: { value: gain, rule: GAIN_RULE },
      used: entry('used', parts.used),
      ignored: entry('ignored', parts.ignored),
    };
  });
  return { audio, files, parts: split, gains: listening };
}

/**
 * The model's window of a part, as the model would hear it: resampled to the preset's rate the way the recording was,
 * `length` samples from `start` (zeros past the end, as `--pad` does), in float64 as `featuresFromRecording` keeps it.
 */
export function modelWindow(
  samples: ArrayLike<number>,
  sampleRate: number,
  start: number,
  length: number,
  presetRate: number,
): Float64Array {
  const resampled = sampleRate === presetRate ? samples : resampleTo(samples, sampleRate, presetRate);
  const window = new Float64Array(length);
  const end = Math.min(resampled.length, start + length);
  for (let t = start; t < end; t++) window[t - start] = resampled[t];
  return window;
}
