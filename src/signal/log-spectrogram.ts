/**
 * A spectrogram in dB over linear FFT bins or mel bands (`values: 'db'` recipes): what librosa's
 * `power_to_db(melspectrogram(...))` gives, laid out as a model input. Plain code, no TensorFlow.js.
 */
import { argumentError } from '../util/errors.js';
import { toDecibels } from './decibels.js';
import { melFilterbank } from './mel.js';
import { spectrogramFrames, spectrogramLayout, type SpectrogramFeatureSettings } from './presets.js';
import { stftPower } from './stft.js';

/**
 * The `values: 'db'` model input of one window:
 * 1. (`center`) `frameLength / 2` zeros padded at both ends;
 * 2. power STFT `|X|²` ({@link stftPower}; periodic Hann, no scaling), or `|X|` for `power: 1`;
 * 3. the first `bins` FFT bins, or `bins` mel bands (filterbank × spectrum, {@link melFilterbank});
 * 4. dB: `10·log10` (power) or `20·log10` (magnitude) against `ref`, floored at 1e-10 (1e-5), clipped to `topDb`
 *    below the loudest cell ({@link toDecibels});
 * 5. `scaling` per input (min-max to [0, 1], or z-score), then float32 in `[bins][frames][channels]`, row 0 the
 *    lowest frequency unless `rowOrder: 'high-first'`.
 *
 * @param signal - The window at `settings.sampleRate` (already peak-normalised if the recipe says so).
 * @param settings - A spectrogram recipe with `values: 'db'`.
 * @returns `{ data, shape }` with shape `[bins, frames, channels]`.
 * @throws WingbeatsError `INVALID_ARGUMENT` for bad settings or a signal shorter than one frame.
 * @example logSpectrogram(window, { kind: 'spectrogram', values: 'db', frequencyScale: 'mel', bins: 128, ... })
 */
export function logSpectrogram(
  signal: ArrayLike<number>,
  settings: SpectrogramFeatureSettings,
): { data: Float32Array; shape: number[] } {
  const fn = 'logSpectrogram';
  let x: ArrayLike<number> = signal;
  if (settings.center === true) {
    const half = Math.floor(settings.frameLength / 2);
    const padded = new Float64Array(signal.length + 2 * half);
    for (let i = 0; i < signal.length; i++) padded[half + i] = signal[i];
    x = padded;
  }
  const stft = stftPower(x, {
    frameLength: settings.frameLength,
    frameStep: settings.frameStep,
    fftLength: settings.fftLength,
  });
  const { frames, bins: fftBins } = stft;
  const power = settings.power ?? 2;
  const spectrum = power === 2 ? stft.power : stft.power.map(Math.sqrt);
  const rows = settings.bins;
  const cells = new Float64Array(rows * frames); // [row][frame], row 0 = lowest frequency
  if ((settings.frequencyScale ?? 'linear') === 'mel') {
    const bank = melFilterbank(settings.sampleRate, settings.fftLength, rows, {
      fmin: settings.fmin,
      fmax: settings.fmax,
      scale: settings.melScale,
      norm: settings.melNorm,
    });
    for (let b = 0; b < rows; b++) {
      const w = bank.weights.subarray(b * fftBins, (b + 1) * fftBins);
      for (let t = 0; t < frames; t++) {
        let sum = 0;
        const frame = t * fftBins;
        for (let k = 0; k < fftBins; k++) if (w[k] !== 0) sum += w[k] * spectrum[frame + k];
        cells[b * frames + t] = sum;
      }
    }
  } else {
    if (rows > fftBins) throw argumentError(fn, 'settings.bins', `<= fftLength / 2 + 1 (${fftBins})`, rows);
    for (let k = 0; k < rows; k++) for (let t = 0; t < frames; t++) cells[k * frames + t] = spectrum[t * fftBins + k];
  }
  const db = toDecibels(cells, { multiplier: power === 2 ? 10 : 20, ref: settings.ref, topDb: settings.topDb });
  scaleInPlace(db, settings.scaling ?? 'none');
  const { channels, rowOrder } = spectrogramLayout(settings);
  const expectedFrames = spectrogramFrames({ ...settings, windowLength: signal.length });
  if (expectedFrames !== frames) throw argumentError(fn, 'signal', `${expectedFrames} frames`, frames);
  const data = new Float32Array(rows * frames * channels);
  for (let r = 0; r < rows; r++) {
    const row = rowOrder === 'low-first' ? r : rows - 1 - r;
    for (let t = 0; t < frames; t++) {
      const value = db[r * frames + t];
      const at = (row * frames + t) * channels;
      for (let c = 0; c < channels; c++) data[at + c] = value;
    }
  }
  return { data, shape: [rows, frames, channels] };
}

/** Min-max to [0, 1] (a constant input becomes 0) or z-score (a constant input becomes 0), in place. */
function scaleInPlace(values: Float64Array, scaling: 'none' | 'min-max' | 'z-score'): void {
  if (scaling === 'none' || values.length === 0) return;
  if (scaling === 'min-max') {
    let lo = Infinity;
    let hi = -Infinity;
    for (const v of values) {
      lo = Math.min(lo, v);
      hi = Math.max(hi, v);
    }
    const range = hi - lo;
    for (let i = 0; i < values.length; i++) values[i] = range > 0 ? (values[i] - lo) / range : 0;
    return;
  }
  let mean = 0;
  for (const v of values) mean += v;
  mean /= values.length;
  let variance = 0;
  for (const v of values) variance += (v - mean) ** 2;
  const sd = Math.sqrt(variance / values.length);
  for (let i = 0; i < values.length; i++) values[i] = sd > 0 ? (values[i] - mean) / sd : 0;
}
