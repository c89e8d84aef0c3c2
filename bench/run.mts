/**
 * `npm run bench`: runs every benchmark and prints one JSON document on stdout.
 * Timings are medians; compare ratios within one run (machines are shared and noisy).
 */
import { existsSync } from 'node:fs';
import { setupBackend } from '../src/execution/backend.js';

const benches: [string, string, string, 'opt-in'?][] = [
  ['startup', './startup.ts', 'benchStartup'],
  ['attribution', './attribution.ts', 'benchAttribution'],
  ['methods', './methods.ts', 'benchMethods'],
  ['group-methods', './group-methods.ts', 'benchGroupMethods'],
  ['signal', './signal.ts', 'benchSignal'],
  ['models', './models.ts', 'benchModels'],
  ['wild-models', './wild-models.ts', 'benchWildModels'],
  ['render', './render.ts', 'benchRender'],
  ['uncertainty', './uncertainty.ts', 'benchUncertainty'],
  ['dataset', './dataset.ts', 'benchDataset'],
  ['floor', './floor.ts', 'benchFloor'],
  ['kernels', './kernels.ts', 'benchKernels'],
  ['workers', './workers.ts', 'benchWorkers'],
  ['report-memory', './report-memory.ts', 'benchReportMemory'],
  // Minutes long: run only when named (`npm run bench -- pytorch`, `npm run bench -- method-matrix`, `npm run bench -- onnx`, `npm run bench -- default-engine`, `npm run bench -- web-engine`, `npm run bench -- recurrent-setup`).
  ['pytorch', './pytorch.ts', 'benchPytorch', 'opt-in'],
  ['method-matrix', './method-matrix.ts', 'benchMethodMatrix', 'opt-in'],
  ['onnx', './onnx.ts', 'benchOnnx', 'opt-in'],
  ['default-engine', './default-engine.ts', 'benchDefaultEngine', 'opt-in'],
  ['web-engine', './web-engine.ts', 'benchWebEngine', 'opt-in'],
  ['recurrent-setup', './recurrent-setup.ts', 'benchRecurrentSetup', 'opt-in'],
];

const only = process.argv.slice(2);
const results: Record<string, unknown> = { date: new Date().toISOString(), node: process.version };
results.backend = await setupBackend({ warn: (m) => console.error(m) });
for (const [name, file, fn, optIn] of benches) {
  if (only.length > 0 ? !only.includes(name) : optIn === 'opt-in') continue;
  if (!existsSync(new URL(file, import.meta.url))) continue;
  console.error(`bench: ${name} ...`);
  try {
    const module = (await import(file)) as Record<string, () => Promise<unknown>>;
    results[name] = await module[fn]();
  } catch (error) {
    results[name] = { error: (error as Error).message };
  }
}
console.log(JSON.stringify(results, null, 2));
