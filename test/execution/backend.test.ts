/** Backend setup: wasm with SIMD in Node; a wrong wasm path falls back to cpu with one warning line, never silently. */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { repoRoot } from '../helpers.js';

function runScript(script: string): { status: number | null; stdout: string; stderr: string } {
  const result = spawnSync(process.execPath, ['--import', 'tsx', '--input-type=module', '-e', script], {
    cwd: repoRoot,
    encoding: 'utf8',
  });
  return { status: result.status, stdout: result.stdout, stderr: result.stderr };
}

test('setupBackend starts wasm with SIMD in Node', () => {
  const { status, stdout, stderr } = runScript(`
    import * as tf from '@tensorflow/tfjs';
    import { setupBackend } from './src/execution/backend.ts';
    const name = await setupBackend();
    console.log(JSON.stringify({ name, active: tf.getBackend(), simd: tf.env().getBool('WASM_HAS_SIMD_SUPPORT') }));`);
  assert.equal(status, 0, stderr);
  assert.deepEqual(JSON.parse(stdout), { name: 'wasm', active: 'wasm', simd: true });
});

test('a wasm backend that cannot start falls back to cpu with one warning line', () => {
  const { status, stdout, stderr } = runScript(`
    import * as tf from '@tensorflow/tfjs';
    import { setupBackend } from './src/execution/backend.ts';
    const warnings = [];
    const name = await setupBackend({ wasmPaths: '/nonexistent/folder/', warn: (m) => warnings.push(m) });
    console.log(JSON.stringify({ name, active: tf.getBackend(), warnings }));`);
  assert.equal(status, 0, stderr);
  const result = JSON.parse(stdout);
  assert.equal(result.name, 'cpu');
  assert.equal(result.active, 'cpu');
  assert.equal(result.warnings.length, 1);
  assert.match(
    result.warnings[0],
    /^wingbeats-xai: TensorFlow\.js backend 'wasm' is unavailable.*; falling back to 'cpu' \(6-40x slower\)\.$/,
  );
});
