/** wingbeats-xai: the public surface (universal: Node and browser). Node-only helpers are in `wingbeats-xai/node`. */
export { WingbeatsError } from './util/errors.js';
export type { WingbeatsErrorCode } from './util/errors.js';
export { setupBackend } from './execution/backend.js';
export type { BackendName, BackendOptions } from './execution/backend.js';
export { ExplainableModel, asExplainableModel } from './execution/explainable-model.js';
export type {
  ExplainableModelOptions,
  ModelInput,
  OutputSelector,
  PredictResult,
  RunOptions,
  ScoreFunction,
  ScoreKind,
} from './execution/explainable-model.js';
export type { ExecutionSettings, DropoutSettings, LayerHook, FastPaths } from './execution/execution-settings.js';
export { FAST_PATH_NAMES } from './execution/execution-settings.js';
export { gradientRule } from './execution/propagation-rule.js';
export type { PropagationRule, RuleSite, RuleTargets, Forward } from './execution/propagation-rule.js';
export { guidedRelu } from './rules/guided-relu.js';
export { deepliftRescale, RESCALE_EPSILON } from './rules/deeplift-rescale.js';
export { deepliftMaxPool } from './rules/deeplift-max-pool.js';
export { maxPoolFirstWinner } from './rules/max-pool-first-winner.js';
export { lrpComposite, checkLrpSupport, LRP_RULE_NAMES } from './rules/lrp-composite.js';
export { foldablePairs } from './execution/batch-norm-folding.js';
export type { LrpComposite, LrpCompositeSettings, LrpRuleName } from './rules/lrp-composite.js';
export { lrpEpsilon } from './rules/lrp-epsilon.js';
export { lrpGamma } from './rules/lrp-gamma.js';
export { lrpAlphaBeta } from './rules/lrp-alpha-beta.js';
export type { LrpLinearRule, LrpLinearSite } from './rules/lrp-linear.js';
export { stopGradient, scaleGradient, withSurrogateGradient } from './rules/gradient-tricks.js';
export { copyExplainableModel } from './execution/model-copy.js';
export { REQUEST_OPTIONS } from './session/model-request.js';
export type { RequestOptions } from './session/model-request.js';
export { MAX_WORKERS } from './session/model-request.js';
export { modelSnapshot, rebuildModel } from './parallel/model-snapshot.js';
export type { ModelSnapshot, SnapshotWeight } from './parallel/model-snapshot.js';
export {
  registerRowTaskKind,
  executeRowTask,
  hasRowTaskKind,
  taskTensor,
  tidyArray,
  batchRows,
  rowsOf,
} from './parallel/row-task.js';
export type {
  RowTask,
  RowResult,
  TaskArray,
  RowTaskContext,
  RowTaskExecutor,
  HostTaskKind,
  BatchRows,
} from './parallel/row-task.js';
export type { EnginePrimitives, RowTaskPlan } from './engine/engine-primitives.js';
export { registerSerialRule, serializeExecution, deserializeExecution } from './parallel/serial-execution.js';
export type { SerialExecution } from './parallel/serial-execution.js';
export { runRowTasks, ACCELERATED_IN_FLIGHT } from './parallel/run-row-tasks.js';
export type { TaskAccelerator } from './parallel/task-accelerator.js';
export { openSession, Session, defaultSession } from './session/session.js';
export type { SessionOptions } from './session/session.js';
export type { SessionHandle } from './execution/explainable-model.js';
export { registerEngine, hasEngine } from './session/engines.js';
export type { Engine, EngineFactory, EngineRunner, EngineName } from './session/engines.js';
export { COMPUTE_BACKENDS } from './execution/execution-settings.js';
export type { ComputeBackend } from './execution/execution-settings.js';
export type { RowJob, RowTaskInput, RowTaskOptions, RowJobReport } from './parallel/run-row-tasks.js';
export { taskChunks, TASKS_PER_JOB, MIN_TASK_ROWS } from './parallel/task-chunks.js';
export {
  registerWorkerPlatform,
  workerPlatform,
  defaultWorkerCount,
  ModelWorkers,
  poolStartMs,
  POOL_START_MS,
} from './parallel/worker-pool.js';
export type { WorkerPool, WorkerPoolFactory, WorkerPlatform, WorkerPoolStats } from './parallel/worker-pool.js';
export { predictScores } from './parallel/forward-task.js';
export { startWorkerPool } from './session/start-worker-pool.js';
export { servePoolWorker } from './parallel/pool-worker-messages.js';
export type {
  PoolInitMessage,
  PoolTaskMessage,
  PoolReplyMessage,
  WorkerScope,
} from './parallel/pool-worker-messages.js';
export { webWorkerPlatform, createWebWorkerPool } from './parallel/web-worker-pool.js';
export { registerLayerOp } from './execution/layer-ops.js';
export { layerWeight } from './execution/layer-op.js';
export type { ExecutionContext, LayerOp } from './execution/layer-op.js';
export type { InputLike, NestedArray } from './execution/inputs.js';
export type { TargetOption } from './execution/targets.js';
export type { HeatmapReduction } from './attribution/heatmap.js';
export { decodeNpy, encodeNpy } from './io/npy.js';
export type { NpyArray } from './io/npy.js';
export { defaultPresetForModel } from './io/input-files.js';

