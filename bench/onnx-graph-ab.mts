/**
 * Compares compiled ONNX graphs of two checkouts on ONNX Runtime alone, interleaved in one process (a shared machine's
 * load then moves both columns alike):
 *
 *   node --import tsx bench/onnx-graph-ab.mts dump <deeplift|lrp|plain|guided|forward> <psd|potamitisSpectrogram|keoghSpectrogram> <file>
 *   node --import tsx bench/onnx-graph-ab.mts run <rows> <threads> <rounds> <file> <file> ...
 *
 * `dump` compiles the graph of the checkout it runs in (logits, head 0) for a benchmark model of ../shared and writes
 * `<file>` and `<file>.json` (its feed shapes); run it in each checkout (e.g. a `git worktree` of the older commit), or
 * add `:builders` to the kind (`plain:builders`) for the graph without the backward rewrites (src/onnx/backward-rewrites.ts).
 * `ONNX_RUNTIME=web` runs the files on onnxruntime-web's wasm module (its Node build: the page's kernels) instead of
 * onnxruntime-node; both print process CPU milliseconds beside wall time (steadier on a shared machine).
 * `run` feeds every file the same `rows` inputs (DeepLIFT: paired with zero references), one warm-up run each, then
 * `rounds` rounds in alternating order; prints min and median ms per file and how each output compares with the first
 * file's (bit-identical, or the largest difference; a graph giving fewer rows is compared on the rows it gives).
 */
import { readFileSync, writeFileSync } from 'node:fs';
import { benchBatch, SHARED_DIR } from './bench-inputs.js';
import { BENCH_MODELS, type BenchModelKey, median } from './pytorch.js';

interface GraphInfo {
  kind: string;
  model: BenchModelKey;
  inputShape: number[];
  classes: number;
}

async function dump(kindAndForm: string, model: BenchModelKey, file: string): Promise<void> {
  const [kind, form] = kindAndForm.split(':');
  const { loadModelFile } = await import('../src/node.js');
  const { compileModelGraph } = await import('../src/onnx/compile-onnx-file.js');
  const loaded = await loadModelFile(SHARED_DIR + BENCH_MODELS[model].file);
  const settings = { rule: 'epsilon', epsilon: 1e-6, gamma: 0.25, alpha: 2, beta: 1, foldBatchNorm: false } as const;
  const propagation =
    kind === 'deeplift'
      ? ({ kind: 'deeplift' } as const)
      : kind === 'lrp'
        ? ({ kind: 'lrp', settings } as const)
        : ({ kind: kind === 'guided' ? 'guided' : 'plain' } as const);
  const compiled = compileModelGraph(loaded, {
    scores: 'logits',
    propagation,
    gradient: kind !== 'forward',
    backwardRewrites: form !== 'builders',
  });
  writeFileSync(file, compiled.model);
  const info: GraphInfo = { kind, model, inputShape: compiled.inputShape, classes: compiled.classes };
  writeFileSync(`${file}.json`, JSON.stringify(info));
  loaded.dispose();
}

async function run(rows: number, threads: number, rounds: number, files: string[]): Promise<void> {
  const web = process.env.ONNX_RUNTIME === 'web';
  const module = web ? await loadOrtWeb(threads) : await import('onnxruntime-node');
  const ort = (module as { default?: typeof module }).default ?? module;
  const infos = files.map((f) => JSON.parse(readFileSync(`${f}.json`, 'utf8')) as GraphInfo);
  const batch = await benchBatch(BENCH_MODELS[infos[0].model].preset, rows);
  const options = {
    intraOpNumThreads: threads,
    interOpNumThreads: 1,
    executionMode: 'sequential' as const,
    ...(web ? { executionProviders: ['wasm'] } : {}),
  };
  const sessions = await Promise.all(
    files.map((f) => ort.InferenceSession.create(readFileSync(f), { ...options, graphOptimizationLevel: 'all' })),
  );
  const feeds = infos.map((info) => {
    const fed = info.kind === 'deeplift' ? 2 * rows : rows;
    const x = new Float32Array((fed * batch.data.length) / rows);
    x.set(batch.data);
    const out: Record<string, InstanceType<typeof ort.Tensor>> = {
      x: new ort.Tensor('float32', x, [fed, ...info.inputShape]),
    };
    if (info.kind !== 'forward') {
      const mask = new Float32Array(fed * info.classes);
      for (let r = 0; r < rows; r++) mask[r * info.classes + (r % info.classes)] = 1;
      out.mask = new ort.Tensor('float32', mask, [fed, info.classes]);
    }
    return out;
  });
  const outputs = [];
  for (let i = 0; i < files.length; i++) outputs.push(await sessions[i].run(feeds[i]));
  const times = files.map(() => [] as number[]);
  const cpu = files.map(() => [] as number[]);
  for (let r = 0; r < rounds; r++)
    for (let j = 0; j < files.length; j++) {
      const i = r % 2 === 0 ? j : files.length - 1 - j;
      const start = performance.now();
      const startCpu = process.cpuUsage();
      await sessions[i].run(feeds[i]);
      times[i].push(performance.now() - start);
      const used = process.cpuUsage(startCpu);
      cpu[i].push((used.user + used.system) / 1000);
    }
  files.forEach((f, i) =>
    console.log(
      `${f}: min ${Math.min(...times[i]).toFixed(1)} ms, median ${median(times[i]).toFixed(1)} ms (CPU min ${Math.min(...cpu[i]).toFixed(1)}, median ${median(cpu[i]).toFixed(1)} ms)`,
    ),
  );
  for (let i = 1; i < files.length; i++)
    for (const name of Object.keys(outputs[0])) {
      const a = outputs[0][name].data as Float32Array;
      const b = outputs[i][name]?.data as Float32Array | undefined;
      if (b === undefined) continue;
      let diff = 0;
      let same = true;
      for (let k = 0; k < Math.min(a.length, b.length); k++) {
        diff = Math.max(diff, Math.abs(a[k] - b[k]));
        if (!Object.is(a[k], b[k])) same = false;
      }
      console.log(
        `  ${files[i]} ${name}: ${same ? 'bit-identical' : `largest difference ${diff}`} (${b.length} of ${a.length} values)`,
      );
    }
  await Promise.all(sessions.map((s) => s.release()));
}

/** onnxruntime-web's Node build with `threads` wasm threads, typed as onnxruntime-node (the same calls are used). */
async function loadOrtWeb(threads: number): Promise<typeof import('onnxruntime-node')> {
  const module = await import('onnxruntime-web');
  const ort = (module as unknown as { default?: typeof module }).default ?? module;
  ort.env.wasm.numThreads = threads;
  ort.env.wasm.proxy = false;
  return ort as unknown as typeof import('onnxruntime-node');
}

const [mode, ...rest] = process.argv.slice(2);
if (mode === 'dump') await dump(rest[0], rest[1] as BenchModelKey, rest[2]);
else if (mode === 'run') await run(Number(rest[0]), Number(rest[1]), Number(rest[2]), rest.slice(3));
else throw new Error('usage: onnx-graph-ab.mts dump <kind> <model> <file> | run <rows> <threads> <rounds> <files...>');
process.exit(0);
