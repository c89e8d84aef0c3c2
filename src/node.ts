/**
 * wingbeats-xai for Node: helpers that touch the file system, worker threads and ONNX Runtime. The command line is its
 * own entry (`wingbeats-xai/cli`: `main(argv)`), so this library never imports it.
 */
export { readWavFile } from './node/read-wav-file.js';
export { writeNpy, readNpy, encodeNpy, decodeNpy } from './node/npy-file.js';
export type { NpyArray } from './node/npy-file.js';
export { svgToPng, renderChartPng } from './node/chart-png.js';
export type { SvgToPngOptions } from './node/chart-png.js';
export { writeChartFiles, writeReportFile } from './node/chart-files.js';
export type { ChartFileFormat, WriteChartOptions } from './node/chart-files.js';
export { loadModelFile, readModelJsonArtifacts } from './node/load-model-file.js';
export { demoAssetPaths, loadDemoModel, readDemoModelMetadata } from './node/demo-assets.js';
export type { DemoAssetPaths, DemoModelMetadata } from './node/demo-assets.js';
export { savePixelStatistics, loadPixelStatistics } from './node/pixel-statistics-file.js';
export { readFileBytes, readSource, readSources, expandInputPaths } from './node/read-files.js';
export { explainDataset } from './node/dataset/explain-dataset.js';
export type { ExplainDatasetOptions, ExplainDatasetResult } from './node/dataset/explain-dataset.js';
export { mergeDataset } from './node/dataset/merge.js';
export type { DatasetTableResult } from './node/dataset/merge.js';
export { listDataset } from './node/dataset/listing.js';
export type { DatasetListing } from './node/dataset/listing.js';
export { readTableRowGroups, readTableMetadata, writeTableFile } from './node/dataset/table-file.js';
export { OnnxGradientSession } from './node/onnx/node-onnx-sessions.js';
export type { OnnxSessionOptions } from './node/onnx/node-onnx-sessions.js';
export type { OnnxGradientResult } from './onnx/onnx-gradient-session.js';
export { useWorkerThreads, createThreadPool } from './node/parallel/thread-pool.js';
export { OnnxTaskRunner } from './node/onnx/node-onnx-sessions.js';
export { ONNX_TASK_KINDS } from './onnx/onnx-task-runner.js';
export { onnxEngine, onnxCudaEngine } from './node/onnx/onnx-backend.js';

// Importing wingbeats-xai/node makes `workers` (default: the number of cores) use Node worker threads and registers
// the ONNX Runtime engine (`engine: 'auto'`, the default, then runs natively).
import './node/register-engines.js';
