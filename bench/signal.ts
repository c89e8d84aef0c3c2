/** Benchmarks of the signal pipeline (no TensorFlow.js): resampling, Welch PSD, spectrogram image, whole presets. */
import { featuresFromRecording, computeFeatures } from '../src/signal/features.js';
import { resampleTo } from '../src/signal/resample.js';
import { decodeWav } from '../src/signal/wav.js';

function medianMs(fn: () => unknown, repeats: number): number {
  fn();
  const times: number[] = [];
  for (let i = 0; i < repeats; i++) {
    const start = performance.now();
    fn();
    times.push(performance.now() - start);
  }
  times.sort((a, b) => a - b);
  return Number(times[Math.floor(times.length / 2)].toFixed(4));
}

/** A 1-s synthetic wingbeat (470 Hz and harmonics plus a little noise) at `rate`. */
function wingbeat(rate: number, seconds = 1): Float32Array {
  const x = new Float32Array(Math.round(rate * seconds));
  let seed = 12345;
  for (let n = 0; n < x.length; n++) {
    seed = (seed * 16807) % 2147483647;
    let v = 0.01 * (seed / 2147483647 - 0.5);
    for (let h = 1; h <= 5; h++) v += Math.sin((2 * Math.PI * 470 * h * n) / rate + h * 0.5) / 2 ** (h - 1);
    x[n] = v / 2;
  }
  return x;
}

/** A 16- or 24-bit PCM mono WAV of `samples` (written by hand: the benchmark measures decoding only). */
function wavBytes(samples: Float32Array, rate: number, bits: 16 | 24): Uint8Array {
  const width = bits / 8;
  const out = new Uint8Array(44 + samples.length * width);
  const view = new DataView(out.buffer);
  out.set([82, 73, 70, 70], 0);
  view.setUint32(4, out.length - 8, true);
  out.set([87, 65, 86, 69, 102, 109, 116, 32], 8);
  view.setUint32(16, 16, true);
  view.setUint16(20, 1, true);
  view.setUint16(22, 1, true);
  view.setUint32(24, rate, true);
  view.setUint32(28, rate * width, true);
  view.setUint16(32, width, true);
  view.setUint16(34, bits, true);
  out.set([100, 97, 116, 97], 36);
  view.setUint32(40, samples.length * width, true);
  for (let i = 0; i < samples.length; i++) {
    const v = Math.round(samples[i] * (2 ** (bits - 1) - 1));
    if (bits === 16) view.setInt16(44 + 2 * i, v, true);
    else {
      view.setUint8(44 + 3 * i, v & 0xff);
      view.setUint8(45 + 3 * i, (v >> 8) & 0xff);
      view.setInt8(46 + 3 * i, v >> 16);
    }
  }
  return out;
}

/** Median milliseconds of each stage; `samplesPerSecond` figures are throughput of the full Potamitis path. */
export async function benchSignal(): Promise<Record<string, number>> {
  const x44 = wingbeat(44100);
  const x96 = wingbeat(96000);
  const x8 = wingbeat(8000, 5000 / 8000);
  const x16 = wingbeat(16000, 1680 / 16000);
  const wav24 = wavBytes(x44, 44100, 24);
  const recording44 = { samples: x44, sampleRate: 44100 };
  return {
    decodeWav24bit1s44kMs: medianMs(() => decodeWav(wav24), 20),
    resample1s44kTo8kMs: medianMs(() => resampleTo(x44, 44100, 8000), 20),
    resample1s44kTo16kMs: medianMs(() => resampleTo(x44, 44100, 16000), 20),
    resample1s96kTo8kMs: medianMs(() => resampleTo(x96, 96000, 8000), 20),
    potamitisPsdMs: medianMs(() => computeFeatures(x8, 'potamitis-psd'), 50),
    potamitisSpectrogramMs: medianMs(() => computeFeatures(x8, 'potamitis-spectrogram'), 50),
    keoghPsdMs: medianMs(() => computeFeatures(x16, 'keogh-psd'), 50),
    keoghSpectrogramMs: medianMs(() => computeFeatures(x16, 'keogh-spectrogram'), 50),
    recording1s44kToPotamitisPsdMs: medianMs(() => featuresFromRecording(recording44, 'potamitis-psd'), 20),
    recording1s44kToPotamitisSpectrogramMs: medianMs(
      () => featuresFromRecording(recording44, 'potamitis-spectrogram'),
      20,
    ),
  };
}
