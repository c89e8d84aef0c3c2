/**
 * The attribution methods that are one input gradient per row (gradients, saliency, input × gradient, guided
 * backprop), described as data, so wrappers (SmoothGrad, MC dropout) can evaluate many noisy copies or samples as rows
 * of one chunked gradient computation instead of one nested method call each.
 */
import * as tf from '@tensorflow/tfjs';
import type { PropagationRule } from '../execution/propagation-rule.js';
import { guidedRelu } from '../rules/guided-relu.js';
import { gradients } from './gradients.js';
import { saliency } from './saliency.js';
import { inputXGradient } from './input-x-gradient.js';
import { guidedBackprop } from './guided-backprop.js';
import type { HeatmapReduction } from './heatmap.js';
import type { AttributionMethod } from './types.js';

/** A method that is a function of each row's target gradient (and the row itself). */
export interface GradientForm {
  /** Registry name of the method. */
  name: 'gradients' | 'saliency' | 'input-x-gradient' | 'guided-backprop';
  /** Channel reduction of its heatmaps. */
  reduction: HeatmapReduction;
  /** Rules placed first in the execution settings of its gradient passes. */
  rules: readonly PropagationRule[];
  /** The attributions of `rows` from their gradients (a new tensor; neither argument is disposed). */
  attributions(grads: tf.Tensor, rows: tf.Tensor): tf.Tensor;
}

const FORMS: [AttributionMethod<never>, GradientForm][] = [
  [gradients, { name: 'gradients', reduction: 'max-abs', rules: [], attributions: (g) => tf.clone(g) }],
  [saliency, { name: 'saliency', reduction: 'max-abs', rules: [], attributions: (g) => tf.abs(g) }],
  [
    inputXGradient,
    { name: 'input-x-gradient', reduction: 'sum-abs', rules: [], attributions: (g, rows) => tf.mul(rows, g) },
  ],
  [
    guidedBackprop,
    { name: 'guided-backprop', reduction: 'max-abs', rules: [guidedRelu], attributions: (g) => tf.clone(g) },
  ],
];

/** The registry names of the gradient forms, in a fixed order (row tasks name a form by its index here). */
export const gradientFormNames = FORMS.map(([, form]) => form.name);

/** The gradient form of a method function or registry name, or `undefined` for any other method. */
export function gradientFormOf(method: AttributionMethod<never> | string): GradientForm | undefined {
  return FORMS.find(([fn, form]) => fn === method || form.name === method)?.[1];
}
