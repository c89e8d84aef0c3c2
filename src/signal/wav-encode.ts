/** Writes mono 32-bit float WAV files (format 3, IEEE float): samples are stored exactly as given. */

/**
 * Encodes mono `samples` at `sampleRate` Hz as a 32-bit IEEE-float WAV file (RIFF, `fmt ` format 3, `data`), so reading
 * it back gives the same float32 values. Returns the file's bytes.
 * @example writeFileSync('used.wav', encodeWavFloat32(used, 8000));
 */
export function encodeWavFloat32(samples: ArrayLike<number>, sampleRate: number): Uint8Array {
  const dataBytes = samples.length * 4;
  const bytes = new Uint8Array(44 + dataBytes);
  const view = new DataView(bytes.buffer);
  const text = (offset: number, value: string): void => {
    for (let i = 0; i < value.length; i++) bytes[offset + i] = value.charCodeAt(i);
  };
  text(0, 'RIFF');
  view.setUint32(4, 36 + dataBytes, true);
  text(8, 'WAVE');
  text(12, 'fmt ');
  view.setUint32(16, 16, true);
  view.setUint16(20, 3, true); // IEEE float
  view.setUint16(22, 1, true); // mono
  view.setUint32(24, sampleRate, true);
  view.setUint32(28, sampleRate * 4, true);
  view.setUint16(32, 4, true);
  view.setUint16(34, 32, true);
  text(36, 'data');
  view.setUint32(40, dataBytes, true);
  for (let i = 0; i < samples.length; i++) view.setFloat32(44 + 4 * i, samples[i], true);
  return bytes;
}
