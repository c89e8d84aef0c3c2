/** Shared test helpers: backend setup, closeness assertions, leak checks, the ../shared location. */
import * as tf from '@tensorflow/tfjs';
import { spawnSync } from 'node:child_process';
import assert from 'node:assert/strict';
import { existsSync, realpathSync } from 'node:fs';
import { dirname, resolve } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { setupBackend } from '../src/execution/backend.js';

/**
 * Repository root: the checkout, also when the tests run from scripts/run-tests.mjs's compiled tree (whose
 * package.json is a link to the checkout's; see scripts/test-tree.mjs).
 */
export const repoRoot = dirname(realpathSync(fileURLToPath(new URL('../package.json', import.meta.url))));
/** The shared folder beside the checkout (read-only; may be absent). */
export const sharedDir = resolve(repoRoot, '..', 'shared');
/** `false` when ../shared exists, otherwise the skip message for node:test. */
export const skipWithoutShared: string | false = existsSync(resolve(sharedDir, 'models'))
  ? false
  : `../shared is absent (expected at ${sharedDir}); this test needs its models, recordings or reference numbers`;

/**
 * The command line for tests that start it as a process of its own: `spawn(process.execPath, [cliBin, ...argv])`, or
 * a symlink to it on PATH. Under scripts/run-tests.mjs this is the run's JavaScript build of the package
 * (WINGBEATS_TEST_CLI: src/ compiled once per run, as npm ships it), the same code as bin/wingbeats-xai.js without
 * tsx compiling the sources again in every process (1–2 s of CPU each); a test file run on its own uses
 * bin/wingbeats-xai.js. Tests of the checkout's own launcher (start-up time, tsx) name bin/wingbeats-xai.js instead.
 */
export const cliBin: string = process.env.WINGBEATS_TEST_CLI ?? resolve(repoRoot, 'bin', 'wingbeats-xai.js');

/** Makes wasm the backend (the one users run), failing loudly if it is not. */
export async function useWasm(): Promise<void> {
  const name = await setupBackend({ backend: 'wasm' });
  assert.equal(name, 'wasm', 'the wasm backend must start in tests');
}

/** Asserts that two number arrays agree elementwise within atol + rtol·|expected|. */
export function assertClose(
  actual: ArrayLike<number>,
  expected: ArrayLike<number>,
  atol: number,
  rtol = 0,
  what = 'values',
): void {
  assert.equal(actual.length, expected.length, `${what}: length ${actual.length} != ${expected.length}`);
  let worst = 0;
  let worstIndex = -1;
  for (let i = 0; i < actual.length; i++) {
    const err = Math.abs(actual[i] - expected[i]) - (atol + rtol * Math.abs(expected[i]));
    if (!(err <= worst) && (worstIndex === -1 || err > worst || Number.isNaN(err))) {
      worst = Number.isNaN(err) ? Infinity : err;
      worstIndex = i;
    }
  }
  if (worstIndex >= 0) {
    assert.fail(
      `${what}: index ${worstIndex}: ${actual[worstIndex]} vs expected ${expected[worstIndex]} (atol ${atol}, rtol ${rtol})`,
    );
  }
}

/** Max |a − b| over max |b| (the error relative to the largest reference value; plain max |a − b| when b is all 0). */
export function relativeError(a: ArrayLike<number>, b: ArrayLike<number>): number {
  assert.equal(a.length, b.length, 'same sizes');
  let diff = 0;
  let scale = 0;
  for (let i = 0; i < b.length; i++) {
    diff = Math.max(diff, Math.abs(a[i] - b[i]));
    scale = Math.max(scale, Math.abs(b[i]));
  }
  return scale === 0 ? diff : diff / scale;
}

/** Flattens a tensor or nested array to a plain number array. */
export function flat(value: tf.Tensor | number[] | number[][] | ArrayLike<number>): number[] {
  if (value instanceof tf.Tensor) return Array.from(value.dataSync());
  return (
    Array.isArray(value) ? (value as unknown[]).flat(Infinity) : Array.from(value as ArrayLike<number>)
  ) as number[];
}

/** Runs `fn` and asserts that tf.memory().numTensors is the same afterwards (whether `fn` resolves or rejects). Returns fn's outcome. */
export async function withoutLeaks<T>(fn: () => Promise<T> | T, cleanup?: (value: T) => void): Promise<T> {
  const before = tf.memory().numTensors;
  const value = await fn();
  cleanup?.(value);
  assert.equal(tf.memory().numTensors, before, 'tensor leak: tf.memory().numTensors changed');
  return value;
}

/** Asserts that `fn` rejects with a message matching `pattern`, and leaks no tensor while doing so. */
export async function rejectsWithoutLeaks(fn: () => Promise<unknown> | unknown, pattern: RegExp): Promise<void> {
  const before = tf.memory().numTensors;
  await assert.rejects(
    async () => fn(),
    (error: Error) => {
      assert.match(error.message, pattern);
      return true;
    },
  );
  assert.equal(tf.memory().numTensors, before, 'tensor leak on the error path');
}

/** The folder of the run's JavaScript build of the package (see {@link cliBin}), or undefined outside the runner. */
const builtPackage =
  process.env.WINGBEATS_TEST_CLI === undefined ? undefined : resolve(dirname(process.env.WINGBEATS_TEST_CLI), '..');

/**
 * A `file://` URL of `src/<file>` as a JSON string, for imports in a script run by {@link runScriptToExit}: under
 * scripts/run-tests.mjs the module of the run's JavaScript build (`dist/<file>.js`, the same code compiled once),
 * otherwise the TypeScript source.
 */
export const srcUrl = (file: string): string =>
  JSON.stringify(
    pathToFileURL(
      builtPackage === undefined
        ? resolve(repoRoot, 'src', file)
        : resolve(builtPackage, 'dist', file.replace(/\.ts$/, '.js')),
    ).href,
  );

/**
 * The Node flags a script importing modules through {@link srcUrl} needs: none for the run's JavaScript build, tsx's
 * loader for the TypeScript sources.
 */
export const srcImportFlags: readonly string[] = builtPackage === undefined ? ['--import', 'tsx'] : [];

/**
 * Runs an ES-module `script` (importing the library through {@link srcUrl}: the run's build, or the TypeScript sources
 * through tsx) in a child Node process from the repository root and asserts that it exits by itself with status 0
 * within two minutes; returns its stdout.
 */
export function runScriptToExit(script: string, nodeFlags: string[] = []): string {
  const tsx = builtPackage === undefined ? ['--import', 'tsx'] : [];
  const child = spawnSync(process.execPath, [...nodeFlags, ...tsx, '--input-type=module', '-e', script], {
    cwd: repoRoot,
    encoding: 'utf8',
    timeout: 120_000,
  });
  const tail = child.stderr.slice(-2000);
  assert.equal(child.signal, null, `the process was killed after the time limit: ${tail}`);
  assert.equal(child.status, 0, tail);
  return child.stdout;
}
