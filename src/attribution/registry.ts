/** The one registry of attribution methods; the CLI and the web page derive their choices from it. */
import { gradients } from './gradients.js';
import { saliency } from './saliency.js';
import { guidedBackprop } from './guided-backprop.js';
import { integratedGradients } from './integrated-gradients.js';
import { inputXGradient } from './input-x-gradient.js';
import { smoothGrad } from './smooth-grad.js';
import type { AttributionMethod } from './types.js';

/** Options beyond the shared ones that tune a method: integrated gradients' `steps`, `method` (rule) and `baseline`; SmoothGrad's `samples`. */
export type MethodTuning = 'steps' | 'integration' | 'baseline' | 'samples';

const none: readonly MethodTuning[] = [];

/**
 * Every attribution method by its stable command-line name: how to run it, a title and one-line summary, whether its
 * attributions carry a sign worth showing, and which tuning options it takes.
 */
export const attributionMethods = {
  gradients: { run: gradients as AttributionMethod<any>, title: 'Gradients', summary: 'd(target score)/d(input)', signed: true, tuning: none },
  saliency: { run: saliency as AttributionMethod<any>, title: 'Saliency', summary: '|gradient|, max over channels', signed: false, tuning: none },
  'guided-backprop': { run: guidedBackprop as AttributionMethod<any>, title: 'Guided backprop', summary: 'gradients through guided ReLUs', signed: true, tuning: none },
  'integrated-gradients': {
    run: integratedGradients as AttributionMethod<any>,
    title: 'Integrated gradients',
    summary: '(x − baseline) × path integral of gradients',
    signed: true,
    tuning: ['steps', 'integration', 'baseline'] as readonly MethodTuning[],
  },
  'input-x-gradient': { run: inputXGradient as AttributionMethod<any>, title: 'Input × gradient', summary: 'input times gradient', signed: true, tuning: none },
  smoothgrad: { run: smoothGrad(saliency) as AttributionMethod<any>, title: 'SmoothGrad', summary: 'saliency averaged over noisy copies', signed: false, tuning: ['samples'] as readonly MethodTuning[] },
} as const;

/** Name of a registered attribution method. */
export type AttributionMethodName = keyof typeof attributionMethods;

/** The registered names, in registry order. */
export const attributionMethodNames = Object.keys(attributionMethods) as AttributionMethodName[];

/** Is `name` a registered method? */
export function isAttributionMethodName(name: string): name is AttributionMethodName {
  return Object.prototype.hasOwnProperty.call(attributionMethods, name);
}
