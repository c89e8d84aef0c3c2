/**
 * The attribution methods' tuning options as specs (flag, default, range, help) and the name lists their choices come
 * from. Free of TensorFlow.js on purpose: the command line builds its flags and help from these without loading it
 * (`explain --help` starts in a fraction of a second); the methods read the same specs.
 */
import type { OptionSpec } from '../util/option-spec.js';
import { LRP_RULE_NAMES } from '../rules/lrp-rule-names.js';

/** Registry of integration rules (the CLI's `--integration` choices). */
export const integrationMethods = [
  'trapezoid',
  'riemann-left',
  'riemann-right',
  'riemann-middle',
  'gauss-legendre',
] as const;

export { LRP_RULE_NAMES };

/** The `baseline` option of integrated gradients, occlusion, DeepLIFT and the group methods: one name, one default, one help text. */
export const BASELINE_OPTION = {
  name: 'baseline',
  flag: '--baseline',
  type: 'file',
  default: 'zeros',
  help: "integrated gradients, occlusion, deeplift, feature ablation and the Shapley methods: reference input (what a removed group becomes), 'zeros' (0 dB for a PSD: louder than any recording), a stats file from 'wingbeats-xai stats' (its mean), or a .json/.npy input (one, or one per input)",
} as const;

/** The `background` option as a spec: on the command line a folder of recordings, a `.npy` stack or a JSON list. */
export const BACKGROUND_OPTION = {
  name: 'background',
  flag: '--background',
  type: 'file',
  help: 'gradient-shap, deeplift-shap: reference inputs from the data — a folder of recordings, a .npy stack or a .json list of inputs',
} as const;

/** The `groups` option as a spec (the command line also takes a path to a mask .json file). */
export const GROUPS_OPTION = {
  name: 'groups',
  flag: '--groups',
  type: 'string',
  help: "feature-ablation, shapley, shapley-sampling, kernel-shap, lime: explain per group, 'bands:N' (frequency bands), 'time:N', 'tiles:FxT', 'harmonics[:TOL_HZ]' (f0, 2f0, ... of each recording), or a .json mask (a group index per position, or {\"mask\", \"names\"})",
} as const;

/** The number of sampled coalitions of KernelSHAP and LIME. */
export const COALITIONS_OPTION = {
  name: 'coalitions',
  flag: '--coalitions',
  type: 'integer',
  default: 256,
  min: 2,
  max: 1000000,
  help: 'kernel-shap, lime: sampled coalitions of groups (kernel-shap: at least 2^G − 2 takes every coalition: exact)',
} as const;

export const KERNEL_WIDTH_OPTION = {
  name: 'kernelWidth',
  flag: '--kernel-width',
  type: 'number',
  default: 0.25,
  min: 1e-6,
  max: 1e6,
  help: "lime: width σ of the similarity exp(−d²/σ²), d the cosine distance of a coalition to all groups present (LIME's text default)",
} as const;

export const RIDGE_OPTION = {
  name: 'ridge',
  flag: '--ridge',
  type: 'number',
  default: 0.01,
  min: 0,
  max: 1e9,
  help: "lime: ridge penalty on the surrogate's coefficients",
} as const;

/** The number of permutations of shapley-sampling. */
export const PERMUTATIONS_OPTION = {
  name: 'permutations',
  flag: '--permutations',
  type: 'integer',
  default: 32,
  min: 2,
  max: 100000,
  help: 'shapley-sampling: random permutations, in antithetic pairs (at least G! enumerates every permutation: exact)',
} as const;

/** The tuning options of SmoothGrad, as specs (flags, defaults, ranges, help). */
export const SMOOTH_GRAD_OPTIONS = [
  {
    name: 'noiseSamples',
    flag: '--noise-samples',
    type: 'integer',
    default: 25,
    min: 1,
    max: 100000,
    help: 'smoothgrad: noisy copies per example; gradient-shap: samples per example (a background input and a point on its path each)',
    aliases: ['--smooth-samples'],
  },
  {
    name: 'noiseStdev',
    flag: '--noise-stdev',
    type: 'number',
    default: 0.15,
    min: 0,
    max: 10,
    help: "smoothgrad, gradient-shap: noise standard deviation, as a fraction of each example's range",
    defaultText: 'smoothgrad 0.15, gradient-shap 0 as in Captum',
  },
] as const satisfies readonly OptionSpec[];

/** The tuning options of integrated gradients, as specs (flags, defaults, ranges, help). */
export const INTEGRATED_GRADIENTS_OPTIONS = [
  {
    name: 'steps',
    flag: '--steps',
    type: 'integer',
    default: 50,
    min: 1,
    max: 100000,
    help: 'integrated gradients: intervals of the path (Gauss-Legendre: nodes)',
  },
  {
    name: 'integration',
    flag: '--integration',
    type: 'choice',
    default: 'trapezoid',
    choices: integrationMethods,
    help: 'integrated gradients: quadrature rule of the path integral',
  },
  BASELINE_OPTION,
] as const satisfies readonly OptionSpec[];

