/** A recording as a `data:audio/wav` URL for the report's audio player (WAV encoding by wavefile; universal). */
import * as wavefileModule from 'wavefile';
import { bytesToDataUrl } from './base64.js';

type WaveFileClass = typeof wavefileModule.WaveFile;
// Node's CommonJS interop exposes the class on `default`.
const WaveFile: WaveFileClass =
  (wavefileModule as { WaveFile?: WaveFileClass }).WaveFile ??
  (wavefileModule as unknown as { default: { WaveFile: WaveFileClass } }).default.WaveFile;

/**
 * Encodes mono samples in [-1, 1] as a 16-bit PCM WAV `data:` URL. Without `gain`, peak-normalised to 0.9 so quiet
 * recordings are audible; with `gain`, every sample is multiplied by it (clipped to full scale), so several players
 * given one gain keep their loudness relative to each other (see `listeningGain`). The samples are not changed.
 */
export function audioDataUrl(samples: ArrayLike<number>, sampleRate: number, gain?: number): string {
  let peak = 0;
  if (gain === undefined) for (let i = 0; i < samples.length; i++) peak = Math.max(peak, Math.abs(samples[i]));
  const g = gain ?? (peak > 0 ? 0.9 / peak : 0);
  const pcm = Int16Array.from({ length: samples.length }, (_, i) =>
    Math.round(Math.max(-1, Math.min(1, samples[i] * g)) * 32767),
  );
  const wav = new WaveFile();
  wav.fromScratch(1, sampleRate, '16', pcm);
  return bytesToDataUrl(wav.toBuffer(), 'audio/wav');
}
