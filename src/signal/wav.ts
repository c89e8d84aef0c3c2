/**
 * WAV decoding from bytes (works in the browser and in Node). The RIFF container is parsed by the
 * `wavefile` package; the samples are decoded here so that every encoding is scaled the way
 * scipy/numpy users expect (int / 2^(bits−1), 8-bit unsigned centred on 128, floats as stored).
 */
import * as wavefileModule from 'wavefile';
import { argumentError, WingbeatsError } from '../util/errors.js';

type WaveFileClass = typeof wavefileModule.WaveFile;
// Node's CommonJS interop exposes the class on `default`, bundlers' ESM build as a named export.
const WaveFile: WaveFileClass =
  (wavefileModule as { WaveFile?: WaveFileClass }).WaveFile ??
  (wavefileModule as unknown as { default: { WaveFile: WaveFileClass } }).default.WaveFile;

/** Options of {@link decodeWav}. */
export interface DecodeWavOptions {
  /** Name used in error messages and kept in the result (e.g. the file name). Default: none. */
  name?: string;
  /** `'mix'` averages all channels (default); a number picks that channel (0-based). */
  channel?: number | 'mix';
}

/** A decoded recording: one channel of float samples and where they came from. */
export interface WavRecording {
  /** The `name` passed to {@link decodeWav}, if any. */
  name?: string;
  /** Sampling rate in Hz. */
  sampleRate: number;
  /** Number of channels in the file. */
  channels: number;
  /** What `samples` holds: `'mix'` (average of all channels) or the chosen channel index. */
  channel: number | 'mix';
  /** One value per frame, full scale ±1 (PCM int / 2^(bits−1); floats as stored). */
  samples: Float32Array;
  /** Encoding in the file. */
  encoding: 'pcm' | 'float';
  /** Bits per stored sample (8, 16, 24, 32 or 64). */
  bitsPerSample: number;
  /** Length in seconds. */
  duration: number;
}

interface FmtChunk {
  audioFormat: number;
  numChannels: number;
  sampleRate: number;
  blockAlign: number;
  bitsPerSample: number;
  subformat?: number[];
}

/** Sampling rates accepted, in Hz: from telephone-grade to ultrasonic recorders; anything else is a damaged header. */
export const WAV_SAMPLE_RATE_RANGE = { min: 1000, max: 1_000_000 } as const;

/** Most channels a WAV file may declare (WAVE_FORMAT_EXTENSIBLE names 18 speaker positions). */
export const MAX_WAV_CHANNELS = 64;

/** Most frames decoded from one file (2^26 ≈ 67 M: 2.3 h at 8 kHz, 25 min at 44.1 kHz; 256 MB as float32). */
export const MAX_WAV_FRAMES = 2 ** 26;

/**
 * The frames a WAV file declares, from its first bytes (`head`, e.g. 64 kB) and its size: the 'fmt ' chunk's block
 * alignment and the 'data' chunk's size (capped by the bytes the file has). Undefined when the head does not reach
 * both chunks or is not a RIFF/RIFX WAVE file (then the full decoder says what is wrong). Lets a reader refuse a
 * recording past {@link MAX_WAV_FRAMES} before reading all of it.
 *
 * @example wavDeclaredFrames(firstBytes, fileSize) // 57600000 for 2 hours at 8 kHz
 */
export function wavDeclaredFrames(head: Uint8Array, fileSize: number): number | undefined {
  if (head.length < 12 || ascii(head, 8, 4) !== 'WAVE') return undefined;
  const container = ascii(head, 0, 4);
  if (container !== 'RIFF' && container !== 'RIFX') return undefined;
  const view = new DataView(head.buffer, head.byteOffset, head.byteLength);
  const little = container === 'RIFF';
  let blockAlign: number | undefined;
  for (let at = 12; at + 8 <= head.length;) {
    const id = ascii(head, at, 4);
    const size = view.getUint32(at + 4, little);
    if (id === 'fmt ' && at + 22 <= head.length) blockAlign = view.getUint16(at + 20, little);
    if (id === 'data') {
      if (blockAlign === undefined || blockAlign === 0) return undefined;
      return Math.floor(Math.min(size, Math.max(0, fileSize - at - 8)) / blockAlign);
    }
    at += 8 + size + (size % 2);
  }
  return undefined;
}

const FORMAT_PCM = 1;
const FORMAT_FLOAT = 3;
const FORMAT_EXTENSIBLE = 0xfffe;
const FORMAT_NAMES: Record<number, string> = { 2: 'MS ADPCM', 6: 'A-law', 7: 'mu-law', 17: 'IMA ADPCM', 85: 'MP3' };

