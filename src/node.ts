/** wingbeats-xai for Node: the universal surface plus helpers that touch the file system or the command line. */
export { readWavFile } from './signal/read-wav-file.js';
export { writeNpy, readNpy, encodeNpy, decodeNpy } from './cli/npy.js';
export type { NpyArray } from './cli/npy.js';
export { main, createProgram } from './cli/main.js';
export type { CliIo } from './cli/common.js';
export { svgToPng, renderChartPng } from './render/chart-png.js';
export type { SvgToPngOptions } from './render/chart-png.js';
export { writeChartFiles, writeReportFile } from './render/chart-files.js';
export type { ChartFileFormat, WriteChartOptions } from './render/chart-files.js';
export { loadModelFile, readModelJsonArtifacts } from './models/load-model-file.js';
export { demoAssetPaths, loadDemoModel, readDemoModelMetadata } from './demo/demo-assets.js';
export type { DemoAssetPaths, DemoModelMetadata } from './demo/demo-assets.js';
export { savePixelStatistics, loadPixelStatistics } from './evaluation/pixel-statistics-file.js';
export { runEvaluate } from './cli/evaluate.js';
export { runUncertainty } from './cli/uncertainty.js';
