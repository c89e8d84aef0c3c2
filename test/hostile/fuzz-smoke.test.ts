/**
 * A smoke slice of the fuzz suite (the full run is `npm run fuzz`, 10,000 cases): every reader and the command line,
 * in a worker process under the time and memory watchdog. Every case must be accepted or refused with a typed,
 * printable error: no crash, hang, memory blowup, tensor leak or untyped exception. One worker: each worker loads the
 * readers' libraries again (TensorFlow.js, h5wasm, the renderers), so a second one cost 2 s more CPU than it saved.
 */
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { runFuzz } from '../../scripts/fuzz/fuzz-run.js';

test('fuzz smoke slice: 160 cases over every reader, all clean', { timeout: 120_000 }, async () => {
  const report = await runFuzz({ cases: 160, start: 5000, workers: 1, timeoutMs: 30_000, memoryMb: 1536 });
  for (const [reader, tally] of Object.entries(report.readers)) assert.ok(tally.tried > 0, `${reader} was tried`);
  const { other, crashes, hangs, memoryBlowups, leaks } = report.total;
  assert.deepEqual(
    { other, crashes, hangs, memoryBlowups, leaks },
    { other: 0, crashes: 0, hangs: 0, memoryBlowups: 0, leaks: 0 },
    JSON.stringify(report.problems, null, 1),
  );
  assert.equal(report.total.tried, 160);
});
