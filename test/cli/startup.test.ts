/**
 * Start-up: the program loads only what the command it runs uses. `--version` and `--help` load none of the heavy
 * packages; a command's help loads no renderer, ONNX Runtime, Parquet or HDF5 reader. (Times are in `npm run bench --
 * startup`; this test checks what is loaded, which does not depend on how busy the machine is.)
 */
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, existsSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { after, test } from 'node:test';
import { fileURLToPath } from 'node:url';

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

test('features --help loads no TensorFlow.js; explain --help no renderer, ONNX Runtime, Parquet or HDF5 reader', () => {
  const features = loadedPackages(['features', '--help']);
  assert.equal(features.status, 0);
  for (const heavy of HEAVY) assert.ok(!features.packages.has(heavy), `features --help loaded ${heavy}`);
  const explain = loadedPackages(['explain', '--help']);
  assert.equal(explain.status, 0);
  assert.match(explain.stdout, /--method <name>/);
  for (const heavy of HEAVY.filter((p) => p !== '@tensorflow/tfjs'))
    assert.ok(!explain.packages.has(heavy), `explain --help loaded ${heavy}`);
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
