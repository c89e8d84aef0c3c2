import { before, test } from 'node:test';
import assert from 'node:assert/strict';
import * as tf from '@tensorflow/tfjs';
import { integratedGradients } from '../../src/attribution/integrated-gradients.js';
import { guidedBackprop } from '../../src/attribution/guided-backprop.js';
import { disposeAttribution } from '../../src/attribution/types.js';
import { assertClose, flat, useWasm } from '../helpers.js';

before(useWasm);

/** f = ReLU(ReLU(x1) − 1 − ReLU(x2)), as a plain function model returning [batch, 1]. */
const kinked = (x: tf.Tensor): tf.Tensor => {
  const [x1, x2] = tf.split(x, 2, 1);
  return tf.relu(tf.sub(tf.sub(tf.relu(x1), 1), tf.relu(x2)));
};

test('integrated gradients of ReLU(ReLU(x1) − 1 − ReLU(x2)) at (3, 1) tends to (1.5, −0.5)', async () => {
  // Riemann-right with 50 steps hits α = 0.52 … 1 on the active part: exactly half the path.
  const right = await integratedGradients(kinked, [[3, 1]], { steps: 50, integration: 'riemann-right' });
  assertClose(flat(right.attributions), [1.5, -0.5], 1e-6);
  disposeAttribution(right);
  // Trapezoid with 50 steps: α = 0.5 sits on the kink (gradient 0 there), 24 full weights + one half weight after it.
  const trap = await integratedGradients(kinked, [[3, 1]], { steps: 50 });
  const w = 24 / 50 + 1 / 100;
  assertClose(flat(trap.attributions), [3 * w, -w], 1e-6);
  disposeAttribution(trap);
  // 2000 steps, in chunks of 512 path points: the same rule, so 999 full weights + one half weight after the kink.
  const fine = await integratedGradients(kinked, [[3, 1]], { steps: 2000, batchSize: 512 });
  const wFine = 999 / 2000 + 1 / 4000;
  assertClose(flat(fine.attributions), [3 * wFine, -wFine], 2e-5); // float32 sum of 2001 weighted gradients
  disposeAttribution(fine);
});

test('guided backprop on the Conv2D → ReLU → Dense → ReLU case gives the hand-derived map', async () => {
  // Conv2D(1→2, 3×3, all weights 1, biases −50, −75) → ReLU → Flatten (channel-first order, as in the hand derivation)
  // → Dense(8→4, every unit's weights [1,1,1,1,1,−1,−1,−1]) → ReLU, on the 4×4 input 0..15.
  const model = tf.sequential({
    layers: [
      tf.layers.conv2d({ inputShape: [4, 4, 1], filters: 2, kernelSize: 3, activation: 'relu', useBias: true }),
      tf.layers.permute({ dims: [3, 1, 2] }),
      tf.layers.flatten(),
      tf.layers.dense({ units: 4, activation: 'relu' }),
    ],
  });
  const row = [1, 1, 1, 1, 1, -1, -1, -1];
  const kernel = tf.tensor(
    Array.from({ length: 8 * 4 }, (_, i) => row[Math.floor(i / 4)]),
    [8, 4],
  );
  const weights = [tf.ones([3, 3, 1, 2]), tf.tensor1d([-50, -75]), kernel, tf.zeros([4])];
  model.setWeights(weights);
  weights.forEach((t) => t.dispose());
  const input = tf.reshape(tf.range(0, 16), [1, 4, 4, 1]);
  const result = await guidedBackprop(model, input, { target: 0 });
  assert.deepEqual(flat(result.attributions), [0, 1, 1, 1, 1, 3, 3, 2, 1, 3, 3, 2, 1, 2, 2, 1]);
  disposeAttribution(result);
  input.dispose();
  model.dispose();
});
