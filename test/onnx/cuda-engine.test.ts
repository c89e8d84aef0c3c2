/**
 * The CUDA engine (`engine: 'onnx-cuda'`, or `'auto'` where onnxruntime-node has CUDA): when CUDA is there and when it
 * is not (`cudaProblem` on onnxruntime-node's own provider list), the fallback chain of `resolveEngine` (CUDA → CPU
 * → TensorFlow.js, one line per step, none when `'auto'` finds no CUDA), the engine named in results, one runner per
 * engine and thread count in a session, and closed with it. This machine has no GPU: a stand-in CUDA engine that
 * runs ONNX Runtime on the CPU checks the plumbing; the real CUDA provider is not exercised here.
 */
import { before, test } from 'node:test';
import assert from 'node:assert/strict';
import '../../src/node.js';
import { ExplainableModel, openSession, registerEngine, saliency } from '../../src/index.js';
import { disposeAttribution } from '../../src/attribution/types.js';
import { onnxCudaEngine, onnxEngine } from '../../src/node.js';
import { cudaProblem } from '../../src/node/onnx/cuda-provider.js';
import type { Ort } from '../../src/node/onnx/ort.js';
import { OnnxTaskRunner } from '../../src/node/onnx/node-onnx-sessions.js';
import { WingbeatsError } from '../../src/util/errors.js';
import { useWasm, withoutLeaks } from '../helpers.js';
import { conv1dNet, randomBatch } from '../tiny-models.js';

before(useWasm);

/** An onnxruntime-node as far as `cudaProblem` looks: its version and its provider list. */
const fakeOrt = (version: string, providers?: { name: string; bundled: boolean }[]): Ort =>
  ({
    env: { versions: { node: version } },
    ...(providers === undefined ? {} : { listSupportedBackends: () => providers }),
  }) as unknown as Ort;

test('cudaProblem: no CUDA provider (1.17), CUDA listed without its library, with it, and bundled', () => {
  assert.match(
    cudaProblem(fakeOrt('1.17.0', [{ name: 'cpu', bundled: true }]))!,
    /^onnxruntime-node 1\.17\.0 has no CUDA execution provider \(it has: cpu\); docs\/performance\.md \("GPU"\) says how to install one that has$/,
  );
  assert.match(cudaProblem(fakeOrt('1.16.0'))!, /has no CUDA execution provider \(it has: cpu\)/);
  const listed = [
    { name: 'cpu', bundled: true },
    { name: 'cuda', bundled: false },
  ];
  assert.match(
    cudaProblem(fakeOrt('1.31.1', listed), () => false)!,
    /^onnxruntime-node 1\.31\.1 lists CUDA but its provider library \([^)]+\) is not installed: reinstall it with --onnxruntime-node-install=cuda12/,
  );
  assert.equal(
    cudaProblem(fakeOrt('1.31.1', listed), () => true),
    undefined,
  );
  assert.equal(
    cudaProblem(fakeOrt('1.31.1', [{ name: 'cuda', bundled: true }]), () => false),
    undefined,
  );
});

test("engine 'onnx-cuda' here (onnxruntime-node without CUDA): one line, then ONNX Runtime on the CPU with its numbers; 'auto' is silent", async () => {
  const model = ExplainableModel.from(conv1dNet(7));
  const x = randomBatch([3, 12, 2], 8);
  const lines: string[] = [];
  const cuda = openSession(model, { engine: 'onnx-cuda', workers: 1, warn: (line) => lines.push(line) });
  const auto = openSession(model, { workers: 1, warn: (line) => lines.push(line) });
  await withoutLeaks(async () => {
    const a = await saliency(cuda, x, { target: 1 });
    assert.equal(a.engine, 'onnx');
    assert.equal(lines.length, 1);
    assert.match(
      lines[0],
      /^wingbeats-xai: BACKEND onnxruntime-node \S+ has no CUDA execution provider \(it has: cpu\)[^\n]*; using ONNX Runtime on the CPU\.$/,
    );
    const b = await saliency(auto, x, { target: 1 });
    assert.equal(b.engine, 'onnx');
    assert.equal(lines.length, 1, "'auto' finds no CUDA without a word");
    assert.deepEqual(a.attributions.dataSync(), b.attributions.dataSync());
    disposeAttribution(a);
    disposeAttribution(b);
  });
  await Promise.all([cuda.dispose(), auto.dispose()]);
  x.dispose();
  model.dispose();
});

test("with CUDA present (a stand-in engine), 'auto' and 'onnx-cuda' run on it and name it; a CUDA session that fails falls back to the CPU in one line", async () => {
  const model = ExplainableModel.from(conv1dNet(9));
  const x = randomBatch([2, 12, 2], 10);
  let opened = 0;
  let closed = 0;
  const standIn = (fail: boolean) => () => ({
    open: async (m: ExplainableModel, { threads }: { threads: number }) => {
      if (fail) throw new WingbeatsError('BACKEND', 'CUDA failed to create a session: no device');
      opened++;
      const runner = await OnnxTaskRunner.create(m, { threads });
      const close = runner.close.bind(runner);
      runner.close = () => {
        closed++;
        return close();
      };
      return runner;
    },
  });
  try {
    registerEngine('onnx-cuda', standIn(false));
    const lines: string[] = [];
    const session = openSession(model, { workers: 1, warn: (line) => lines.push(line) });
    const cpu = openSession(model, { engine: 'onnx', workers: 1, warn: (line) => lines.push(line) });
    await withoutLeaks(async () => {
      const a = await saliency(session, x, { target: 0 });
      const b = await saliency(session, x, { target: 0, engine: 'onnx-cuda' });
      const c = await saliency(cpu, x, { target: 0 });
      assert.deepEqual([a.engine, b.engine, c.engine], ['onnx-cuda', 'onnx-cuda', 'onnx']);
      assert.deepEqual(lines, []);
      assert.equal(opened, 1, "'auto' and 'onnx-cuda' share the session's one CUDA runner");
      assert.deepEqual(a.attributions.dataSync(), c.attributions.dataSync());
      for (const r of [a, b, c]) disposeAttribution(r);
    });
    await session.dispose();
    assert.equal(closed, 1, 'dispose closes the CUDA runner');
    await cpu.dispose();

    registerEngine('onnx-cuda', standIn(true));
    const failing = openSession(model, { workers: 1, warn: (line) => lines.push(line) });
    const r = await saliency(failing, x, { target: 0 });
    assert.equal(r.engine, 'onnx');
    assert.deepEqual(lines, [
      'wingbeats-xai: BACKEND CUDA failed to create a session: no device; using ONNX Runtime on the CPU.',
    ]);
    disposeAttribution(r);
    await failing.dispose();
  } finally {
    registerEngine('onnx-cuda', onnxCudaEngine);
    registerEngine('onnx', onnxEngine);
  }
  x.dispose();
  model.dispose();
});
