/** A recording as a `data:audio/wav` URL for the report's audio player (WAV encoding by wavefile; universal). */
import * as wavefileModule from 'wavefile';
import { bytesToDataUrl } from './base64.js';

type WaveFileClass = typeof wavefileModule.WaveFile;
// Node's CommonJS interop exposes the class on `default`.
const WaveFile: WaveFileClass =
  (wavefileModule as { WaveFile?: WaveFileClass }).WaveFile ??
  (wavefileModule as unknown as { default: { WaveFile: WaveFileClass } }).default.WaveFile;

/**
 * Encodes mono samples in [-1, 1] as a 16-bit PCM WAV `data:` URL, peak-normalised to 0.9 so quiet recordings are
 * audible (the samples themselves are not changed).
 */
export function audioDataUrl(samples: ArrayLike<number>, sampleRate: number): string {
  let peak = 0;
  for (let i = 0; i < samples.length; i++) peak = Math.max(peak, Math.abs(samples[i]));
  const gain = peak > 0 ? 0.9 / peak : 0;
  const pcm = Int16Array.from({ length: samples.length }, (_, i) => Math.round(samples[i] * gain * 32767));
  const wav = new WaveFile();
  wav.fromScratch(1, sampleRate, '16', pcm);
  return bytesToDataUrl(wav.toBuffer(), 'audio/wav');
}
