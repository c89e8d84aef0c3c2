/**
 * The real-world bidirectional LSTM of ../shared/models/wild2 compiled for guided backprop: ONNX Runtime gives the
 * TensorFlow.js path's scores and guided input gradients to float32 rounding (plain gradients:
 * onnx-wild-models-bilstm.test.ts, which says why the model has files of its own).
 */
import { after, describe, test } from 'node:test';
import { setupBackend } from '../../src/execution/backend.js';
import { skipWithoutShared } from '../helpers.js';
import { WILD_MODELS, agreementTitle, agreesWithTensorFlow } from './wild-model-agreement.js';

after(() => setupBackend({ backend: 'wasm' }));

describe('real-world models of ../shared on ONNX Runtime', { skip: skipWithoutShared }, () => {
  const file = WILD_MODELS.bidirectionalLstm;
  test(agreementTitle(file, 'guided'), () => agreesWithTensorFlow(file, 'guided'));
});
