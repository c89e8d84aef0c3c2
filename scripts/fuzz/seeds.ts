/** Valid seed files the fuzz suite mutates: WAV, .npy, .json inputs, statistics, model.json + weights, Keras .h5. */
import { existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { zipSync } from 'fflate';
import { encodeNpy } from '../../src/io/npy.js';
import { writeKerasH5, type WeightToWrite } from '../../test/models/write-keras-h5.js';
import { kerasWeightsH5 } from '../../test/models/write-keras-archive.js';
import { archiveVariables, keras3Sequential, type LayerSpec } from '../../test/models/keras-files.js';
import { encodeTableFile, type DatasetRow } from './table-bytes.js';

/** The repository root. */
export const repoRoot = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..', '..');

/** A PCM or float WAV file of `channels` channels holding a tone. */
export function toneWav(options: {
  rate: number;
  seconds: number;
  channels: number;
  bits: 8 | 16 | 24 | 32;
  float?: boolean;
}): Uint8Array {
  const { rate, channels, bits } = options;
  const frames = Math.round(rate * options.seconds);
  const bytesPerSample = bits / 8;
  const dataBytes = frames * channels * bytesPerSample;
  const out = new Uint8Array(44 + dataBytes);
  const view = new DataView(out.buffer);
  const ascii = (at: number, text: string): void => [...text].forEach((c, i) => (out[at + i] = c.charCodeAt(0)));
  ascii(0, 'RIFF');
  view.setUint32(4, 36 + dataBytes, true);
  ascii(8, 'WAVE');
  ascii(12, 'fmt ');
  view.setUint32(16, 16, true);
  view.setUint16(20, options.float === true ? 3 : 1, true);
  view.setUint16(22, channels, true);
  view.setUint32(24, rate, true);
  view.setUint32(28, rate * channels * bytesPerSample, true);
  view.setUint16(32, channels * bytesPerSample, true);
  view.setUint16(34, bits, true);
  ascii(36, 'data');
  view.setUint32(40, dataBytes, true);
  for (let f = 0; f < frames; f++) {
    const v =
      0.5 *
      Math.sin((2 * Math.PI * 600 * f) / rate) *
      (0.3 + 0.7 * Math.exp(-(((f / rate - options.seconds / 2) / 0.1) ** 2)));
    for (let c = 0; c < channels; c++) {
      const at = 44 + (f * channels + c) * bytesPerSample;
      if (options.float === true) view.setFloat32(at, v, true);
      else if (bits === 8) view.setUint8(at, Math.round(128 + v * 127));
      else if (bits === 16) view.setInt16(at, Math.round(v * 32767), true);
      else if (bits === 24) {
        const i = Math.round(v * 8388607);
        view.setUint8(at, i & 0xff);
        view.setUint8(at + 1, (i >> 8) & 0xff);
        view.setInt8(at + 2, i >> 16);
      } else view.setInt32(at, Math.round(v * 2147483647), true);
    }
  }
  return out;
}

/** A PSD-like input of 129 values. */
export function psdValues(offset = 0): number[] {
  return Array.from({ length: 129 }, (_, i) => -60 + 40 * Math.exp(-(((i - 20 - offset) / 6) ** 2)));
}

/** A .npy file of format version 1, 2 or 3 holding float32 `data` of `shape`. */
export function npyBytes(data: Float32Array, shape: number[], version: 1 | 2 | 3 = 1): Uint8Array {
  const v1 = encodeNpy(data, shape);
  if (version === 1) return v1;
  const headerLength = new DataView(v1.buffer).getUint16(8, true);
  const out = new Uint8Array(v1.length + 2);
  out.set(v1.subarray(0, 8));
  out[6] = version;
  new DataView(out.buffer).setUint32(8, headerLength, true);
  out.set(v1.subarray(10), 12);
  return out;
}

/** Every seed, built once per worker. */
export interface Seeds {
  wav: Uint8Array[];
  npy: Uint8Array[];
  jsonInputs: unknown[];
  stats: unknown;
  modelJson: Record<string, unknown>;
  weightsBin: Uint8Array;
  h5: Uint8Array[];
  h5Config: Record<string, unknown>;
  /** A Keras 3 `.keras` archive: Dense 129 → 2. */
  keras: Uint8Array;
  /** A data-set manifest over `manifestFiles` (paths relative to its folder). */
  manifest: string;
  manifestFiles: string[];
  /** A part file of a data-set run (two rows) and the run's settings.json. */
  part: Uint8Array;
  settings: Record<string, unknown>;
}

/** The layers of the `.keras` seed. */
function denseLayers(): LayerSpec[] {
  const values = (n: number): number[] => Array.from({ length: n }, (_, i) => ((i * 37) % 11) / 20 - 0.25);
  return [
    {
      class_name: 'Dense',
      config: { name: 'dense', units: 2, activation: 'linear', use_bias: true },
      weights: [
        { name: 'kernel', shape: [129, 2], values: values(258), kerasPath: 'layers/dense/vars/0' },
        { name: 'bias', shape: [2], values: values(2), kerasPath: 'layers/dense/vars/1' },
      ],
    },
  ];
}

/** The settings.json of a data-set run over the seed manifest. */
export function runSettings(): Record<string, unknown> {
  return {
    format: 'wingbeats-xai-dataset/1',
    model: { file: '/m/model.json', name: 'm', output: 'out', labels: ['a', 'b'], inputShape: [129, 1] },
    input: { path: '/d/manifest.csv', kind: 'manifest', root: '/d' },
    limit: null,
    methods: ['saliency'],
    methodOptions: {},
    target: null,
    scores: 'logits',
    seed: 1,
    preset: 'potamitis-psd',
    windows: 'loudest',
    heatmapShape: [129],
    producedBy: { version: '0.1.0', modelSha256: '0'.repeat(64) },
  };
}

function partRows(): DatasetRow[] {
  const base = {
    index: 0,
    split: null,
    method: 'saliency',
    predicted: 'a',
    predictedIndex: 0,
    target: 0,
    targetName: 'a',
    probabilities: [0.75, 0.25],
    scores: [1, -0.1],
    heads: null,
    delta: null,
    warnings: [],
  };
  return [
    {
      ...base,
      path: 'a/x.wav',
      label: 'a',
      input: psdValues(),
      attributions: psdValues(2),
      heatmap: psdValues(4).map((v) => (v + 60) / 40),
      error: null,
    },
    {
      ...base,
      path: 'b/y.wav',
      label: 'b',
      input: null,
      attributions: null,
      heatmap: null,
      error: "File 'b/y.wav' is not a WAV file.",
    },
  ];
}

/** A Functional Keras config: input [129] → Dense 'dense_1' (3 units) → Dense 'out' (2 units, softmax). */
export function functionalConfig(): Record<string, unknown> {
  return {
    class_name: 'Functional',
    config: {
      name: 'tiny',
      layers: [
        {
          class_name: 'InputLayer',
          name: 'x',
          config: { name: 'x', batch_input_shape: [null, 129], dtype: 'float32' },
          inbound_nodes: [],
        },
        {
          class_name: 'Dense',
          name: 'dense_1',
          config: { name: 'dense_1', units: 3, activation: 'relu', use_bias: true },
          inbound_nodes: [[['x', 0, 0, {}]]],
        },
        {
          class_name: 'Dense',
          name: 'out',
          config: { name: 'out', units: 2, activation: 'softmax', use_bias: true },
          inbound_nodes: [[['dense_1', 0, 0, {}]]],
        },
      ],
      input_layers: [['x', 0, 0]],
      output_layers: [['out', 0, 0]],
    },
  };
}

/** The weights of {@link functionalConfig}. */
export function functionalWeights(): [string, WeightToWrite[]][] {
  const values = (n: number): Float32Array => Float32Array.from({ length: n }, (_, i) => ((i * 37) % 11) / 20 - 0.25);
  return [
    ['x', []],
    [
      'dense_1',
      [
        { name: 'dense_1/kernel:0', shape: [129, 3], values: values(387) },
        { name: 'dense_1/bias:0', shape: [3], values: values(3) },
      ],
    ],
    [
      'out',
      [
        { name: 'out/kernel:0', shape: [3, 2], values: values(6) },
        { name: 'out/bias:0', shape: [2], values: values(2) },
      ],
    ],
  ];
}

/** Writes a Keras .h5 with h5wasm and returns its bytes. */
export async function kerasH5Bytes(
  layers: ReturnType<typeof functionalWeights>,
  config?: unknown,
): Promise<Uint8Array> {
  const dir = mkdtempSync(path.join(tmpdir(), 'wingbeats-fuzz-h5-'));
  try {
    const file = path.join(dir, 'm.h5');
    await writeKerasH5(file, layers, config);
    return new Uint8Array(readFileSync(file));
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

/** Builds the seeds (the real SimpleCls .h5 of ../shared joins them when present). */
export async function buildSeeds(): Promise<Seeds> {
  const psd = psdValues();
  const shared = path.resolve(
    repoRoot,
    '..',
    'shared',
    'models',
    'Potatamis',
    'psd',
    'SimpleCls',
    'SimpleCls_psd_frozen.h5',
  );
  const h5 = [await kerasH5Bytes(functionalWeights(), functionalConfig())];
  if (existsSync(shared)) h5.push(new Uint8Array(readFileSync(shared)));
  return {
    wav: [
      toneWav({ rate: 8000, seconds: 0.8, channels: 1, bits: 16 }),
      toneWav({ rate: 44100, seconds: 0.15, channels: 2, bits: 24 }),
      toneWav({ rate: 16000, seconds: 0.2, channels: 1, bits: 32, float: true }),
      toneWav({ rate: 22050, seconds: 0.3, channels: 1, bits: 8 }),
    ],
    npy: [
      npyBytes(Float32Array.from(psd), [129, 1]),
      npyBytes(Float32Array.from([...psd, ...psdValues(5)]), [2, 129, 1], 2),
      npyBytes(Float32Array.from(psd), [129], 3),
    ],
    jsonInputs: [
      psd.map((v) => [v]),
      [psd, psdValues(3)],
      [{ preset: 'potamitis-psd', features: psd.map((v) => [v]) }, { features: psdValues(9).map((v) => [v]) }],
      { features: psd },
    ],
    stats: { shape: [129, 1], mean: psd, std: psd.map(() => 2), count: 12 },
    modelJson: JSON.parse(readFileSync(path.join(repoRoot, 'assets', 'demo-model', 'model.json'), 'utf8')) as Record<
      string,
      unknown
    >,
    weightsBin: new Uint8Array(readFileSync(path.join(repoRoot, 'assets', 'demo-model', 'weights.bin'))),
    h5,
    h5Config: functionalConfig(),
    keras: zipSync({
      'metadata.json': new TextEncoder().encode('{"keras_version": "3.4.1"}'),
      'config.json': new TextEncoder().encode(JSON.stringify(keras3Sequential(denseLayers(), [129]))),
      'model.weights.h5': await kerasWeightsH5(archiveVariables(denseLayers())),
    }),
    manifest: 'path,label,split\na/x.wav,Aedes,train\nb/y.wav,Culex,test\nb/z.npy,,\n',
    manifestFiles: ['a/x.wav', 'b/y.wav', 'b/z.npy'],
    part: encodeTableFile(partRows(), { ...runSettings(), shard: { index: 0, count: 1 }, inputs: {} }),
    settings: runSettings(),
  };
}
