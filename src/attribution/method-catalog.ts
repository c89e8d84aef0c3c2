/**
 * What every attribution method is (name, title, summary, sign, heatmap reduction, completeness, options, contrast
 * form) without its code: free of TensorFlow.js, so the command line's flags and help (`explain --help`) come from it
 * without loading the methods. The registry (`registry.ts`) adds each method's `run`.
 */
import type { OptionSpec } from '../util/option-spec.js';
import type { HeatmapReduction } from './heatmap.js';
import {
  INTEGRATED_GRADIENTS_OPTIONS,
  SMOOTH_GRAD_OPTIONS,
  OCCLUSION_OPTIONS,
  GRAD_CAM_OPTIONS,
  DEEPLIFT_OPTIONS,
  LRP_OPTIONS,
  FEATURE_ABLATION_OPTIONS,
  SHAPLEY_OPTIONS,
  SHAPLEY_SAMPLING_OPTIONS,
  KERNEL_SHAP_OPTIONS,
  LIME_OPTIONS,
  GRADIENT_SHAP_OPTIONS,
  DEEPLIFT_SHAP_OPTIONS,
} from './method-specs.js';

/**
 * How a method explains the margin score(target) − score(contrast) from its own runs (see src/attribution/contrast.ts):
 * `'difference'` — its attributions are linear in the explained score, so the margin's are A(target) − A(contrast);
 * `'absolute-difference'` — |gradients(target) − gradients(contrast)| (saliency); `'smoothed'` — SmoothGrad over that.
 */
export type ContrastForm = 'difference' | 'absolute-difference' | 'smoothed';

/** Everything known about one attribution method but its code. */
export interface MethodInfo {
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
}

const none = [] as const;

/** Every attribution method by its stable name: what it is and its options (its code is in the registry). */
export const METHOD_CATALOG = {
  gradients: {
    name: 'gradients',
    title: 'Gradients',
    summary: 'd(target score)/d(input)',
    signed: true,
    reduction: 'max-abs',
    hasDelta: false,
    options: none,
    contrast: 'difference',
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
  },
  'guided-backprop': {
    name: 'guided-backprop',
    title: 'Guided backprop',
    summary: 'gradients through guided ReLUs',
    signed: true,
    reduction: 'max-abs',
    hasDelta: false,
    options: none,
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
  },
  'grad-cam': {
    name: 'grad-cam',
    title: 'Grad-CAM',
    summary: 'ReLU(Σ_c w_c A_c) of a layer, resized to the input',
    signed: false,
    reduction: 'max-abs',
    hasDelta: false,
    options: GRAD_CAM_OPTIONS,
  },
  'guided-grad-cam': {
    name: 'guided-grad-cam',
    title: 'Guided Grad-CAM',
    summary: 'guided backprop × the Grad-CAM map',
    signed: true,
    reduction: 'max-abs',
    hasDelta: false,
    options: GRAD_CAM_OPTIONS,
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
  },
  'feature-ablation': {
    name: 'feature-ablation',
    title: 'Feature ablation',
    summary: 'f(x) − f(x with a group replaced by the baseline), per group (or position)',
    signed: true,
    reduction: 'max-abs',
    hasDelta: false,
    options: FEATURE_ABLATION_OPTIONS,
  },
  shapley: {
    name: 'shapley',
    title: 'Shapley values (exact)',
    summary: 'exact Shapley values of groups over all 2^G coalitions (G ≤ 16)',
    signed: true,
    reduction: 'max-abs',
    hasDelta: true,
    options: SHAPLEY_OPTIONS,
  },
  'shapley-sampling': {
    name: 'shapley-sampling',
    title: 'Shapley value sampling',
    summary: 'Shapley values of groups from antithetic random permutations, with standard errors',
    signed: true,
    reduction: 'max-abs',
    hasDelta: true,
    options: SHAPLEY_SAMPLING_OPTIONS,
  },
  'kernel-shap': {
    name: 'kernel-shap',
    title: 'KernelSHAP',
    summary: 'Shapley values of groups by kernel-weighted least squares (efficiency exact), with standard errors',
    signed: true,
    reduction: 'max-abs',
    hasDelta: true,
    options: KERNEL_SHAP_OPTIONS,
  },
  lime: {
    name: 'lime',
    title: 'LIME',
    summary: 'weighted ridge surrogate over random coalitions of groups, with its fit R²',
    signed: true,
    reduction: 'max-abs',
    hasDelta: false,
    options: LIME_OPTIONS,
  },
  'gradient-shap': {
    name: 'gradient-shap',
    title: 'GradientSHAP',
    summary: 'expected gradients: baselines drawn from a background set, random points on the path',
    signed: true,
    reduction: 'sum-abs',
    hasDelta: true,
    options: GRADIENT_SHAP_OPTIONS,
  },
  'deeplift-shap': {
    name: 'deeplift-shap',
    title: 'DeepLIFT-SHAP',
    summary: 'DeepLIFT averaged over every input of a background set; complete',
    signed: true,
    reduction: 'sum-abs',
    hasDelta: true,
    options: DEEPLIFT_SHAP_OPTIONS,
  },
} as const satisfies Record<string, MethodInfo>;

/** Name of a registered attribution method. */
export type AttributionMethodName = keyof typeof METHOD_CATALOG;

/** The registered names, in registry order. */
export const attributionMethodNames = Object.keys(METHOD_CATALOG) as AttributionMethodName[];

/** Is `name` a registered method? */
export function isAttributionMethodName(name: string): name is AttributionMethodName {
  return Object.prototype.hasOwnProperty.call(METHOD_CATALOG, name);
}

/** Every distinct option spec of `methods` (all methods by default), in registry order; one spec per option name. */
export function methodOptionSpecs(methods: readonly AttributionMethodName[] = attributionMethodNames): OptionSpec[] {
  const seen = new Map<string, OptionSpec>();
  for (const name of methods)
    for (const spec of METHOD_CATALOG[name].options) if (!seen.has(spec.name)) seen.set(spec.name, spec);
  return [...seen.values()];
}
