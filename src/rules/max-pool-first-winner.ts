/** The max-pool gradient routed to the first winner of each window, the same on every backend. */
import type { PropagationRule } from '../execution/propagation-rule.js';
import { stopGradient, withSurrogateGradient } from './gradient-tricks.js';
import { firstWinners, poolWindows, throughWinners } from './pool-windows.js';

/**
 * Plain max-pool gradient with TensorFlow's and PyTorch's tie rule: each window's gradient goes to its first maximum.
 * The wasm backend's MaxPoolGrad routes ties (windows of ReLU zeros) differently depending on the position in the
 * batch, which changes gradients at the pooling input (what Grad-CAM reads) with the batch composition. Pools other
 * than non-overlapping 'valid' ones keep the backend's gradient.
 */
export const maxPoolFirstWinner: PropagationRule = {
  name: 'max-pool-first-winner',
  appliesTo: { layers: ['MaxPooling1D', 'MaxPooling2D'] },
  wrap: (forward, site) => (x) => {
    const w = poolWindows(site.layer, x);
    const y = forward(x);
    if (w === null) return y;
    return withSurrogateGradient(y, throughWinners(x, stopGradient(firstWinners(x, w)), w));
  },
};
