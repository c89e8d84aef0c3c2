/**
 * Recognises weights-only files of the wingbeats architectures (SimpleCls, SimpleEmbCls, HieraCls, HieraEmbCls,
 * Emb; PSD 1-D and spectrogram 2-D) from their layer names and weight shapes alone, and builds the matching
 * TensorFlow.js model (see shared/reference/README.md, "Architecture and inference mode"):
 *
 *   input → CNN1D|CNN2D 'CNN_Blocks_<arch>' (features) → heads:
 *   SimpleCls:    Dense 'dense_species' → Softmax 'species'
 *   HieraCls:     Dense 'dense_genus' → Softmax 'genus';  Dense 'dense_species' → Softmax 'species' (both on features)
 *   SimpleEmbCls: Dense 'dense_emb' → L2_Norm 'embedding';  DenseBlock 'dense_species' (on dense_emb) → Softmax 'species'
 *   HieraEmbCls:  Dense 'dense_emb' → L2_Norm 'embedding', DenseBlock 'dense_genus' → Softmax 'genus',
 *                 DenseBlock 'dense_species' → Softmax 'species' (all three on the un-normalised dense_emb output)
 *   Emb:          Dense 'dense_emb' → L2_Norm 'embedding'
 * Outputs in the order [embedding, genus, species] (those present). Which input each head takes is read from the
 * stored shapes, not assumed.
 */
import * as tf from '@tensorflow/tfjs';
import { WingbeatsError } from '../util/errors.js';
import { KerasH5Contents, StoredWeight } from './hdf5.js';
import { layerEntries } from './keras-config.js';
import { CNN1D, CNN2D, DenseBlock, L2Norm, registerWingbeatsLayers } from './wingbeats-layers.js';

/** The wingbeats architectures a weights-only file can hold. */
export type WingbeatsArchitecture = 'SimpleCls' | 'SimpleEmbCls' | 'HieraCls' | 'HieraEmbCls' | 'Emb';

/** What {@link recogniseArchitecture} found. */
export interface RecognisedArchitecture {
  architecture: WingbeatsArchitecture;
  /** `'psd'` (1-D CNN on Welch spectra) or `'spectrogram'` (2-D CNN on STFT images). */
  kind: 'psd' | 'spectrogram';
  /** Name of the feature extractor layer (`CNN_Blocks_<arch>`). */
  featureLayer: string;
  /** Input channels read from the first convolution (1 for PSD, 3 for spectrograms). */
  inputChannels: number;
  /** Name of the input layer in the file (`psd` or `spectro`). */
  inputName: string;
  /** Units of each head present: `emb`, `genus`, `species`. */
  units: { emb?: number; genus?: number; species?: number };
  /** Whether the genus/species heads are DenseBlocks (BatchNorm → ReLU → Dense) and which input they take. */
  heads: { genus?: HeadWiring; species?: HeadWiring };
}

/** How a class head is made and fed. */
export interface HeadWiring {
  block: boolean;
  /** `'features'` (the CNN output) or `'emb'` (the un-normalised dense_emb output). */
  input: 'features' | 'emb';
  /** Sublayer names of a DenseBlock head, as stored. */
  batchNormName?: string;
  denseName?: string;
}

const HEAD_LAYERS = { emb: 'dense_emb', genus: 'dense_genus', species: 'dense_species' } as const;
const OUTPUT_LAYERS = { emb: 'embedding', genus: 'genus', species: 'species' } as const;

function fail(fileName: string, why: string): WingbeatsError {
  return new WingbeatsError(
    'UNSUPPORTED_MODEL',
    `${fileName} is a weights-only Keras file (no model_config) that does not match a wingbeats architecture: ${why}. ` +
      'Weights-only files need their architecture; save the full model (model.save) or export it to TensorFlow.js.',
  );
}

function weightEnding(weights: StoredWeight[], ending: string): StoredWeight | undefined {
  return weights.find((w) => w.name.replace(/:\d+$/, '').endsWith(`/${ending}`));
}

function sublayerName(weight: StoredWeight | undefined): string | undefined {
  const parts = weight?.name.split('/') ?? [];
  return parts.length >= 3 ? parts[parts.length - 2] : undefined;
}