export { gradients } from './attribution/gradients.js';
export { saliency } from './attribution/saliency.js';
export { guidedBackprop } from './attribution/guided-backprop.js';
export { inputXGradient } from './attribution/input-x-gradient.js';
export { integratedGradients } from './attribution/integrated-gradients.js';
export type { Baseline, IntegratedGradientsOptions } from './attribution/integrated-gradients.js';
export { interpolate } from './attribution/interpolate.js';
export { integralApproximation, integrationPoints, integrationMethods } from './attribution/integral-approximation.js';
export type { IntegrationMethod, IntegrationPoints } from './attribution/integral-approximation.js';
export { smoothGrad } from './attribution/smooth-grad.js';
export { contrastiveAttribution, resolveContrasts, contrastMethodNames } from './attribution/contrast.js';
export type { ContrastOption, ContrastOptions, ContrastiveResult } from './attribution/contrast.js';
export { gradCam } from './attribution/grad-cam.js';
export { GRAD_CAM_OPTIONS, lastConvolutionLayer } from './attribution/grad-cam.js';
export type { GradCamOptions } from './attribution/grad-cam.js';
export { guidedGradCam } from './attribution/guided-grad-cam.js';
export { gradCamMap, resizeMap } from './attribution/grad-cam-map.js';
export { occlusion, OCCLUSION_OPTIONS, spatialShape } from './attribution/occlusion.js';
export type { OcclusionOptions } from './attribution/occlusion.js';
export { deeplift, DEEPLIFT_OPTIONS } from './attribution/deeplift.js';
export type { DeepLiftOptions } from './attribution/deeplift.js';
export { featureAblation, FEATURE_ABLATION_OPTIONS } from './attribution/feature-ablation.js';
export { shapley, SHAPLEY_OPTIONS, MAX_EXACT_SHAPLEY_GROUPS } from './attribution/shapley.js';
export { shapleySampling, SHAPLEY_SAMPLING_OPTIONS } from './attribution/shapley-sampling.js';
export type { ShapleySamplingOptions } from './attribution/shapley-sampling.js';
export { kernelShap, KERNEL_SHAP_OPTIONS } from './attribution/kernel-shap.js';
export type { KernelShapOptions } from './attribution/kernel-shap.js';
export { lime, LIME_OPTIONS } from './attribution/lime.js';
export type { LimeOptions } from './attribution/lime.js';
export type { GroupMethodOptions } from './attribution/group-method.js';
export { resolveGroups, groupMaskFromJson, GROUPS_OPTION } from './attribution/feature-groups.js';
export type { FeatureGroup, GroupMask, GroupsOption, ExampleGroups } from './attribution/feature-groups.js';
export { gradientShap, GRADIENT_SHAP_OPTIONS } from './attribution/gradient-shap.js';
export type { GradientShapOptions } from './attribution/gradient-shap.js';
export { deepliftShap, DEEPLIFT_SHAP_OPTIONS } from './attribution/deeplift-shap.js';
export type { DeepLiftShapOptions } from './attribution/deeplift-shap.js';
export { estimateFundamental } from './signal/fundamental-frequency.js';
export type { FundamentalOptions } from './signal/fundamental-frequency.js';
export { lrp, LRP_OPTIONS } from './attribution/lrp.js';
export type { LrpOptions } from './attribution/lrp.js';
export { BASELINE_OPTION } from './attribution/baseline.js';
export type { SmoothGradKind, SmoothGradOptions } from './attribution/smooth-grad.js';
export {
  attributionMethods,
  attributionMethodNames,
  isAttributionMethodName,
  methodDescriptor,
  methodOptionSpecs,
} from './attribution/registry.js';
export { INTEGRATED_GRADIENTS_OPTIONS } from './attribution/integrated-gradients.js';
export { SMOOTH_GRAD_OPTIONS } from './attribution/smooth-grad.js';
export { checkOption, parseOptionText } from './util/option-spec.js';
export type { OptionSpec, OptionType } from './util/option-spec.js';
export type { AttributionMethodName, MethodDescriptor, ContrastForm } from './attribution/registry.js';
export { disposeAttribution } from './attribution/types.js';
export type { AttributionMethod, AttributionOptions, AttributionResult } from './attribution/types.js';