function ascii(bytes: Uint8Array, start: number, length: number): string {
  return String.fromCharCode(...bytes.subarray(start, start + length));
}

/** Names a non-WAV container from its first bytes, or returns undefined. */
function sniffOtherFormat(bytes: Uint8Array): string | undefined {
  if (bytes.length >= 8 && ascii(bytes, 4, 4) === 'ftyp') return "an MP4/M4A/MOV file ('ftyp' box)";
  const head = ascii(bytes, 0, 4);
  if (head === 'OggS') return 'an Ogg file';
  if (head === 'fLaC') return 'a FLAC file';
  if (head.startsWith('ID3') || (bytes[0] === 0xff && (bytes[1] & 0xe0) === 0xe0)) return 'an MP3 file';
  if (head === 'FORM') return 'an AIFF file';
  return undefined;
}

/**
 * Decodes a WAV file held in memory: PCM 8/16/24/32-bit, IEEE float 32/64-bit, plain or
 * WAVE_FORMAT_EXTENSIBLE, RIFF (little-endian) or RIFX (big-endian), any number of channels and any rate.
 * PCM is scaled as int / 2^(bits−1) (24-bit: int / 2^23, the same as scipy's left-justified int32 / 2^31);
 * 8-bit PCM is unsigned: (v − 128) / 128.
 *
 * @param bytes - The whole file.
 * @param options - {@link DecodeWavOptions}: `name` (for messages; default none), `channel` (default `'mix'`).
 * @returns {@link WavRecording} with float32 samples of the mixed or chosen channel.
 * @throws WingbeatsError `INVALID_FILE` naming the file and the problem: not a WAV file (an MP4/M4A renamed to
 *   .wav is recognised by its 'ftyp' box), truncated, no samples, unsupported encoding, NaN or infinite samples;
 *   `INVALID_ARGUMENT` for a channel the file does not have.
 * @example
 * const rec = decodeWav(new Uint8Array(await (await fetch('bee.wav')).arrayBuffer()), { name: 'bee.wav' });
 * rec.sampleRate; // 44100
 */
