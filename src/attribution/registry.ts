/** The one registry of attribution methods; the CLI and the web page derive their choices from it. */
import { gradients } from './gradients.js';
import { saliency } from './saliency.js';
import { guidedBackprop } from './guided-backprop.js';
import { integratedGradients } from './integrated-gradients.js';
import { inputXGradient } from './input-x-gradient.js';
import { smoothGrad } from './smooth-grad.js';
import { occlusion, OCCLUSION_OPTIONS } from './occlusion.js';
import { gradCam, GRAD_CAM_OPTIONS } from './grad-cam.js';
import { guidedGradCam } from './guided-grad-cam.js';
import { deeplift, DEEPLIFT_OPTIONS } from './deeplift.js';
import { lrp, LRP_OPTIONS } from './lrp.js';
import type { AttributionMethod } from './types.js';
import type { OptionSpec } from '../util/option-spec.js';

/** Options beyond the shared ones that tune a method: integrated gradients' `steps`, `method` (rule) and `baseline`; SmoothGrad's `samples`. */
export type MethodTuning = 'steps' | 'integration' | 'baseline' | 'samples';

const none: readonly MethodTuning[] = [];
const noSpecs: readonly OptionSpec[] = [];

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
  'grad-cam': { run: gradCam as AttributionMethod<any>, title: 'Grad-CAM', summary: 'ReLU(Σ_c w_c A_c) of a layer, resized to the input', signed: false, tuning: none, options: GRAD_CAM_OPTIONS as readonly OptionSpec[] },
  'guided-grad-cam': { run: guidedGradCam as AttributionMethod<any>, title: 'Guided Grad-CAM', summary: 'guided backprop × the Grad-CAM map', signed: true, tuning: none, options: GRAD_CAM_OPTIONS as readonly OptionSpec[] },
  occlusion: { run: occlusion as AttributionMethod<any>, title: 'Occlusion', summary: 'score drop when a sliding window is replaced by the baseline', signed: true, tuning: ['baseline'] as readonly MethodTuning[], options: OCCLUSION_OPTIONS as readonly OptionSpec[] },
  deeplift: { run: deeplift as AttributionMethod<any>, title: 'DeepLIFT', summary: '(x − baseline) × rescale multipliers; complete', signed: true, tuning: ['baseline'] as readonly MethodTuning[], options: DEEPLIFT_OPTIONS as readonly OptionSpec[] },
  lrp: { run: lrp as AttributionMethod<any>, title: 'LRP', summary: 'layer-wise relevance propagation (ε, γ, αβ, z⁺)', signed: true, tuning: none, options: LRP_OPTIONS as readonly OptionSpec[] },
} as const;

/** Every distinct option spec of the methods that declare them (one per option name, registry order). */
export function methodOptionSpecs(): OptionSpec[] {
  const seen = new Map<string, OptionSpec>();
  for (const method of Object.values(attributionMethods)) for (const spec of ('options' in method ? method.options : noSpecs)) if (!seen.has(spec.name)) seen.set(spec.name, spec);
  return [...seen.values()];
}

/** Name of a registered attribution method. */
export type AttributionMethodName = keyof typeof attributionMethods;

/** The registered names, in registry order. */
export const attributionMethodNames = Object.keys(attributionMethods) as AttributionMethodName[];

/** Is `name` a registered method? */
export function isAttributionMethodName(name: string): name is AttributionMethodName {
  return Object.prototype.hasOwnProperty.call(attributionMethods, name);
}