export { decodeWav } from './signal/wav.js';
export type { DecodeWavOptions, WavRecording } from './signal/wav.js';
export { resamplePoly, resampleTo } from './signal/resample.js';
export { welchPsd, powerToDb } from './signal/welch.js';
export type { WelchOptions, WelchResult } from './signal/welch.js';
export { stftRealPart } from './signal/stft.js';
export type { StftOptions, StftRealResult } from './signal/stft.js';
export { spectrogramImage, spectrogramImageToDb } from './signal/spectrogram-image.js';
export type { SpectrogramImage } from './signal/spectrogram-image.js';
export { stftPower } from './signal/stft.js';
export type { StftPowerResult } from './signal/stft.js';
export { hzToMel, melToHz, melFilterbank } from './signal/mel.js';
export type { MelScale, MelFilterbank, MelFilterbankOptions } from './signal/mel.js';
export { toDecibels } from './signal/decibels.js';
export type { DecibelOptions } from './signal/decibels.js';
export { logSpectrogram } from './signal/log-spectrogram.js';
export {
  FEATURE_PRESETS,
  FEATURE_PRESET_NAMES,
  isFeaturePresetName,
  featureShape,
  presetForInputShape,
} from './signal/presets.js';
export type {
  FeaturePresetName,
  FeatureSettings,
  PsdFeatureSettings,
  SpectrogramFeatureSettings,
} from './signal/presets.js';
export { featuresFromRecording, computeFeatures } from './signal/features.js';
export type { Features, FeaturesOptions, RecordingLike } from './signal/features.js';

