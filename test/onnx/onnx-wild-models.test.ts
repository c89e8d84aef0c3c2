/**
 * The convolutional real-world Keras models of ../shared/models/wild and wild2 that the library loads: the ONNX
 * lowering compiles each, and it gives the TensorFlow.js path's scores and input gradients to float32 rounding (plain
 * and guided). The recurrent and attention models: onnx-wild-models-recurrent.test.ts (a file of its own, so that the
 * runner runs the two side by side).
 */
import { after, describe, test } from 'node:test';
import { setupBackend } from '../../src/execution/backend.js';
import { skipWithoutShared } from '../helpers.js';
import { WILD_MODELS, agreementTitle, agreesWithTensorFlow } from './wild-model-agreement.js';

after(() => setupBackend({ backend: 'wasm' }));

describe('real-world models of ../shared on ONNX Runtime', { skip: skipWithoutShared }, () => {
  for (const file of WILD_MODELS.convolutional) test(agreementTitle(file), () => agreesWithTensorFlow(file));
});
