// The checkout as JavaScript, for scripts/run-tests.mjs: a tree with the checkout's layout in which every TypeScript
// file of src/, test/, bench/, scripts/ and web/ also exists compiled (x.ts → x.js, x.mts → x.mjs, esbuild, about two
// seconds for all of them), so that the test files, and the workers and processes the library starts from them, run
// on plain Node instead of tsx compiling the same sources again in every process (1–2 s of CPU each).
// Everything else is a symbolic link into the checkout: the TypeScript sources themselves (tests that read them, or run
// them through tsx, still find them), fixtures, assets, bin/, package.json, node_modules; and `../shared` beside the
// tree points where `../shared` beside the checkout does. So a path built from `import.meta.url` finds in the tree
// what it finds in the checkout, and test/helpers.ts's `repoRoot` (package.json's real folder) is the checkout.
import { existsSync, mkdirSync, readdirSync, realpathSync, symlinkSync } from 'node:fs';
import { join, resolve } from 'node:path';
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
    // Stack traces name the TypeScript file and line (the runner starts Node with --enable-source-maps).
    sourcemap: 'inline',
    sourcesContent: false,
  };
  await Promise.all([
    build({ ...common, entryPoints: out.ts }),
    out.mts.length === 0 ? undefined : build({ ...common, entryPoints: out.mts, outExtension: { '.js': '.mjs' } }),
  ]);
  return dir;
}

/** The compiled name of a TypeScript path (`x.ts` → `x.js`, `x.mts` → `x.mjs`). */
export const compiledName = (path) => path.replace(/\.ts$/, '.js').replace(/\.mts$/, '.mjs');