export {
  COLORMAPS,
  COLORMAP_NAMES,
  DEFAULT_SEQUENTIAL_COLORMAP,
  DEFAULT_DIVERGING_COLORMAP,
  colormap,
} from './render/colormaps.js';
export type { ColormapName, Rgb, Colormap } from './render/colormaps.js';
export type { ColorOptions } from './render/color-domain.js';
export { psdExplanationSpec } from './render/psd-chart.js';
export { spectrogramExplanationSpec } from './render/spectrogram-chart.js';
export { heatmapRowSpec } from './render/heatmap-row-chart.js';
export { pixelFlippingSpec } from './render/pixel-flipping-chart.js';
export { sanityCheckSpec } from './render/sanity-chart.js';
export type { SanityChartData } from './render/sanity-chart.js';
export { renderChartSvg } from './render/chart-svg.js';
export { explanationTitle } from './render/chart-theme.js';
export { explanationSpec, isSpectrumShape } from './render/explanation-spec.js';
export type { ExplanationPicture } from './render/explanation-spec.js';
export { renderReport } from './render/html-report.js';
export type {
  ReportData,
  ReportItem,
  ReportFigure,
  ReportImage,
  ReportPrediction,
  ReportSection,
  ReportTable,
} from './render/html-report.js';

export { loadModel, loadModelBytes, loadModelArtifacts } from './models/load-model.js';
export type { ModelSource, LoadModelOptions, LoadedModelInfo } from './models/load-model.js';
export { registerWingbeatsLayers } from './models/wingbeats-layers.js';
export { recogniseArchitecture } from './models/architectures.js';
export type { WingbeatsArchitecture, RecognisedArchitecture } from './models/architectures.js';
export { DATASETS, detectDataset, datasetLabels } from './models/labels.js';
export type { WingbeatsDataset, DatasetInfo } from './models/labels.js';

export { synthesizeWingbeat, synthesizeDataset, DEMO_SPECIES, SPECIES_PROFILES } from './demo/synthesize.js';