export function decodeWav(bytes: Uint8Array, options: DecodeWavOptions = {}): WavRecording {
  if (!(bytes instanceof Uint8Array)) throw argumentError('decodeWav', 'bytes', 'a Uint8Array', bytes);
  const label = options.name !== undefined ? `File '${options.name}'` : 'The WAV data';
  const fail = (problem: string, cause?: unknown): never => {
    throw new WingbeatsError('INVALID_FILE', `${label} ${problem}`, cause === undefined ? undefined : { cause });
  };

  if (bytes.length < 12) fail(`is truncated or empty: ${bytes.length} bytes, less than a WAV header.`);
  const container = ascii(bytes, 0, 4);
  if (!['RIFF', 'RIFX', 'RF64'].includes(container) || ascii(bytes, 8, 4) !== 'WAVE') {
    const other = sniffOtherFormat(bytes);
    fail(
      other !== undefined
        ? `is not a WAV file: it is ${other}. Convert it to WAV first (e.g. ffmpeg -i input output.wav).`
        : `is not a WAV file: it does not start with a RIFF/WAVE header.`,
    );
  }

  const wav = new WaveFile();
  try {
    wav.fromBuffer(bytes);
  } catch (error) {
    const reason = error instanceof Error ? error.message : String(error);
    fail(`is truncated or damaged: ${reason.replace(/\.$/, '')}.`, error);
  }
  const fmt = wav.fmt as FmtChunk;
  const dataChunk = (wav as unknown as { data: { chunkSize: number; samples: Uint8Array } }).data;

  let encoding: 'pcm' | 'float';
  let formatCode = fmt.audioFormat;
  if (formatCode === FORMAT_EXTENSIBLE) {
    if (fmt.subformat === undefined) fail('is truncated: its WAVE_FORMAT_EXTENSIBLE header has no sub-format.');
    formatCode = fmt.subformat![0];
  }
  if (formatCode === FORMAT_PCM) encoding = 'pcm';
  else if (formatCode === FORMAT_FLOAT) encoding = 'float';
  else {
    const known = FORMAT_NAMES[formatCode];
    return fail(
      `uses WAV format code ${formatCode}${known ? ` (${known})` : ''}, which is not supported: only PCM and IEEE float.`,
    );
  }
  const bits = fmt.bitsPerSample;
  const supported = encoding === 'pcm' ? [8, 16, 24, 32] : [32, 64];
  if (!supported.includes(bits))
    fail(
      `has ${bits}-bit ${encoding === 'pcm' ? 'PCM' : 'float'} samples, which is not supported (${supported.join('/')} bits).`,
    );
  const channels = fmt.numChannels;
  if (!(channels >= 1 && channels <= MAX_WAV_CHANNELS))
    fail(`declares ${channels} channels; expected 1 to ${MAX_WAV_CHANNELS}.`);
  const { min, max } = WAV_SAMPLE_RATE_RANGE;
  if (!(Number.isInteger(fmt.sampleRate) && fmt.sampleRate >= min && fmt.sampleRate <= max)) {
    fail(
      `declares a sampling rate of ${fmt.sampleRate} Hz; expected ${min} to ${max} Hz (a damaged header, or not a sound recording).`,
    );
  }
  const bytesPerSample = bits / 8;
  const frameBytes = bytesPerSample * channels;
  if (fmt.blockAlign !== frameBytes) {
    fail(
      `is inconsistent: its block alignment is ${fmt.blockAlign} bytes but ${channels} channel(s) of ${bits}-bit samples take ${frameBytes}.`,
    );
  }

  // The bytes present, cut to the declared size (wavefile includes the pad byte of odd-sized chunks).
  const declared = dataChunk.chunkSize;
  let data = dataChunk.samples;
  if (declared !== 0xffffffff) {
    if (data.length < declared)
      fail(`is truncated: its 'data' chunk declares ${declared} bytes but only ${data.length} are present.`);
    data = data.subarray(0, declared);
  }
  const frames = Math.floor(data.length / frameBytes);
  if (frames === 0) fail('has no audio samples (its data chunk is empty).');
  if (frames > MAX_WAV_FRAMES) {
    fail(
      `holds ${frames} frames (${(frames / fmt.sampleRate / 60).toFixed(1)} min), more than the limit of ${MAX_WAV_FRAMES} frames; ` +
        'cut it into shorter files (e.g. sox in.wav part.wav trim 0 600 : newfile : restart).',
    );
  }

  const channel = options.channel ?? 'mix';
  if (channel !== 'mix' && !(Number.isInteger(channel) && channel >= 0 && channel < channels)) {
    throw argumentError(
      'decodeWav',
      'options.channel',
      `'mix' or an integer in [0, ${channels - 1}] (the file has ${channels} channel(s))`,
      channel,
    );
  }

  const view = new DataView(data.buffer, data.byteOffset, frames * frameBytes);
  const little = container !== 'RIFX';
  const read = sampleReader(view, encoding, bits, little);
  const samples = new Float32Array(frames);
  const first = channel === 'mix' ? 0 : channel;
  const count = channel === 'mix' ? channels : 1;
  for (let f = 0; f < frames; f++) {
    let sum = 0;
    for (let c = first; c < first + count; c++) sum += read(f * frameBytes + c * bytesPerSample);
    samples[f] = count === 1 ? sum : sum / count;
  }
  if (encoding === 'float') {
    for (let f = 0; f < frames; f++) {
      if (!Number.isFinite(samples[f])) {
        fail(`has ${Number.isNaN(samples[f]) ? 'NaN' : 'infinite'} samples (first at frame ${f} of ${frames}).`);
      }
    }
  }
  const result: WavRecording = {
    sampleRate: fmt.sampleRate,
    channels,
    channel,
    samples,
    encoding,
    bitsPerSample: bits,
    duration: frames / fmt.sampleRate,
  };
  if (options.name !== undefined) result.name = options.name;
  return result;
}

/** A function reading one sample (as a float at full scale ±1) at a byte offset. */
function sampleReader(
  view: DataView,
  encoding: 'pcm' | 'float',
  bits: number,
  little: boolean,
): (at: number) => number {
  if (encoding === 'float') {
    return bits === 32 ? (at) => view.getFloat32(at, little) : (at) => view.getFloat64(at, little);
  }
  switch (bits) {
    case 8:
      return (at) => (view.getUint8(at) - 128) / 128;
    case 16:
      return (at) => view.getInt16(at, little) / 32768;
    case 24:
      return little
        ? (at) => (view.getUint8(at) | (view.getUint8(at + 1) << 8) | (view.getInt8(at + 2) << 16)) / 8388608
        : (at) => (view.getUint8(at + 2) | (view.getUint8(at + 1) << 8) | (view.getInt8(at) << 16)) / 8388608;
    default:
      return (at) => view.getInt32(at, little) / 2147483648;
  }
}
