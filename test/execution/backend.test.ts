/**
 * Backend setup: wasm with SIMD in Node; a wrong wasm path falls back to cpu with one warning line, never silently.
 * Each case is a fresh process (a backend starts once per process), importing the library through `srcUrl`: the run's
 * compiled build under scripts/run-tests.mjs (no tsx compiling the sources again), the TypeScript sources otherwise.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { runScriptToExit, srcUrl } from '../helpers.js';

test('setupBackend starts wasm with SIMD in Node', () => {
  const stdout = runScriptToExit(`
    import * as tf from '@tensorflow/tfjs';
    import { setupBackend } from ${srcUrl('execution/backend.ts')};
    const name = await setupBackend();
    console.log(JSON.stringify({ name, active: tf.getBackend(), simd: tf.env().getBool('WASM_HAS_SIMD_SUPPORT') }));`);
  assert.deepEqual(JSON.parse(stdout), { name: 'wasm', active: 'wasm', simd: true });
});

test('a wasm backend that cannot start falls back to cpu with one warning line', () => {
  const stdout = runScriptToExit(`
    import * as tf from '@tensorflow/tfjs';
    import { setupBackend } from ${srcUrl('execution/backend.ts')};
    const warnings = [];
    const name = await setupBackend({ wasmPaths: '/nonexistent/folder/', warn: (m) => warnings.push(m) });
    console.log(JSON.stringify({ name, active: tf.getBackend(), warnings }));`);
  const result = JSON.parse(stdout);
  assert.equal(result.name, 'cpu');
  assert.equal(result.active, 'cpu');
  assert.equal(result.warnings.length, 1);
  assert.match(
    result.warnings[0],
    /^wingbeats-xai: TensorFlow\.js backend 'wasm' is unavailable.*; falling back to 'cpu' \(6-40x slower\)\.$/,
  );
});