export { pixelStatistics, pixelStatisticsToJSON, pixelStatisticsFromJSON } from './evaluation/pixel-statistics.js';
export type {
  PixelStatistics,
  PixelStatisticsJSON,
  PixelStatisticsOptions,
  StatisticsItem,
} from './evaluation/pixel-statistics.js';
export { pixelFlipping } from './evaluation/pixel-flipping.js';
export type {
  PixelFlippingOptions,
  PixelFlippingResult,
  PixelFlippingCurve,
  HeatmapsLike,
} from './evaluation/pixel-flipping.js';
export { flipOrders } from './evaluation/flip-order.js';
export type { FlipOrder } from './evaluation/flip-order.js';
export type { StatisticsOption, StatisticsSource } from './evaluation/replacement-statistics.js';
export { aopc, perturbationAuc, spread } from './evaluation/curve-summaries.js';
export type { Spread } from './evaluation/curve-summaries.js';
export { compareWithRandom, EVALUATION_OPTIONS } from './evaluation/compare-with-random.js';
export type {
  CompareWithRandomOptions,
  CompareWithRandomResult,
  ComparisonCurve,
  InputComparison,
  MethodVersusRandom,
} from './evaluation/compare-with-random.js';
export { deletion } from './evaluation/deletion.js';
export type { DeletionOptions } from './evaluation/deletion.js';
export { insertion } from './evaluation/insertion.js';
export type { InsertionOptions } from './evaluation/insertion.js';
export type { CurveSummary, CurveOptions, CurveMode } from './evaluation/perturbation-curves.js';
export { road, ROAD_FRACTIONS } from './evaluation/road.js';
export type { RoadOptions } from './evaluation/road.js';
export { noisyLinearImputation } from './evaluation/noisy-linear-imputation.js';
export { faithfulnessCorrelation } from './evaluation/faithfulness-correlation.js';
export type { FaithfulnessCorrelationOptions } from './evaluation/faithfulness-correlation.js';
export { infidelity, gaussianPerturb } from './evaluation/infidelity.js';
export type { InfidelityOptions, InfidelityPerturb, InfidelityPerturbation } from './evaluation/infidelity.js';
export { sensitivityMax, uniformPerturb } from './evaluation/sensitivity-max.js';
export type { SensitivityMaxOptions, SensitivityPerturb } from './evaluation/sensitivity-max.js';
export { sparseness } from './evaluation/sparseness.js';
export { complexity } from './evaluation/complexity.js';
export { randomLogit } from './evaluation/random-logit.js';
export type { RandomLogitOptions } from './evaluation/random-logit.js';
export type { AttributionsLike } from './evaluation/attribution-rows.js';
export {
  explanationMetricsOf,
  explanationMetrics,
  explanationMetricNames,
  metricReadings,
  METRIC_OPTIONS,
} from './evaluation/explanation-metrics.js';
export type {
  ExplanationMetricName,
  ExplanationMetricsOptions,
  ExplanationMetricsResult,
  MetricValue,
} from './evaluation/explanation-metrics.js';
export { metricsJob, metricsSummary } from './pipeline/metrics-job.js';
export { relevanceMask, splitByPsdGains, splitBySpectrogramMask, MASK_MAPPINGS } from './signal/listenable.js';
export type { MaskMapping, RelevanceMaskOptions, ListenableParts, MaskStftSettings } from './signal/listenable.js';
export { encodeWavFloat32 } from './signal/wav-encode.js';
export { splitRecording, UNSEEN_PARTS, listeningGain, LISTENING_PEAK } from './signal/listenable-recording.js';
export type { RecordingParts, SplitRecordingOptions, UnseenPart } from './signal/listenable-recording.js';
export { listenableAudio, itemWindow, modelWindow, AUDIO_OPTIONS } from './pipeline/listenable-audio.js';
export type { AudioJson, AudioPartJson, AudioSettings, AudioGainJson } from './pipeline/listenable-audio.js';
export { audioPartCaption } from './pipeline/listening-players.js';
export type { AudioPartKind } from './pipeline/listening-players.js';
export type { MetricsDocument, MetricsSettings } from './pipeline/metrics-job.js';
export { sanityCheck, SANITY_DEFAULT_METHODS } from './evaluation/sanity-check.js';
export type { SanityCheckOptions, SanityCheckResult, SanityCurve } from './evaluation/sanity-check.js';
export { spearman, pearson, averageRanks } from './evaluation/rank-correlation.js';
export { ssim } from './evaluation/ssim.js';
export type { SsimOptions } from './evaluation/ssim.js';
export { mcDropoutExplanations, MC_DROPOUT_OPTIONS } from './uncertainty/mc-dropout-explanations.js';
export type {
  McDropoutExplanations,
  McDropoutExplanationsOptions,
  McDropoutExample,
  McDropoutSample,
  SampleSpread,
} from './uncertainty/mc-dropout-explanations.js';
export { quantileMaps, quantileMethods, QUANTILE_OPTIONS } from './uncertainty/quantile-maps.js';
export type { QuantileMapsOptions, QuantileMapsResult, QuantileMethod } from './uncertainty/quantile-maps.js';
export { fetchBytes } from './io/fetch-bytes.js';

export { readInputSource, readInputSources, itemsToBatch, presetForModel } from './pipeline/input-sources.js';
export type { InputSource, InputItem, InputReadOptions, WindowChoice } from './pipeline/input-sources.js';
export { explainItems } from './pipeline/explain-items.js';
export type { ExplainedItem, ExplainSettings, JobSettings } from './pipeline/explain-items.js';
export { explainJob } from './pipeline/explain-job.js';
export type { ExplainDocument } from './pipeline/explain-job.js';
export { buildExplanationReport, reportJob } from './pipeline/explanation-report.js';
export type { ExplanationReportSettings } from './pipeline/explanation-report.js';
export { evaluationJob, evaluationSummary } from './pipeline/evaluation-job.js';
export type { EvaluationDocument, EvaluationSettings } from './pipeline/evaluation-job.js';
export { uncertaintyJob, uncertaintySummary } from './pipeline/uncertainty-job.js';
export type { UncertaintyDocument, UncertaintyResult, UncertaintySettings } from './pipeline/uncertainty-job.js';
export { featuresJob } from './pipeline/features-job.js';
export { batchFileJob } from './pipeline/batch-file-job.js';
export type { BatchInputSummary } from './pipeline/batch-file-job.js';
export { jsonFile, safeFileName } from './pipeline/output-files.js';
export type { OutputFile } from './pipeline/output-files.js';
export { toJson, nestArray } from './pipeline/json-values.js';
export { modelJson, resultJson } from './pipeline/result-json.js';
export { parseTarget, parseOutput } from './pipeline/selectors.js';