const [NOISE_SAMPLES, NOISE_STDEV] = SMOOTH_GRAD_OPTIONS;

/** The tuning options of GradientSHAP (SmoothGrad's noise options: one flag, one meaning). */
export const GRADIENT_SHAP_OPTIONS = [
  BACKGROUND_OPTION,
  NOISE_SAMPLES,
  NOISE_STDEV,
] as const satisfies readonly OptionSpec[];

/** The tuning options of KernelSHAP. */
export const KERNEL_SHAP_OPTIONS = [
  GROUPS_OPTION,
  BASELINE_OPTION,
  COALITIONS_OPTION,
] as const satisfies readonly OptionSpec[];

/** The tuning options of LIME. */
export const LIME_OPTIONS = [
  GROUPS_OPTION,
  BASELINE_OPTION,
  COALITIONS_OPTION,
  KERNEL_WIDTH_OPTION,
  RIDGE_OPTION,
] as const satisfies readonly OptionSpec[];

/** The tuning options of Shapley value sampling. */
export const SHAPLEY_SAMPLING_OPTIONS = [
  GROUPS_OPTION,
  BASELINE_OPTION,
  PERMUTATIONS_OPTION,
] as const satisfies readonly OptionSpec[];

/** The tuning options of exact Shapley values. */
export const SHAPLEY_OPTIONS = [GROUPS_OPTION, BASELINE_OPTION] as const satisfies readonly OptionSpec[];

/** The tuning options of feature ablation. */
export const FEATURE_ABLATION_OPTIONS = [GROUPS_OPTION, BASELINE_OPTION] as const satisfies readonly OptionSpec[];

/** The tuning options of occlusion, as specs (one window and stride for every axis on the command line; per axis in the library). */
export const OCCLUSION_OPTIONS = [
  {
    name: 'window',
    flag: '--window',
    type: 'integer',
    default: 8,
    min: 1,
    max: 100000,
    help: 'occlusion: window length along every non-channel axis (cut to the input)',
  },
  {
    name: 'stride',
    flag: '--stride',
    type: 'integer',
    min: 1,
    max: 100000,
    help: 'occlusion: step between windows (default: half the window)',
  },
  BASELINE_OPTION,
] as const satisfies readonly OptionSpec[];

/** The tuning options of Grad-CAM, as specs. */
export const GRAD_CAM_OPTIONS = [
  {
    name: 'layer',
    flag: '--layer',
    type: 'string',
    help: 'grad-cam: name of the layer whose output is explained (default: the last convolution layer)',
  },
] as const satisfies readonly OptionSpec[];

/** The tuning options of DeepLIFT, as specs. */
export const DEEPLIFT_OPTIONS = [BASELINE_OPTION] as const satisfies readonly OptionSpec[];

/** The tuning options of DeepLIFT-SHAP. */
export const DEEPLIFT_SHAP_OPTIONS = [BACKGROUND_OPTION] as const satisfies readonly OptionSpec[];

/** The tuning options of LRP, as specs. */
export const LRP_OPTIONS = [
  {
    name: 'rule',
    flag: '--rule',
    type: 'choice',
    default: 'epsilon',
    choices: LRP_RULE_NAMES,
    help: 'lrp: rule on convolution layers (dense, batch-norm and pooling layers take epsilon)',
  },
  {
    name: 'epsilon',
    flag: '--epsilon',
    type: 'number',
    default: 1e-6,
    min: 0,
    max: 1e6,
    help: 'lrp: stabiliser epsilon of every rule (0: LRP-0)',
  },
  {
    name: 'gamma',
    flag: '--gamma',
    type: 'number',
    default: 0.25,
    min: 0,
    max: 1e6,
    help: 'lrp: gamma of the gamma rule',
  },
  {
    name: 'alpha',
    flag: '--alpha',
    type: 'number',
    default: 2,
    min: 0,
    max: 1e6,
    help: 'lrp: alpha of the alpha-beta rule',
  },
  {
    name: 'beta',
    flag: '--beta',
    type: 'number',
    default: 1,
    min: 0,
    max: 1e6,
    help: 'lrp: beta of the alpha-beta rule',
  },
  {
    name: 'foldBatchNorm',
    flag: '--fold-batch-norm',
    type: 'boolean',
    default: false,
    help: 'lrp: fold each batch norm into the convolution before it',
  },
] as const satisfies readonly OptionSpec[];
