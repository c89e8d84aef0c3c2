/** Heatmaps: an attribution reduced over its channel axis and min-max normalised per example to [0, 1]. */
import * as tf from '@tensorflow/tfjs';

/** How channels are combined: max of |a| (saliency, guided backprop) or sum of |a| (integrated gradients). */
export type HeatmapReduction = 'max-abs' | 'sum-abs';

/** The guard added to (max − min) by the original module, so a constant map becomes zeros, not NaN. */
export const HEATMAP_EPSILON = 1e-16;

/**
 * Reduces `[batch, ...axes, channels]` attributions to `[batch, ...axes]` heatmaps in [0, 1]: |a| combined over the
 * last (channel) axis with `reduction`, then (h − min)/(max − min + 1e-16) per example. Inputs of rank 2
 * (`[batch, features]`, no channel axis) are only made absolute and normalised. Returns a new tensor owned by the caller.
 */
export function heatmapOf(
  attributions: tf.Tensor,
  reduction: HeatmapReduction,
  options: { normalise?: boolean } = {},
): tf.Tensor {
  return tf.tidy(() => {
    const magnitude = tf.abs(attributions);
    let map = magnitude;
    if (attributions.rank >= 3) map = reduction === 'max-abs' ? tf.max(magnitude, -1) : tf.sum(magnitude, -1);
    if (options.normalise === false) return map;
    const flat = tf.reshape(map, [map.shape[0], -1]);
    const min = tf.min(flat, 1, true);
    const max = tf.max(flat, 1, true);
    const normalised = tf.div(tf.sub(flat, min), tf.add(tf.sub(max, min), HEATMAP_EPSILON));
    return tf.reshape(normalised, map.shape);
  });
}
