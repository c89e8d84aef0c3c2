/**
 * Explanations you can hear, on the page: each explained recording split into what the model used and what it ignored
 * (the library's `listenableAudio`, as `explain --audio` and the report do), played beside the recording at one common
 * gain, with the report's captions and the CLI's WAV files as downloads.
 */
import {
  AUDIO_OPTIONS,
  WingbeatsError,
  audioPartCaption,
  encodeWavFloat32,
  listenableAudio,
  type AudioJson,
  type AudioPartKind,
  type ExplainableModel,
  type ExplainedItem,
  type MaskMapping,
  type UnseenPart,
} from '../src/index.js';
import { bytesToDataUrl } from '../src/render/base64.js';
import { pageMessage } from './page-message.js';

/** The listening options the page offers (the mask's mapping and share; the page always listens to recordings). */
export const LISTENING_OPTIONS = AUDIO_OPTIONS.filter((o) => o.name !== 'audio');

/** What the page says listening does: the `--audio` option's help without its command-line part. */
export const LISTENING_HINT = `${AUDIO_OPTIONS[0].help
  .replace(/ \(explain:.*\)$/, '')
  .replace(/^split each \.wav input/, 'split each recording')
  .replace(/^./, (c) => c.toUpperCase())}.`;

/** One explained recording, split: the JSON entry the CLI writes, the playback gain, and the WAV files. */
export interface Listening {
  /** The `audio` entry of `explain --audio --json` (predictions of each part, mask, window). */
  audio: AudioJson;
  /** The one gain the recording and both parts are played at (the JSON's `audio.gain.value`: `listeningGain`). */
  playbackGain: number;
  /** `NAME.used.wav` and `NAME.ignored.wav` as the CLI writes them (32-bit float, the recording's rate and length). */
  files: { name: string; bytes: Uint8Array }[];
  /** The recording and its parts, at the recording's rate. */
  recording: Float32Array;
  used: Float32Array;
  ignored: Float32Array;
}

/**
 * Splits each explained recording with the mask `options` (`audioMask`, `audioShare`), each part classified again by
 * `model`'s head `output`. Items that are not recordings get `undefined`; a recording the library cannot split (a dB
 * spectrogram preset) gets the library's reason, in the page's words.
 */
export function listenToRows(
  model: ExplainableModel,
  rows: readonly ExplainedItem[],
  output: number,
  options: Record<string, unknown>,
): (Listening | { note: string } | undefined)[] {
  const mapping = options.audioMask as MaskMapping;
  const share = options.audioShare as number;
  const unseen = options.audioUnseen as UnseenPart;
  return rows.map((row) => {
    const recording = row.item.recording;
    if (recording === undefined || row.parts !== undefined) return undefined;
    try {
      const { audio, files, parts } = listenableAudio(model, [row], { mapping, share, unseen, outputIndex: output });
      const samples = Float32Array.from(recording.samples);
      return {
        audio: audio[0],
        playbackGain: audio[0].gain.value,
        files: files.flatMap((f) => ('bytes' in f ? [{ name: f.name, bytes: f.bytes }] : [])),
        recording: samples,
        used: parts[0].used,
        ignored: parts[0].ignored,
      };
    } catch (error) {
      if (error instanceof WingbeatsError) return { note: pageMessage(error.message) };
      throw error;
    }
  });
}

/** A WAV file as a `data:` URL (as the report embeds its players): nothing to revoke when the next result replaces it. */
function wavUrl(bytes: Uint8Array): string {
  return bytesToDataUrl(bytes, 'audio/wav');
}

/** One player: its caption above an `<audio>` control of `samples` at the common gain. */
function player(kind: 'original' | AudioPartKind, caption: string, samples: Float32Array, listening: Listening) {
  const part = document.createElement('div');
  part.className = `part ${kind}`;
  part.dataset.part = kind;
  const label = document.createElement('div');
  label.className = 'part-caption';
  label.textContent = caption;
  const audio = document.createElement('audio');
  audio.controls = true;
  audio.preload = 'metadata';
  const gain = listening.playbackGain;
  audio.src = wavUrl(
    encodeWavFloat32(
      Float32Array.from(samples, (v) => v * gain),
      listening.audio.sampleRate,
    ),
  );
  part.append(label, audio);
  return part;
}

/**
 * The listening block of one result: the recording, what the model used and what it ignored as players (captions from
 * the report's code), a line on the mask and the window, and the two WAV files as downloads.
 */
export function listeningSection(listening: Listening | { note: string }): HTMLElement {
  const section = document.createElement('section');
  section.className = 'listening';
  const heading = document.createElement('h3');
  heading.textContent = 'Listen';
  section.append(heading);
  if ('note' in listening) {
    const note = document.createElement('p');
    note.className = 'listening-note';
    note.textContent = listening.note;
    section.append(note);
    return section;
  }
  const { audio } = listening;
  const seconds = (s: number): string => s.toFixed(2);
  const players = document.createElement('div');
  players.className = 'players';
  players.append(
    player('original', 'The recording', listening.recording, listening),
    player('used', audioPartCaption('used', audio.used), listening.used, listening),
    player('ignored', audioPartCaption('ignored', audio.ignored), listening.ignored, listening),
  );
  const about = document.createElement('p');
  about.className = 'caption';
  about.textContent =
    `Mask: ${audio.mask.mapping}, the most relevant ${Math.round(audio.mask.share * 100)} % counted as used; ` +
    `used + ignored = the recording. The model heard ${seconds(audio.window.startSeconds)}–${seconds(audio.window.endSeconds)} s ` +
    `up to ${Math.round(audio.maxHz)} Hz; the rest counts as ignored. All three play at one gain, so their loudness compares.`;
  const links = document.createElement('p');
  links.className = 'wav-links';
  for (const file of listening.files) {
    const link = document.createElement('a');
    link.href = wavUrl(file.bytes);
    link.download = file.name;
    link.textContent = file.name;
    link.dataset.part = file.name.endsWith('.used.wav') ? 'used' : 'ignored';
    links.append(link);
  }
  section.append(players, about, links);
  return section;
}
