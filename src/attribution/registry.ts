/**
 * The one registry of attribution methods: one descriptor per method, typed `as const`. The command line generates
 * its flags and help, and the web page its controls, from the descriptors' option specs, so an option has one flag
 * name, one default and one help text everywhere.
 */
import type { OptionSpec } from '../util/option-spec.js';
import type { HeatmapReduction } from './heatmap.js';
import { gradients } from './gradients.js';
import { saliency } from './saliency.js';
import { guidedBackprop } from './guided-backprop.js';
import { INTEGRATED_GRADIENTS_OPTIONS, integratedGradients } from './integrated-gradients.js';
import { inputXGradient } from './input-x-gradient.js';
import { SMOOTH_GRAD_OPTIONS, smoothGrad } from './smooth-grad.js';
import { OCCLUSION_OPTIONS, occlusion } from './occlusion.js';
import { GRAD_CAM_OPTIONS, gradCam } from './grad-cam.js';
import { guidedGradCam } from './guided-grad-cam.js';
import { DEEPLIFT_OPTIONS, deeplift } from './deeplift.js';
import { LRP_OPTIONS, lrp } from './lrp.js';
import { FEATURE_ABLATION_OPTIONS, featureAblation } from './feature-ablation.js';
import { SHAPLEY_OPTIONS, shapley } from './shapley.js';
import { SHAPLEY_SAMPLING_OPTIONS, shapleySampling } from './shapley-sampling.js';
import { KERNEL_SHAP_OPTIONS, kernelShap } from './kernel-shap.js';
import { LIME_OPTIONS, lime } from './lime.js';
import { GRADIENT_SHAP_OPTIONS, gradientShap } from './gradient-shap.js';
import { DEEPLIFT_SHAP_OPTIONS, deepliftShap } from './deeplift-shap.js';
import type { AttributionMethod } from './types.js';

/**
 * How a method explains the margin score(target) − score(contrast) from its own runs (see src/attribution/contrast.ts):
 * `'difference'` — its attributions are linear in the explained score, so the margin's are A(target) − A(contrast);
 * `'absolute-difference'` — |gradients(target) − gradients(contrast)| (saliency); `'smoothed'` — SmoothGrad over that.
 */
export type ContrastForm = 'difference' | 'absolute-difference' | 'smoothed';

/** Everything known about one attribution method. */
export interface MethodDescriptor {
  /** Stable registry and command-line name (`'integrated-gradients'`). */
  readonly name: string;
  /** Display title. */
  readonly title: string;
  /** One-line summary. */
  readonly summary: string;
  /** Whether the attributions carry a sign worth showing (diverging colours). */
  readonly signed: boolean;
  /** How the heatmap combines channels. */
  readonly reduction: HeatmapReduction;
  /** Whether results carry a completeness gap `delta`. */
  readonly hasDelta: boolean;
  /** The method's own tuning options (beyond the shared `target`, `output`, `scores`, `batchSize`, `seed`). */
  readonly options: readonly OptionSpec[];
  /** How the method explains score(target) − score(contrast); absent: it cannot through its public interface. */
  readonly contrast?: ContrastForm;
  /** Runs the method. */
  readonly run: AttributionMethod<any>;
}

const none = [] as const;

