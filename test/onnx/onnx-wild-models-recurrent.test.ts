/**
 * The recurrent and attention real-world Keras models of ../shared/models/wild and wild2 that the library loads (GRU,
 * LSTM, transformer encoder, and the bidirectional LSTM: two stacked bidirectional LSTMs over 63 MFCC frames): the
 * ONNX lowering compiles each, and it gives the TensorFlow.js path's scores and input gradients to float32 rounding
 * (plain and guided). See onnx-wild-models.test.ts for the convolutional ones (a file of its own, so that the runner
 * runs the two side by side). The bidirectional LSTM had two files of its own while ONNX Runtime took about 100 s of
 * CPU to open its unrolled graph; as Scans it takes a few seconds, its TensorFlow.js reference most of them.
 */
import { after, describe, test } from 'node:test';
import { setupBackend } from '../../src/execution/backend.js';
import { skipWithoutShared } from '../helpers.js';
import { WILD_MODELS, agreementTitle, agreesWithTensorFlow } from './wild-model-agreement.js';

after(() => setupBackend({ backend: 'wasm' }));

describe('real-world models of ../shared on ONNX Runtime', { skip: skipWithoutShared }, () => {
  for (const file of [...WILD_MODELS.recurrent, WILD_MODELS.bidirectionalLstm])
    test(agreementTitle(file), () => agreesWithTensorFlow(file));
});
