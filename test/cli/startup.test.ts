/**
 * Start-up: the program loads only what the command it runs uses. `--version`, `--help` and every command's help load
 * none of the heavy packages (TensorFlow.js, renderers, ONNX Runtime, Parquet, HDF5): the commands' flags come from
 * TensorFlow.js-free catalogues and their actions import the rest when they run. (Times are in `npm run bench --
 * startup`; this test checks what is loaded, which does not depend on how busy the machine is.)
 */
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, existsSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { after, test } from 'node:test';
import { fileURLToPath, pathToFileURL } from 'node:url';

const bin = fileURLToPath(new URL('../../bin/wingbeats-xai.js', import.meta.url));
const hooks = fileURLToPath(new URL('../fixtures/record-package-loads.mjs', import.meta.url));
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

/** The packages `wingbeats-xai <argv>` resolved, and its exit status and stdout. */
function loadedPackages(argv: readonly string[]): { packages: Set<string>; status: number | null; stdout: string } {
  const log = path.join(work, `${argv.join('_').replace(/[^a-z_]/gi, '')}.log`);
  const result = spawnSync(process.execPath, ['--import', hooks, bin, ...argv], {
    encoding: 'utf8',
    env: { ...process.env, WINGBEATS_LOAD_LOG: log },
  });
  const urls = existsSync(log) ? readFileSync(log, 'utf8').split('\n') : [];
  const packages = new Set(
    urls.flatMap((url) => {
      const match = /\/node_modules\/((?:@[^/]+\/)?[^/]+)\//.exec(url);
      return match === null ? [] : [match[1]];
    }),
  );
  return { packages, status: result.status, stdout: result.stdout };
}

test('--version prints the version and loads no package at all', () => {
  const { packages, status, stdout } = loadedPackages(['--version']);
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
    for (const heavy of HEAVY) assert.ok(!packages.has(heavy), `${command} --help loaded ${heavy}`);
  }
  assert.match(loadedPackages(['explain', '--help']).stdout, /--method <name>/);
});

test("every command's flags and help are built without TensorFlow.js or any other heavy package", () => {
  // createProgram builds every command (what `COMMAND --help` needs); their actions load the rest when they run.
  const log = path.join(work, 'all-commands.log');
  const program = fileURLToPath(new URL('../../src/node/cli/program.ts', import.meta.url));
  const script = `const { createProgram } = await import(${JSON.stringify(pathToFileURL(program).href)}); createProgram().helpInformation();`;
  const result = spawnSync(
    process.execPath,
    ['--import', hooks, '--import', 'tsx', '--input-type=module', '-e', script],
    {
      encoding: 'utf8',
      env: { ...process.env, WINGBEATS_LOAD_LOG: log },
    },
  );
  assert.equal(result.status, 0, result.stderr);
  const packages = new Set(
    readFileSync(log, 'utf8')
      .split('\n')
      .flatMap((url) => /\/node_modules\/((?:@[^/]+\/)?[^/]+)\//.exec(url)?.[1] ?? []),
  );
  assert.ok(packages.has('commander'), 'the load log records packages');
  for (const heavy of HEAVY) assert.ok(!packages.has(heavy), `building the commands loaded ${heavy}`);
});

test("`help COMMAND` shows that command's own options", () => {
  const { status, stdout } = loadedPackages(['help', 'features']);
  assert.equal(status, 0);
  assert.match(stdout, /--preset <name>/);
});

test('an unknown command is still answered with the nearest one', () => {
  const result = spawnSync(process.execPath, [bin, 'explian'], { encoding: 'utf8' });
  assert.equal(result.status, 1);
  assert.match(result.stderr, /did you mean explain\?/i);
});
