/**
 * The architecture holds: no import cycles between files or folders of src/; Node-only modules only in src/node/ (and
 * the eslint rule that enforces it really fires); the public surface is the documented one; no module-level state
 * keyed by models and no set-hooks between folders (engine state lives in sessions, engines in one registry).
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { ESLint } from 'eslint';
import { repoRoot } from '../helpers.js';
import { findCycle, folderOf, sourceFiles } from './source-imports.js';
import { crossFolderSetHooks, moduleLevelModelTables } from './module-state.js';

const files = sourceFiles(repoRoot);

test('no import cycle between files of src/', () => {
  const graph = new Map(files.map((f) => [f.file, new Set(f.imports)]));
  const cycle = findCycle(graph);
  assert.equal(cycle, null, `file cycle: ${cycle?.join(' → ')}`);
});

test('no import cycle between folders of src/', () => {
  const graph = new Map<string, Set<string>>();
  for (const f of files) {
    for (const target of f.imports) {
      const [from, to] = [folderOf(f.file), folderOf(target)];
      if (from !== to) graph.set(from, (graph.get(from) ?? new Set()).add(to));
    }
  }
  const cycle = findCycle(graph);
  assert.equal(cycle, null, `folder cycle: ${cycle?.join(' → ')}`);
});

test('library code never imports the command line (src/node/cli/ imports the library, never the reverse)', () => {
  const cli = path.join('src', 'node', 'cli') + path.sep;
  for (const f of files) {
    if (f.file.startsWith(cli)) continue;
    assert.deepEqual(
      f.imports.filter((i) => i.startsWith(cli)),
      [],
      `${f.file} imports the command line`,
    );
  }
});

test('Node-only imports (node:*, commander, resvg, the src/node folder) appear only in src/node/ and src/node.ts', () => {
  const nodeOnly = (p: string): boolean => p.startsWith('node:') || p === 'commander' || p === '@resvg/resvg-js';
  for (const f of files) {
    if (f.file.startsWith(path.join('src', 'node'))) continue;
    assert.deepEqual(f.packages.filter(nodeOnly), [], `${f.file} imports a Node-only module`);
    assert.deepEqual(
      f.imports.filter((i) => i.startsWith(path.join('src', 'node') + path.sep)),
      [],
      `${f.file} imports the Node folder`,
    );
  }
});

test('the eslint rule refuses Node-only imports outside src/node/ and allows them inside', async () => {
  const eslint = new ESLint({ cwd: repoRoot });
  const lint = async (filePath: string, code: string): Promise<string[]> =>
    (await eslint.lintText(code, { filePath: path.join(repoRoot, filePath) }))[0].messages.map(
      (m) => m.ruleId ?? m.message,
    );
  const code =
    "import { readFile } from 'node:fs/promises';\nimport path from 'path';\nimport { readSources } from '../node/read-files.js';\nexport const x = [readFile, path, readSources];\n";
  assert.deepEqual(await lint('src/pipeline/probe.ts', code), [
    'no-restricted-imports',
    'no-restricted-imports',
    'no-restricted-imports',
  ]);
  assert.deepEqual(await lint('web/probe.ts', "import { Command } from 'commander';\nexport const c = Command;\n"), [
    'no-restricted-imports',
  ]);
  assert.deepEqual(await lint('src/node/probe.ts', code.replace('../node/', './')), []);
});

test('src/index.ts exports exactly the names documented in docs/api.md', () => {
  const index = readFileSync(path.join(repoRoot, 'src', 'index.ts'), 'utf8');
  assert.doesNotMatch(index, /export \*/, 'explicit named exports only');
  const exported = [...index.matchAll(/export (?:type )?\{([^}]*)\}/g)]
    .flatMap((m) =>
      m[1]
        .split(',')
        .map((n) => n.trim())
        .filter((n) => n !== ''),
    )
    .sort();
  const documented = [
    ...readFileSync(path.join(repoRoot, 'docs', 'api.md'), 'utf8').matchAll(/^- `([A-Za-z_][A-Za-z0-9_]*)`/gm),
  ]
    .map((m) => m[1])
    .sort();
  assert.deepEqual(
    exported.filter((n) => !documented.includes(n)),
    [],
    'exported but not documented (python3 scripts/api-doc-missing.py adds them from their TSDoc)',
  );
  assert.deepEqual(
    documented.filter((n) => !exported.includes(n)),
    [],
    'documented but not exported',
  );
});

/**
 * Module-level tables keyed by models that are allowed (each needs a reason). Must stay empty: state that belongs to a
 * model lives in its session (src/session/session.ts) or on the model object itself.
 */
const MODEL_TABLE_ALLOW_LIST: readonly string[] = [];

test('no module-level state keyed by models: no WeakMap/WeakSet, no Map/Set keyed by a model, anywhere in src/', () => {
  assert.equal(MODEL_TABLE_ALLOW_LIST.length, 0, 'the allow-list stays empty');
  const offences = files.flatMap((f) =>
    moduleLevelModelTables(readFileSync(path.join(repoRoot, f.file), 'utf8'))
      .filter(() => !MODEL_TABLE_ALLOW_LIST.includes(f.file))
      .map((line) => `${f.file}: ${line}`),
  );
  assert.deepEqual(offences, [], 'move the state into the session (openSession) or the model');
});

test('no set-hooks between folders: no set* function imported or re-exported by value across folders of src/', () => {
  const offences = files.flatMap((f) =>
    crossFolderSetHooks(f.file, readFileSync(path.join(repoRoot, f.file), 'utf8')).map((hook) => `${f.file}: ${hook}`),
  );
  assert.deepEqual(offences, [], 'pass the thing through the session, or register it in a registry (registerEngine)');
});

test('the two static checks fire on what they forbid and pass what they allow', () => {
  const tables = [
    'const pools = new WeakMap<ExplainableModel, Pool>();',
    'export const seen = new WeakSet();',
    'let byModel: Map<tf.LayersModel, number> = new Map();',
    'const runners = new Map<Session, Runner>();',
    '  const local = new WeakMap<object, number>();',
    'const plans = new Map<number, Plan>();',
    "const names = new Set(['a']);",
  ].join('\n');
  assert.deepEqual(
    moduleLevelModelTables(tables),
    [
      'const pools = new WeakMap<ExplainableModel, Pool>();',
      'export const seen = new WeakSet();',
      'let byModel: Map<tf.LayersModel, number> = new Map();',
      'const runners = new Map<Session, Runner>();',
    ].map((line) => line.slice(0, line.indexOf('(') + 1)),
  );
  const hooks = [
    "import { setRequestForward, predict } from '../execution/request-forward.js';",
    "import { setLocal } from './local.js';",
    "import type { setTyped } from '../x/y.js';",
    "export { setWorkerPlatform as install } from '../parallel/worker-pool.js';",
    "import { setupBackend } from '../execution/backend.js';",
  ].join('\n');
  assert.deepEqual(crossFolderSetHooks(path.join('src', 'attribution', 'probe.ts'), hooks), [
    "setRequestForward from '../execution/request-forward.js'",
    "setWorkerPlatform from '../parallel/worker-pool.js'",
  ]);
});
