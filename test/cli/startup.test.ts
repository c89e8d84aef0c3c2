/**
 * Start-up: the program loads only what the command it runs uses. `--version`, `--help` and every command's help load
 * none of the heavy packages (TensorFlow.js, renderers, ONNX Runtime, Parquet, HDF5): the commands' flags come from
 * TensorFlow.js-free catalogues and their actions import the rest when they run. (Times are in `npm run bench --
 * startup`; this test checks what is loaded, which does not depend on how busy the machine is.)
 * The commands run as the package ships them (`cliBin`: under scripts/run-tests.mjs the run's JavaScript build, 0.3 s
 * of CPU a process instead of 1 s through tsx); what a command loads does not depend on which of the two runs it.
 * `--version` runs the checkout's own bin/wingbeats-xai.js, which answers it before loading tsx. A package counts as
 * loaded when the ES-module resolver saw one of its files (test/fixtures/record-package-loads.mjs) or when it is in
 * the CommonJS cache at exit (LOG_REQUIRED: the run's build loads TensorFlow.js through `require`, which the resolver
 * hooks do not see).
 */
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, existsSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { after, test } from 'node:test';
import { fileURLToPath } from 'node:url';
import { cliBin, repoRoot, srcImportFlags, srcUrl } from '../helpers.js';

const checkoutBin = fileURLToPath(new URL('../../bin/wingbeats-xai.js', import.meta.url));
const hooks = fileURLToPath(new URL('../fixtures/record-package-loads.mjs', import.meta.url));
/** A module for `--import` that appends the files in the CommonJS cache to WINGBEATS_LOAD_LOG when the process exits. */
const LOG_REQUIRED = `data:text/javascript,${encodeURIComponent(
  [
    "import { createRequire } from 'node:module';",
    "import { appendFileSync } from 'node:fs';",
    "const cache = createRequire(process.cwd() + '/').cache;",
    "process.on('exit', () => appendFileSync(process.env.WINGBEATS_LOAD_LOG, Object.keys(cache).join('\\n') + '\\n'));",
  ].join('\n'),
)}`;
const work = mkdtempSync(path.join(tmpdir(), 'wingbeats-startup-'));
after(() => rmSync(work, { recursive: true, force: true }));

const HEAVY = [
  '@tensorflow/tfjs',
  'vega',
  'vega-lite',
  '@resvg/resvg-js',
  'h5wasm',
  'onnxruntime-node',
  'hyparquet',
  'hyparquet-writer',
  'piscina',
  'protobufjs',
] as const;

/** The packages named by the files and URLs in a load log. */
function packagesIn(log: string): Set<string> {
  const lines = existsSync(log) ? readFileSync(log, 'utf8').split('\n') : [];
  return new Set(lines.flatMap((line) => /\/node_modules\/((?:@[^/]+\/)?[^/]+)\//.exec(line)?.[1] ?? []));
}

/** The packages `node <nodeArgs>` loaded, and its exit status, stdout and stderr. */
function loadedBy(nodeArgs: readonly string[], name: string) {
  const log = path.join(work, `${name.replace(/[^a-z_]/gi, '')}.log`);
  const result = spawnSync(process.execPath, ['--import', hooks, '--import', LOG_REQUIRED, ...nodeArgs], {
    cwd: repoRoot,
    encoding: 'utf8',
    env: { ...process.env, WINGBEATS_LOAD_LOG: log },
  });
  return { packages: packagesIn(log), status: result.status, stdout: result.stdout, stderr: result.stderr };
}

/** The packages `wingbeats-xai <argv>` loaded, and its exit status and stdout. */
const loadedPackages = (argv: readonly string[], bin = cliBin) => loadedBy([bin, ...argv], argv.join('_'));

test('--version prints the version and loads no package at all', () => {
  const { packages, status, stdout } = loadedPackages(['--version'], checkoutBin);
  assert.equal(status, 0);
  assert.match(stdout, /^\d+\.\d+\.\d+\n$/);
  assert.deepEqual([...packages], []);
});

test('--help lists every command and loads none of the heavy packages', () => {
  const { packages, status, stdout } = loadedPackages(['--help']);
  assert.equal(status, 0);
  for (const name of ['explain', 'report', 'batch', 'dataset', 'features', 'evaluate', 'sanity', 'uncertainty'])
    assert.match(stdout, new RegExp(`\\n  ${name} `), name);
  assert.ok(packages.has('commander'), 'the load log records packages');
  for (const heavy of HEAVY) assert.ok(!packages.has(heavy), `--help loaded ${heavy}`);
});

test('explain --help and features --help load none of the heavy packages, TensorFlow.js included', () => {
  for (const command of ['explain', 'features']) {
    const { packages, status, stdout } = loadedPackages([command, '--help']);
    assert.equal(status, 0);
    assert.match(stdout, /-i, --input </);
    if (command === 'explain') assert.match(stdout, /--method <name>/);
    for (const heavy of HEAVY) assert.ok(!packages.has(heavy), `${command} --help loaded ${heavy}`);
  }
});

test("the load log also sees a package loaded with require, as the run's build loads TensorFlow.js", () => {
  const script = "import { createRequire } from 'node:module'; createRequire(process.cwd() + '/')('@tensorflow/tfjs');";
  const { packages, status, stderr } = loadedBy(['--input-type=module', '-e', script], 'required');
  assert.equal(status, 0, stderr);
  assert.ok(packages.has('@tensorflow/tfjs'));
});

test("every command's flags and help are built without TensorFlow.js or any other heavy package", () => {
  // createProgram builds every command (what `COMMAND --help` needs); their actions load the rest when they run.
  const script = `const { createProgram } = await import(${srcUrl('node/cli/program.ts')}); createProgram().helpInformation();`;
  const result = loadedBy([...srcImportFlags, '--input-type=module', '-e', script], 'all-commands');
  assert.equal(result.status, 0, result.stderr);
  const { packages } = result;
  assert.ok(packages.has('commander'), 'the load log records packages');
  for (const heavy of HEAVY) assert.ok(!packages.has(heavy), `building the commands loaded ${heavy}`);
});

test("`help COMMAND` shows that command's own options", () => {
  const { status, stdout } = loadedPackages(['help', 'features']);
  assert.equal(status, 0);
  assert.match(stdout, /--preset <name>/);
});

test('an unknown command is still answered with the nearest one', () => {
  const result = spawnSync(process.execPath, [cliBin, 'explian'], { encoding: 'utf8' });
  assert.equal(result.status, 1);
  assert.match(result.stderr, /did you mean explain\?/i);
});
