/**
 * An ONNX file as a model: decoded, checked, and run on TensorFlow.js by {@link OnnxGraphRunner}, as a score function
 * every method can differentiate. The input shape is the ONNX input's declared shape without its first (batch) axis,
 * channels last when the graph reads its input channels first (see `input-layout.ts`: torch's `[N, C, H, W]` is given
 * as `[H, W, C]`, `[N, C, L]` as `[L, C]`). A final Softmax/LogSoftmax is left out of the scores (logits are explained;
 * the probabilities are their softmax).
 */
import * as tf from '@tensorflow/tfjs';
import { WingbeatsError } from '../util/errors.js';
import { decodeOnnxFile } from './decode-onnx-file.js';
import { metadataLabels } from './metadata-labels.js';
import { OnnxGraphRunner } from './onnx-graph-runner.js';
import { inputIsChannelsFirst } from './input-layout.js';
import { withImportedGraph } from './imported-graph.js';

/** What the loader needs of an imported ONNX file. */
export interface ImportedOnnxModel {
  /** `[batch, ...inputShape]` → `[batch, classes]` scores (logits when the graph ends in a softmax). */
  scores: (x: tf.Tensor) => tf.Tensor;
  /** The input shape without the batch axis (`null` for axes the file leaves free). */
  inputShape: (number | null)[];
  /** The graph's output name (the head's name). */
  outputName: string;
  /** Number of classes, when the file declares it or a trial run on zeros shows it. */
  classes: number | null;
  /** Class names from the file's metadata, and the key they came from. */
  stored?: { key: string; labels: string[] };
  /** Facts for `model.info`. */
  facts: {
    opset: number;
    producer: string;
    endsInSoftmax: boolean;
    inputName: string;
    /** The input's shape in the file, without the batch axis. */
    fileInputShape: (number | null)[];
    /** `'channels-first'`: the file's input is channels first and the model takes it channels last. */
    inputLayout: 'channels-first' | 'as-declared';
  };
  /** Frees the weights on the backend (idempotent). */
  dispose: () => void;
}

/** Runs `runner` on each row alone (a graph exported with a fixed batch of 1). */
function rowByRow(runner: OnnxGraphRunner, x: tf.Tensor): tf.Tensor {
  if (x.shape[0] === 1) return runner.run(x);
  return tf.concat(
    tf.split(x, x.shape[0], 0).map((row) => runner.run(row)),
    0,
  );
}

/**
 * Imports the ONNX file `bytes`.
 * @throws WingbeatsError `INVALID_FILE`, `UNSUPPORTED_MODEL` (an op that does not run, named with its node; several
 *   inputs or outputs; a fixed batch above 1), `LIMIT_EXCEEDED`. No tensor is left behind by a failed import.
 */
export function importOnnxModel(bytes: Uint8Array, fileName: string): ImportedOnnxModel {
  const graph = decodeOnnxFile(bytes, fileName);
  const batch = graph.input.shape[0];
  if (batch !== null && batch !== 1) {
    throw new WingbeatsError(
      'UNSUPPORTED_MODEL',
      `'${fileName}': input '${graph.input.name}' has a fixed batch size of ${batch}; export with a dynamic batch axis (torch.onnx.export(..., dynamic_axes={'${graph.input.name}': {0: 'batch'}})) or a batch of 1.`,
    );
  }
  const runner = new OnnxGraphRunner(graph);
  try {
    const fileInputShape = graph.input.shape.slice(1);
    const channelsFirst = inputIsChannelsFirst(graph);
    const run = batch === 1 ? (x: tf.Tensor) => rowByRow(runner, x) : (x: tf.Tensor) => runner.run(x);
    // channels last → first: [B, ...spatial, C] → [B, C, ...spatial]
    const toFile = (x: tf.Tensor) =>
      tf.transpose(x, [0, x.rank - 1, ...Array.from({ length: x.rank - 2 }, (_, i) => i + 1)]);
    const scores = channelsFirst ? (x: tf.Tensor) => run(toFile(x)) : (x: tf.Tensor) => run(x);
    const inputShape = channelsFirst ? [...fileInputShape.slice(1), fileInputShape[0]] : fileInputShape;
    let classes = graph.output.shape?.length === 2 ? graph.output.shape[1] : null;
    if (inputShape.every((d) => d !== null)) {
      // A trial run on zeros: every op runs on these shapes, and the scores' shape gives the class count.
      const shape = tf.tidy(() => scores(tf.zeros([1, ...(inputShape as number[])])).shape);
      if (shape.length !== 2) {
        throw new WingbeatsError(
          'UNSUPPORTED_MODEL',
          `'${fileName}': the scores '${runner.scoresName}' have shape [${shape.join(',')}] for one example; a classifier's scores are [batch, classes].`,
        );
      }
      classes = shape[1];
    }
    const stored = metadataLabels(graph.metadata);
    // what the native engine lowers (src/onnx/onnx-file-lowering.ts), where every input size is known
    if (inputShape.every((d) => d !== null) && fileInputShape.every((d) => d !== null))
      withImportedGraph(scores, {
        runner,
        channelsFirst,
        fixedBatch: batch === 1,
        fileInputShape: fileInputShape as number[],
        inputShape: inputShape as number[],
      });
    return {
      scores,
      inputShape,
      outputName: graph.output.name,
      classes,
      stored,
      facts: {
        opset: graph.opset,
        producer: graph.producer,
        endsInSoftmax: runner.endsInSoftmax,
        inputName: graph.input.name,
        fileInputShape,
        inputLayout: channelsFirst ? 'channels-first' : 'as-declared',
      },
      dispose: () => runner.dispose(),
    };
  } catch (error) {
    runner.dispose();
    throw error;
  }
}
