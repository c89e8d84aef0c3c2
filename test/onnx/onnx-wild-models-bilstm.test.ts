/**
 * The real-world bidirectional LSTM of ../shared/models/wild2 (two stacked bidirectional LSTMs over 63 MFCC frames):
 * the ONNX lowering compiles it, and it gives the TensorFlow.js path's scores and input gradients to float32 rounding
 * (plain gradients; guided backprop: onnx-wild-models-bilstm-guided.test.ts). Files of their own: its TensorFlow.js
 * reference is the slowest of the wild models, and the runner runs them beside the others.
 */
import { after, describe, test } from 'node:test';
import { setupBackend } from '../../src/execution/backend.js';
import { skipWithoutShared } from '../helpers.js';
import { WILD_MODELS, agreementTitle, agreesWithTensorFlow } from './wild-model-agreement.js';

after(() => setupBackend({ backend: 'wasm' }));

describe('real-world models of ../shared on ONNX Runtime', { skip: skipWithoutShared }, () => {
  const file = WILD_MODELS.bidirectionalLstm;
  test(agreementTitle(file, 'plain'), () => agreesWithTensorFlow(file, 'plain'));
});
