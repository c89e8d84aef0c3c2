/** The one registry of attribution methods; the CLI and the web page derive their choices from it. */
import { gradients } from './gradients.js';
import { saliency } from './saliency.js';
import { guidedBackprop } from './guided-backprop.js';
import { integratedGradients } from './integrated-gradients.js';
import { inputXGradient } from './input-x-gradient.js';
import { smoothGrad } from './smooth-grad.js';
import type { AttributionMethod } from './types.js';

/** Every attribution method by its stable command-line name. */
export const attributionMethods = {
  gradients: { run: gradients as AttributionMethod<any>, title: 'Gradients', summary: 'd(target score)/d(input)', signed: true },
  saliency: { run: saliency as AttributionMethod<any>, title: 'Saliency', summary: '|gradient|, max over channels', signed: false },
  'guided-backprop': { run: guidedBackprop as AttributionMethod<any>, title: 'Guided backprop', summary: 'gradients through guided ReLUs', signed: true },
  'integrated-gradients': { run: integratedGradients as AttributionMethod<any>, title: 'Integrated gradients', summary: '(x − baseline) × path integral of gradients', signed: true },
  'input-x-gradient': { run: inputXGradient as AttributionMethod<any>, title: 'Input × gradient', summary: 'input times gradient', signed: true },
  smoothgrad: { run: smoothGrad(saliency) as AttributionMethod<any>, title: 'SmoothGrad', summary: 'saliency averaged over noisy copies', signed: false },
} as const;

/** Name of a registered attribution method. */
export type AttributionMethodName = keyof typeof attributionMethods;

/** The registered names, in registry order. */
export const attributionMethodNames = Object.keys(attributionMethods) as AttributionMethodName[];

/** Is `name` a registered method? */
export function isAttributionMethodName(name: string): name is AttributionMethodName {
  return Object.prototype.hasOwnProperty.call(attributionMethods, name);
}