/** Identifies the architecture of a weights-only wingbeats file, or throws `UNSUPPORTED_MODEL` saying why not. */
export function recogniseArchitecture(contents: KerasH5Contents, fileName = 'the file'): RecognisedArchitecture {
  const { layerNames, weights } = contents;
  const featureLayer = layerNames.find((n) => n.startsWith('CNN_Blocks'));
  if (featureLayer === undefined)
    throw fail(fileName, `no 'CNN_Blocks_*' layer among ${layerNames.map((n) => `'${n}'`).join(', ')}`);
  const firstConv = (weights.get(featureLayer) ?? []).find((w) => /conv_block_16\/conv[12]d_16\/kernel/.test(w.name));
  if (firstConv === undefined) throw fail(fileName, `'${featureLayer}' has no conv_block_16 kernel`);
  const kind = firstConv.shape.length === 3 ? 'psd' : firstConv.shape.length === 4 ? 'spectrogram' : undefined;
  if (kind === undefined) throw fail(fileName, `the first convolution kernel has shape [${firstConv.shape.join(',')}]`);
  const inputChannels = firstConv.shape[firstConv.shape.length - 2];

  const units: RecognisedArchitecture['units'] = {};
  const heads: RecognisedArchitecture['heads'] = {};
  const emb = weights.get(HEAD_LAYERS.emb);
  if (emb !== undefined) {
    const kernel = weightEnding(emb, 'kernel');
    if (kernel === undefined || kernel.shape.length !== 2) throw fail(fileName, `'dense_emb' has no 2-D kernel`);
    units.emb = kernel.shape[1];
  }
  for (const head of ['genus', 'species'] as const) {
    const stored = weights.get(HEAD_LAYERS[head]);
    if (stored === undefined) continue;
    const kernel = weightEnding(stored, 'kernel');
    if (kernel === undefined || kernel.shape.length !== 2)
      throw fail(fileName, `'${HEAD_LAYERS[head]}' has no 2-D kernel`);
    units[head] = kernel.shape[1];
    const gamma = weightEnding(stored, 'gamma');
    const block = gamma !== undefined;
    const inputWidth = kernel.shape[0];
    // A head fed by dense_emb has dense_emb's width as input; otherwise it reads the CNN features (the weight
    // assignment then checks the exact width and names expected and stored shapes).
    const input = units.emb !== undefined && inputWidth === units.emb ? 'emb' : 'features';
    heads[head] = block
      ? { block, input, batchNormName: sublayerName(gamma), denseName: sublayerName(kernel) }
      : { block, input };
  }
  const architecture: WingbeatsArchitecture | undefined =
    units.emb !== undefined
      ? units.genus !== undefined && units.species !== undefined
        ? 'HieraEmbCls'
        : units.species !== undefined && units.genus === undefined
          ? 'SimpleEmbCls'
          : units.genus === undefined
            ? 'Emb'
            : undefined
      : units.genus !== undefined && units.species !== undefined
        ? 'HieraCls'
        : units.species !== undefined && units.genus === undefined
          ? 'SimpleCls'
          : undefined;
  if (architecture === undefined) {
    throw fail(
      fileName,
      `its heads (${
        Object.keys(units)
          .map((k) => HEAD_LAYERS[k as keyof typeof HEAD_LAYERS])
          .join(', ') || 'none'
      }) form no known combination`,
    );
  }
  const inputName =
    layerNames.find((n) => (weights.get(n) ?? []).length === 0 && !Object.values(OUTPUT_LAYERS).includes(n as never)) ??
    (kind === 'psd' ? 'psd' : 'spectro');
  return { architecture, kind, featureLayer, inputChannels, inputName, units, heads };
}

/**
 * Builds the TensorFlow.js model of a recognised architecture for `inputShape` (without batch axis), with fresh
 * weights (assign the stored ones afterwards). Heads come out in the order [embedding, genus, species].
 */
export function buildArchitecture(recognised: RecognisedArchitecture, inputShape: number[]): tf.LayersModel {
  registerWingbeatsLayers();
  const input = tf.input({ shape: inputShape, name: recognised.inputName });
  const Cnn = recognised.kind === 'psd' ? CNN1D : CNN2D;
  const features = new Cnn({ dropRate: 0.5, name: recognised.featureLayer }).apply(input) as tf.SymbolicTensor;
  const outputs: tf.SymbolicTensor[] = [];
  let emb: tf.SymbolicTensor | undefined;
  if (recognised.units.emb !== undefined) {
    emb = tf.layers.dense({ units: recognised.units.emb, name: HEAD_LAYERS.emb }).apply(features) as tf.SymbolicTensor;
    outputs.push(new L2Norm({ name: OUTPUT_LAYERS.emb }).apply(emb) as tf.SymbolicTensor);
  }
  for (const head of ['genus', 'species'] as const) {
    const wiring = recognised.heads[head];
    const n = recognised.units[head];
    if (wiring === undefined || n === undefined) continue;
    const source = wiring.input === 'emb' && emb !== undefined ? emb : features;
    const layer = wiring.block
      ? new DenseBlock({
          units: n,
          name: HEAD_LAYERS[head],
          batchNorm: wiring.batchNormName === undefined ? undefined : { name: wiring.batchNormName },
          dense: wiring.denseName === undefined ? undefined : { name: wiring.denseName },
        })
      : tf.layers.dense({ units: n, name: HEAD_LAYERS[head] });
    const scores = layer.apply(source) as tf.SymbolicTensor;
    outputs.push(tf.layers.softmax({ name: OUTPUT_LAYERS[head] }).apply(scores) as tf.SymbolicTensor);
  }
  return tf.model({ inputs: input, outputs, name: recognised.architecture });
}

/** Head names of a recognised architecture, in output order. */
export function architectureOutputNames(recognised: RecognisedArchitecture): string[] {
  const names: string[] = [];
  if (recognised.units.emb !== undefined) names.push(OUTPUT_LAYERS.emb);
  if (recognised.heads.genus !== undefined) names.push(OUTPUT_LAYERS.genus);
  if (recognised.heads.species !== undefined) names.push(OUTPUT_LAYERS.species);
  return names;
}

/** Class names of the wingbeats project's own layers (the composites of `wingbeats-layers.ts`). */
const WINGBEATS_LAYER_CLASSES = new Set(['CNN1D', 'CNN2D', 'ConvBlock1d', 'ConvBlock2d', 'DenseBlock', 'L2_Norm']);

/**
 * Whether a full model's config is one of the wingbeats architectures: its root class is one of the original project's
 * model classes (`Mosquito_CNN_PSD`, `Mosquito_CNN_...`) or it is built from the project's own layers (`CNN1D`,
 * `DenseBlock`, ...). Only then may a data set's class names be given to it; a class count alone is no evidence.
 * @example isWingbeatsModelConfig({ class_name: 'Mosquito_CNN_PSD', config: { layers: [] } }); // true
 */
export function isWingbeatsModelConfig(modelConfig: Record<string, unknown>): boolean {
  if (/^Mosquito_CNN/.test(String(modelConfig.class_name))) return true;
  for (const { entry } of layerEntries(modelConfig)) {
    if (WINGBEATS_LAYER_CLASSES.has(String(entry.class_name))) return true;
  }
  return false;
}
