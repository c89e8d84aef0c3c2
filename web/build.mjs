// Builds the browser page into web/dist: the bundle of web/main.ts (ESM, browser platform), index.html, the
// TensorFlow.js wasm binaries (the page points setWasmPaths at dist/wasm/), ONNX Runtime Web's wasm module (its
// glue .mjs and .wasm in dist/ort/: the page sets ort.env.wasm.wasmPaths there, so nothing comes from a CDN) and the
// demo model and recordings (with demo/manifest.json listing them). Fails when the bundle would import a Node built-in.
// Usage: node web/build.mjs [--out DIR]
import { build } from 'esbuild';
import { createRequire } from 'node:module';
import { copyFile, mkdir, readdir, readFile, rm, writeFile } from 'node:fs/promises';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';

const webDir = dirname(fileURLToPath(import.meta.url));
const root = resolve(webDir, '..');
const outIndex = process.argv.indexOf('--out');
const outDir = resolve(outIndex > 0 ? process.argv[outIndex + 1] : join(webDir, 'dist'));

async function copyInto(from, toDir, name = from.slice(from.lastIndexOf('/') + 1)) {
  await mkdir(toDir, { recursive: true });
  await copyFile(from, join(toDir, name));
}

const started = Date.now();
await rm(outDir, { recursive: true, force: true });
await mkdir(outDir, { recursive: true });

// Node built-ins never reach the page: third-party packages that mention one (tfjs, seedrandom) map it to an empty
// module through their package.json "browser" field, which esbuild honours on the browser platform; an unmapped one
// fails the build ("Could not resolve"). The library's own Node-only modules are imported dynamically through a
// variable specifier, which esbuild leaves alone; eslint's no-restricted-imports keeps src/node/ and node:* out of
// src/ and web/ (test/architecture checks that the rule fires), so no scan of the bundle is needed.
/** Builds one browser bundle of the page: `web/NAME.ts` → the output folder's `NAME.js`, minified, with a linked source map. */
function buildBundle(name, options = {}) {
  return build({
    entryPoints: [join(webDir, `${name}.ts`)],
    outfile: join(outDir, `${name}.js`),
    bundle: true,
    format: 'esm',
    platform: 'browser',
    target: 'es2022',
    minify: true,
    sourcemap: 'linked',
    logLevel: 'warning',
    legalComments: 'none',
    ...options,
  });
}

// src/signal/wav.ts reads wavefile's class from the named export (the ESM build) before falling back to `default`
// (Node's CommonJS interop), so the `default` branch esbuild warns about is never taken in the bundles.
const quietWavefile = { logOverride: { 'import-is-undefined': 'silent' } };

await buildBundle('main', {
  ...quietWavefile,
  // onnxruntime-web's build that loads its wasm glue (ort-wasm-simd-threaded.mjs) from env.wasm.wasmPaths instead of
  // carrying it inline: its threads start from that file, never from the page's bundle ('module' kept, as esbuild's
  // default conditions have it).
  conditions: ['onnxruntime-web-use-extern-wasm', 'module'],
});
// The pool's Web Worker (one per core; see src/parallel/web-worker-pool.ts), a bundle of its own.
await buildBundle('pool-worker', quietWavefile);
// The HDF5 reader's Web Worker (see web/h5-in-worker.ts), a bundle of its own.
await buildBundle('h5-worker');
// The ONNX run pool's Web Worker (see src/onnx/web-run-pool.ts): onnxruntime-web loading its glue from ort/ as the page does.
await buildBundle('ort-worker', { conditions: ['onnxruntime-web-use-extern-wasm', 'module'] });

const bundle = await readFile(join(outDir, 'main.js'), 'utf8');

await copyInto(join(webDir, 'index.html'), outDir);

const require = createRequire(import.meta.url);
const wasmEntry = require.resolve('@tensorflow/tfjs-backend-wasm');
const wasmDir = dirname(wasmEntry);
const wasmFiles = (await readdir(wasmDir)).filter((name) => name.endsWith('.wasm'));
if (wasmFiles.length === 0) {
  console.error(`web build: no .wasm files found beside '${wasmEntry}'.`);
  process.exit(1);
}
for (const name of wasmFiles) await copyInto(join(wasmDir, name), join(outDir, 'wasm'));

// ONNX Runtime Web's WebAssembly module (SIMD, threads where the page is cross-origin isolated): its glue and binary.
for (const name of ['ort-wasm-simd-threaded.mjs', 'ort-wasm-simd-threaded.wasm'])
  await copyInto(require.resolve(`onnxruntime-web/${name}`), join(outDir, 'ort'));

const modelDir = join(root, 'assets', 'demo-model');
const modelJson = JSON.parse(await readFile(join(modelDir, 'model.json'), 'utf8'));
const weightFiles = modelJson.weightsManifest.flatMap((group) => group.paths);
for (const name of ['model.json', 'labels.json', 'metadata.json', ...weightFiles])
  await copyInto(join(modelDir, name), join(outDir, 'demo', 'model'));

const recordingsDir = join(root, 'assets', 'demo-recordings');
const recordings = (await readdir(recordingsDir)).filter((name) => name.toLowerCase().endsWith('.wav')).sort();
for (const name of recordings) await copyInto(join(recordingsDir, name), join(outDir, 'demo', 'recordings'));
const manifest = {
  model: 'demo/model/',
  recordings: recordings.map((name) => `demo/recordings/${encodeURIComponent(name)}`),
};
await writeFile(join(outDir, 'demo', 'manifest.json'), `${JSON.stringify(manifest, null, 2)}\n`);

const kib = (bytes) => `${(bytes / 1024).toFixed(0)} KiB`;
console.log(
  `web build: ${outDir} in ${Date.now() - started} ms (main.js ${kib(bundle.length)}, ${wasmFiles.length} TensorFlow.js wasm files, ONNX Runtime Web's wasm, demo model + ${recordings.length} recordings)`,
);