/** Every attribution method by its stable name. */
export const attributionMethods = {
  gradients: {
    name: 'gradients',
    title: 'Gradients',
    summary: 'd(target score)/d(input)',
    signed: true,
    reduction: 'max-abs',
    hasDelta: false,
    options: none,
    contrast: 'difference',
    run: gradients as AttributionMethod<any>,
  },
  saliency: {
    name: 'saliency',
    title: 'Saliency',
    summary: '|gradient|, max over channels',
    signed: false,
    reduction: 'max-abs',
    hasDelta: false,
    options: none,
    contrast: 'absolute-difference',
    run: saliency as AttributionMethod<any>,
  },
  'guided-backprop': {
    name: 'guided-backprop',
    title: 'Guided backprop',
    summary: 'gradients through guided ReLUs',
    signed: true,
    reduction: 'max-abs',
    hasDelta: false,
    options: none,
    run: guidedBackprop as AttributionMethod<any>,
  },
  'integrated-gradients': {
    name: 'integrated-gradients',
    title: 'Integrated gradients',
    summary: '(x − baseline) × path integral of gradients',
    signed: true,
    reduction: 'sum-abs',
    hasDelta: true,
    options: INTEGRATED_GRADIENTS_OPTIONS,
    contrast: 'difference',
    run: integratedGradients as AttributionMethod<any>,
  },
  'input-x-gradient': {
    name: 'input-x-gradient',
    title: 'Input × gradient',
    summary: 'input times gradient',
    signed: true,
    reduction: 'sum-abs',
    hasDelta: false,
    options: none,
    contrast: 'difference',
    run: inputXGradient as AttributionMethod<any>,
  },
  smoothgrad: {
    name: 'smoothgrad',
    title: 'SmoothGrad',
    summary: 'saliency averaged over noisy copies',
    signed: false,
    reduction: 'max-abs',
    hasDelta: false,
    options: SMOOTH_GRAD_OPTIONS,
    contrast: 'smoothed',
    run: smoothGrad(saliency) as AttributionMethod<any>,
  },
  'grad-cam': {
    name: 'grad-cam',
    title: 'Grad-CAM',
    summary: 'ReLU(Σ_c w_c A_c) of a layer, resized to the input',
    signed: false,
    reduction: 'max-abs',
    hasDelta: false,
    options: GRAD_CAM_OPTIONS,
    run: gradCam as AttributionMethod<any>,
  },
  'guided-grad-cam': {
    name: 'guided-grad-cam',
    title: 'Guided Grad-CAM',
    summary: 'guided backprop × the Grad-CAM map',
    signed: true,
    reduction: 'max-abs',
    hasDelta: false,
    options: GRAD_CAM_OPTIONS,
    run: guidedGradCam as AttributionMethod<any>,
  },
  occlusion: {
    name: 'occlusion',
    title: 'Occlusion',
    summary: 'score drop when a sliding window is replaced by the baseline',
    signed: true,
    reduction: 'max-abs',
    hasDelta: false,
    options: OCCLUSION_OPTIONS,
    contrast: 'difference',
    run: occlusion as AttributionMethod<any>,
  },
  deeplift: {
    name: 'deeplift',
    title: 'DeepLIFT',
    summary: '(x − baseline) × rescale multipliers; complete',
    signed: true,
    reduction: 'sum-abs',
    hasDelta: true,
    options: DEEPLIFT_OPTIONS,
    contrast: 'difference',
    run: deeplift as AttributionMethod<any>,
  },
  lrp: {
    name: 'lrp',
    title: 'LRP',
    summary: 'layer-wise relevance propagation (ε, γ, αβ, z⁺)',
    signed: true,
    reduction: 'sum-abs',
    hasDelta: false,
    options: LRP_OPTIONS,
    contrast: 'difference',
    run: lrp as AttributionMethod<any>,
  },
  'feature-ablation': {
    name: 'feature-ablation',
    title: 'Feature ablation',
    summary: 'f(x) − f(x with a group replaced by the baseline), per group (or position)',
    signed: true,
    reduction: 'max-abs',
    hasDelta: false,
    options: FEATURE_ABLATION_OPTIONS,
    run: featureAblation as AttributionMethod<any>,
  },
  shapley: {
    name: 'shapley',
    title: 'Shapley values (exact)',
    summary: 'exact Shapley values of groups over all 2^G coalitions (G ≤ 16)',
    signed: true,
    reduction: 'max-abs',
    hasDelta: true,
    options: SHAPLEY_OPTIONS,
    run: shapley as AttributionMethod<any>,
  },
  'shapley-sampling': {
    name: 'shapley-sampling',
    title: 'Shapley value sampling',
    summary: 'Shapley values of groups from antithetic random permutations, with standard errors',
    signed: true,
    reduction: 'max-abs',
    hasDelta: true,
    options: SHAPLEY_SAMPLING_OPTIONS,
    run: shapleySampling as AttributionMethod<any>,
  },
  'kernel-shap': {
    name: 'kernel-shap',
    title: 'KernelSHAP',
    summary: 'Shapley values of groups by kernel-weighted least squares (efficiency exact), with standard errors',
    signed: true,
    reduction: 'max-abs',
    hasDelta: true,
    options: KERNEL_SHAP_OPTIONS,
    run: kernelShap as AttributionMethod<any>,
  },
  lime: {
    name: 'lime',
    title: 'LIME',
    summary: 'weighted ridge surrogate over random coalitions of groups, with its fit R²',
    signed: true,
    reduction: 'max-abs',
    hasDelta: false,
    options: LIME_OPTIONS,
    run: lime as AttributionMethod<any>,
  },
  'gradient-shap': {
    name: 'gradient-shap',
    title: 'GradientSHAP',
    summary: 'expected gradients: baselines drawn from a background set, random points on the path',
    signed: true,
    reduction: 'sum-abs',
    hasDelta: true,
    options: GRADIENT_SHAP_OPTIONS,
    run: gradientShap as AttributionMethod<any>,
  },
  'deeplift-shap': {
    name: 'deeplift-shap',
    title: 'DeepLIFT-SHAP',
    summary: 'DeepLIFT averaged over every input of a background set; complete',
    signed: true,
    reduction: 'sum-abs',
    hasDelta: true,
    options: DEEPLIFT_SHAP_OPTIONS,
    run: deepliftShap as AttributionMethod<any>,
  },
} as const satisfies Record<string, MethodDescriptor>;

/** Name of a registered attribution method. */
export type AttributionMethodName = keyof typeof attributionMethods;

/** The registered names, in registry order. */
export const attributionMethodNames = Object.keys(attributionMethods) as AttributionMethodName[];

/** Is `name` a registered method? */
export function isAttributionMethodName(name: string): name is AttributionMethodName {
  return Object.prototype.hasOwnProperty.call(attributionMethods, name);
}

/** The descriptor of a registered method. */
export function methodDescriptor(name: AttributionMethodName): MethodDescriptor {
  return attributionMethods[name];
}

/** Every distinct option spec of `methods` (all methods by default), in registry order; one spec per option name. */
export function methodOptionSpecs(methods: readonly AttributionMethodName[] = attributionMethodNames): OptionSpec[] {
  const seen = new Map<string, OptionSpec>();
  for (const name of methods)
    for (const spec of attributionMethods[name].options) if (!seen.has(spec.name)) seen.set(spec.name, spec);
  return [...seen.values()];
}
