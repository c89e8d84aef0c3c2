/**
 * The one registry of attribution methods: one descriptor per method, typed `as const`: the TensorFlow.js-free
 * catalog entry (`method-catalog.ts`) with the method's code. The command line generates its flags and help (from the
 * catalog, without loading TensorFlow.js), and the web page its controls, from the option specs, so an option has one
 * flag name, one default and one help text everywhere.
 */
import { METHOD_CATALOG, type MethodInfo } from './method-catalog.js';
import { gradients } from './gradients.js';
import { saliency } from './saliency.js';
import { guidedBackprop } from './guided-backprop.js';
import { integratedGradients } from './integrated-gradients.js';
import { inputXGradient } from './input-x-gradient.js';
import { smoothGrad } from './smooth-grad.js';
import { occlusion } from './occlusion.js';
import { gradCam } from './grad-cam.js';
import { guidedGradCam } from './guided-grad-cam.js';
import { deeplift } from './deeplift.js';
import { lrp } from './lrp.js';
import { featureAblation } from './feature-ablation.js';
import { shapley } from './shapley.js';
import { shapleySampling } from './shapley-sampling.js';
import { kernelShap } from './kernel-shap.js';
import { lime } from './lime.js';
import { gradientShap } from './gradient-shap.js';
import { deepliftShap } from './deeplift-shap.js';
import type { AttributionMethod } from './types.js';

export {
  attributionMethodNames,
  isAttributionMethodName,
  methodOptionSpecs,
  type AttributionMethodName,
  type ContrastForm,
  type MethodInfo,
} from './method-catalog.js';

/** Everything known about one attribution method: its {@link MethodInfo} and its code. */
export interface MethodDescriptor extends MethodInfo {
  /** Runs the method. */
  readonly run: AttributionMethod<any>;
}

/** Every attribution method by its stable name (the catalog's entries with their code). */
export const attributionMethods = {
  gradients: { ...METHOD_CATALOG.gradients, run: gradients as AttributionMethod<any> },
  saliency: { ...METHOD_CATALOG.saliency, run: saliency as AttributionMethod<any> },
  'guided-backprop': { ...METHOD_CATALOG['guided-backprop'], run: guidedBackprop as AttributionMethod<any> },
  'integrated-gradients': {
    ...METHOD_CATALOG['integrated-gradients'],
    run: integratedGradients as AttributionMethod<any>,
  },
  'input-x-gradient': { ...METHOD_CATALOG['input-x-gradient'], run: inputXGradient as AttributionMethod<any> },
  smoothgrad: { ...METHOD_CATALOG.smoothgrad, run: smoothGrad(saliency) as AttributionMethod<any> },
  'grad-cam': { ...METHOD_CATALOG['grad-cam'], run: gradCam as AttributionMethod<any> },
  'guided-grad-cam': { ...METHOD_CATALOG['guided-grad-cam'], run: guidedGradCam as AttributionMethod<any> },
  occlusion: { ...METHOD_CATALOG.occlusion, run: occlusion as AttributionMethod<any> },
  deeplift: { ...METHOD_CATALOG.deeplift, run: deeplift as AttributionMethod<any> },
  lrp: { ...METHOD_CATALOG.lrp, run: lrp as AttributionMethod<any> },
  'feature-ablation': { ...METHOD_CATALOG['feature-ablation'], run: featureAblation as AttributionMethod<any> },
  shapley: { ...METHOD_CATALOG.shapley, run: shapley as AttributionMethod<any> },
  'shapley-sampling': { ...METHOD_CATALOG['shapley-sampling'], run: shapleySampling as AttributionMethod<any> },
  'kernel-shap': { ...METHOD_CATALOG['kernel-shap'], run: kernelShap as AttributionMethod<any> },
  lime: { ...METHOD_CATALOG.lime, run: lime as AttributionMethod<any> },
  'gradient-shap': { ...METHOD_CATALOG['gradient-shap'], run: gradientShap as AttributionMethod<any> },
  'deeplift-shap': { ...METHOD_CATALOG['deeplift-shap'], run: deepliftShap as AttributionMethod<any> },
} as const satisfies Record<string, MethodDescriptor>;

/** The descriptor of a registered method. */
export function methodDescriptor(name: keyof typeof attributionMethods): MethodDescriptor {
  return attributionMethods[name];
}