export {
  examplesFromFolder,
  examplesFromManifest,
  isDatasetFile,
  DATASET_FILE_EXTENSIONS,
} from './dataset/examples.js';
export type { DatasetExample } from './dataset/examples.js';
export { stableHash, shardOfPath, inShard, parseShard, resolveShard, WHOLE_DATASET } from './dataset/shard.js';
export type { Shard } from './dataset/shard.js';
export { explainExamples, exampleSeed, normalisedContrastMap } from './dataset/explain-rows.js';
export { contrastMapSections } from './dataset/contrast-maps-report.js';
export {
  exampleFundamental,
  exampleHarmonicProfile,
  harmonicGrid,
  harmonicProfile,
  HARMONIC_GRID_STEP,
  MAX_HARMONIC,
} from './dataset/harmonic-profile.js';
export type { ExampleHarmonicProfile } from './dataset/harmonic-profile.js';
export { harmonicProfileSections } from './dataset/harmonic-profile-report.js';
export type { DatasetExplainSettings, LoadedExample } from './dataset/explain-rows.js';
export { TABLE_COLUMNS, TABLE_METADATA_KEY, tableSchema } from './dataset/table.js';
export type { DatasetRow } from './dataset/table.js';
export { summarizeTable } from './dataset/summarize.js';
export type {
  ClassSummary,
  ContrastSummary,
  DatasetSummary,
  HarmonicProfileSummary,
  GroupValuesSummary,
  SummarizeOptions,
  SummaryGrouping,
  TableScan,
} from './dataset/summarize.js';
export { heatmapAxis, topRegions } from './dataset/axis.js';
export type { HeatmapAxis, TopRegion } from './dataset/axis.js';
export type { DatasetRunSettings } from './dataset/settings.js';
export { datasetReport } from './dataset/summary-report.js';
export { classProfileSpec, classComparisonSpec } from './render/class-summary-chart.js';
export type { ClassProfile, ProfileChartText } from './render/class-summary-chart.js';
// Day one: the default head, honest warnings, readable numbers.
export { defaultHeadIndex } from './execution/default-head.js';
export {
  trainingInputStatistics,
  checkInputRange,
  inputRangeWarning,
  inputRangeWarnings,
} from './execution/input-range.js';
export type { TrainingInputStatistics, InputRangeCheck } from './execution/input-range.js';
export { checkPresetForModel } from './models/preset-check.js';
export { featureAxes, featureFrequencies } from './signal/feature-axes.js';
export type { FeatureAxes } from './signal/feature-axes.js';
export { upsamplingWarning } from './signal/upsampling-warning.js';
export { relativeCompletenessGap } from './summary/completeness.js';
export { rankFrequencyBands, formatFrequencyBands } from './summary/frequency-bands.js';
export type { FrequencyBand } from './summary/frequency-bands.js';
export { inputNotes } from './summary/input-notes.js';
export type { InputNotes, NotedInput } from './summary/input-notes.js';
export { statisticsMean } from './pipeline/input-sources.js';
export { safeRelativePath } from './pipeline/output-files.js';
export { evaluationReading } from './pipeline/evaluation-job.js';
export { explainedItemLine, itemFrequencyBands, itemRelativeGap } from './pipeline/result-json.js';
export { explanationCaptionText } from './pipeline/explanation-caption.js';
export type { CaptionFacts } from './pipeline/explanation-caption.js';
