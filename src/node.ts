/** wingbeats-xai for Node: the universal surface plus helpers that touch the file system or the command line. */
export { readWavFile } from './node/read-wav-file.js';
export { writeNpy, readNpy, encodeNpy, decodeNpy } from './node/npy-file.js';
export type { NpyArray } from './node/npy-file.js';
export { main, createProgram } from './node/cli/main.js';
export type { CliIo } from './node/cli/common.js';
export { svgToPng, renderChartPng } from './node/chart-png.js';
export type { SvgToPngOptions } from './node/chart-png.js';
export { writeChartFiles, writeReportFile } from './node/chart-files.js';
export type { ChartFileFormat, WriteChartOptions } from './node/chart-files.js';
export { loadModelFile, readModelJsonArtifacts } from './node/load-model-file.js';
export { demoAssetPaths, loadDemoModel, readDemoModelMetadata } from './node/demo-assets.js';
export type { DemoAssetPaths, DemoModelMetadata } from './node/demo-assets.js';
export { savePixelStatistics, loadPixelStatistics } from './node/pixel-statistics-file.js';
export { readFileBytes, readSource, readSources, expandInputPaths } from './node/read-files.js';
