// The checkout as JavaScript, for scripts/run-tests.mjs: a tree with the checkout's layout in which every TypeScript
// file of src/, test/, bench/, scripts/ and web/ also exists compiled (x.ts → x.js, x.mts → x.mjs, esbuild, about two
// seconds for all of them), so that the test files, and the workers and processes the library starts from them, run
// on plain Node instead of tsx compiling the same sources again in every process (1–2 s of CPU each).
// Everything else is a symbolic link into the checkout: the TypeScript sources themselves (tests that read them, or run
// them through tsx, still find them), fixtures, assets, bin/, package.json, node_modules; and `../shared` beside the
// tree points where `../shared` beside the checkout does. So a path built from `import.meta.url` finds in the tree
// what it finds in the checkout, and test/helpers.ts's `repoRoot` (package.json's real folder) is the checkout.
import { existsSync, mkdirSync, readdirSync, realpathSync, symlinkSync, writeFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { dirname, join, resolve } from 'node:path';
import { pathToFileURL } from 'node:url';
import { build } from 'esbuild';

/** The folders whose TypeScript files are compiled; every other entry of the checkout is linked as it is. */
const COMPILED = ['src', 'test', 'bench', 'scripts', 'web'];
/** Entries never linked into the tree. */
const SKIPPED = new Set(['.git']);
/** A TypeScript module (compiled into the tree); declaration files are not. */
const isTypeScript = (name) => /\.m?ts$/.test(name) && !name.endsWith('.d.ts');

/** True when `folder` holds a TypeScript file at any depth (such a folder is made in the tree, not linked). */
function holdsTypeScript(folder) {
  return readdirSync(folder, { withFileTypes: true }).some((entry) =>
    entry.isDirectory() ? holdsTypeScript(join(folder, entry.name)) : isTypeScript(entry.name),
  );
}

/** Mirrors `from` (a folder of the checkout) into `to`: links, and the TypeScript files to compile (added to `out`). */
function mirror(from, to, out) {
  mkdirSync(to, { recursive: true });
  for (const entry of readdirSync(from, { withFileTypes: true })) {
    const source = join(from, entry.name);
    const target = join(to, entry.name);
    if (entry.isDirectory() && entry.name !== 'node_modules' && holdsTypeScript(source)) {
      mirror(source, target, out);
      continue;
    }
    symlinkSync(source, target);
    if (entry.isFile() && isTypeScript(entry.name)) out[/\.mts$/.test(entry.name) ? 'mts' : 'ts'].push(source);
  }
}

/**
 * Builds the tree of `checkout` (an absolute path) in the empty or absent folder `dir` and returns `dir`. A file of
 * the tree is `join(dir, relative(checkout, file))`, with `.ts` → `.js` for the compiled ones.
 */
export async function buildTestTree(checkout, dir) {
  mkdirSync(dir, { recursive: true });
  const out = { ts: [], mts: [] };
  for (const entry of readdirSync(checkout, { withFileTypes: true })) {
    if (SKIPPED.has(entry.name)) continue;
    const source = join(checkout, entry.name);
    if (entry.isDirectory() && COMPILED.includes(entry.name)) mirror(source, join(dir, entry.name), out);
    else symlinkSync(entry.name === 'node_modules' ? realpathSync(source) : source, join(dir, entry.name));
  }
  const shared = resolve(checkout, '..', 'shared');
  const sharedLink = resolve(dir, '..', 'shared');
  if (existsSync(shared) && !existsSync(sharedLink)) symlinkSync(shared, sharedLink);
  // esbuild transpiles file by file (bundle: false), as tsx does, with the checkout's tsconfig.json.
  const common = {
    outdir: dir,
    outbase: checkout,
    format: 'esm',
    platform: 'node',
    target: 'node20',
    logLevel: 'warning',
    // Failures name the TypeScript file and line (scripts/test-summary-reporter.mjs reads these maps).
    sourcemap: 'inline',
    sourcesContent: false,
  };
  const namespace = await writeTfjsNamespace(checkout, join(dir, '.tfjs-namespace.mjs'));
  await Promise.all([
    buildWithTfjsNamespace({ ...common, entryPoints: out.ts }, namespace),
    out.mts.length === 0
      ? undefined
      : buildWithTfjsNamespace({ ...common, entryPoints: out.mts, outExtension: { '.js': '.mjs' } }, namespace),
  ]);
  return dir;
}

/**
 * The TensorFlow.js package, which every module of the library imports as `import * as tf from '@tensorflow/tfjs'`.
 * Node gives an ES module importing it (a CommonJS package) its named exports by scanning the source of it and of the
 * six packages it re-exports (7 MB) with its CommonJS lexer: 0.55 s of CPU in every process and worker thread, against
 * 0.35 s for loading the package itself (measured: `node -e "await import('@tensorflow/tfjs')"` 1.05 s of CPU,
 * `require('@tensorflow/tfjs')` 0.48 s, an empty Node 0.13 s). Hundreds of processes and worker threads start in a
 * run, so the compiled tree imports it through `tfjsNamespace`'s module instead: the same object loaded with
 * `require`, with exactly the names Node's own import gives (read once per run from that import), so that every
 * `tf.x` is the value it is in the shipped package. test/cli/package-install.test.ts and
 * test/parallel/source-workers.test.ts still run the library through Node's own import.
 */
export const TFJS = '@tensorflow/tfjs';

/**
 * Writes `file`, an ES module whose namespace equals Node's namespace of `import * as tf from '@tensorflow/tfjs'` (the
 * CommonJS package's `module.exports` as `default`, and the same named exports), resolved from `checkout`; returns it.
 */
export async function writeTfjsNamespace(checkout, file) {
  const require = createRequire(join(checkout, 'package.json'));
  const main = require.resolve(TFJS);
  const names = Object.keys(await import(pathToFileURL(main).href)).filter((name) => name !== 'default');
  const lines = [
    "import { createRequire } from 'node:module';",
    `const tf = createRequire(${JSON.stringify(main)})(${JSON.stringify(main)});`,
    'export default tf;',
    ...names.map(
      (name, i) => `const e${i} = tf[${JSON.stringify(name)}];\nexport { e${i} as ${JSON.stringify(name)} };`,
    ),
  ];
  mkdirSync(dirname(file), { recursive: true });
  writeFileSync(file, `${lines.join('\n')}\n`);
  return file;
}

/**
 * esbuild's `build` for `options`, its output written with every static import of `@tensorflow/tfjs` pointed at
 * `namespaceFile` (writeTfjsNamespace). esbuild does not bundle here, so it leaves the specifier as written.
 */
export async function buildWithTfjsNamespace(options, namespaceFile) {
  const result = await build({ ...options, write: false });
  const target = JSON.stringify(pathToFileURL(namespaceFile).href);
  for (const output of result.outputFiles) {
    mkdirSync(dirname(output.path), { recursive: true });
    writeFileSync(output.path, output.text.replaceAll(` from ${JSON.stringify(TFJS)};`, ` from ${target};`));
  }
  return result;
}

/** The compiled name of a TypeScript path (`x.ts` → `x.js`, `x.mts` → `x.mjs`). */
export const compiledName = (path) => path.replace(/\.ts$/, '.js').replace(/\.mts$/, '.mjs');
