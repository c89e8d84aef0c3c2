/**
 * ONNX Runtime's set-up of one model's gradient graph as compiled by two checkouts (e.g. main's unrolled recurrent
 * layers against the Scans of issue 20), interleaved in one process so a shared machine's load moves both alike:
 *
 *   node --import tsx bench/recurrent-setup-ab.mts dump <model file> <graph file>
 *   node --import tsx bench/recurrent-setup-ab.mts setup <rounds> <graph file> <graph file> ...
 *
 * `dump` compiles the plain logits gradient graph of the checkout it runs in (copy this file into the other checkout's
 * bench/ to dump there) and writes `<graph file>` and `<graph file>.json` (feed shapes and that checkout's session
 * options, one intra-op thread). `setup` opens each graph `rounds` times in alternating order with its own options and
 * prints, as JSON, the wall and CPU time (this process, every thread) of each opening, the median of 5 runs of 2 rows
 * after the first opening, and how each file's gradient compares with the first file's.
 */
import { readFileSync, writeFileSync } from 'node:fs';

interface GraphInfo {
  inputShape: number[];
  classes: number;
  nodes: number;
  sessionOptions: Record<string, unknown>;
}

async function dump(modelFile: string, file: string): Promise<void> {
  const { loadModelFile } = await import('../src/node.js');
  const { compileModelGraph } = await import('../src/onnx/compile-onnx-file.js');
  const { onnxNodeCount } = await import('../src/onnx/graph-optimization.js');
  const { sessionOptions } = await import('../src/node/onnx/ort.js');
  const model = await loadModelFile(modelFile);
  const compiled = compileModelGraph(model, { scores: 'logits', propagation: { kind: 'plain' } });
  model.dispose();
  writeFileSync(file, compiled.model);
  const info: GraphInfo = {
    inputShape: compiled.inputShape,
    classes: compiled.classes,
    nodes: onnxNodeCount(compiled.model),
    sessionOptions: sessionOptions(1, compiled.model),
  };
  writeFileSync(`${file}.json`, JSON.stringify(info));
}

async function setup(rounds: number, files: string[]): Promise<void> {
  const { loadOrt, runSession } = await import('../src/node/onnx/ort.js');
  const ort = await loadOrt();
  const infos = files.map((f) => JSON.parse(readFileSync(`${f}.json`, 'utf8')) as GraphInfo);
  const rows = files.map((file, i) => ({
    file,
    nodes: infos[i].nodes,
    sessionOptions: infos[i].sessionOptions,
    setupMs: [] as number[],
    setupCpuMs: [] as number[],
    runMs: 0,
    gradientMaxDifference: 0,
  }));
  const gradients: Float32Array[] = [];
  for (let r = 0; r < rounds; r++)
    for (let j = 0; j < files.length; j++) {
      const i = r % 2 === 0 ? j : files.length - 1 - j;
      const info = infos[i];
      const cpu = process.cpuUsage();
      const start = performance.now();
      const session = await ort.InferenceSession.create(readFileSync(files[i]), info.sessionOptions);
      rows[i].setupMs.push(Math.round(performance.now() - start));
      const used = process.cpuUsage(cpu);
      rows[i].setupCpuMs.push(Math.round((used.user + used.system) / 1000));
      if (gradients[i] === undefined) {
        const size = info.inputShape.reduce((a, b) => a * b, 1);
        const mask = new Float32Array(2 * info.classes);
        mask[0] = mask[info.classes + 1] = 1;
        const feeds = {
          x: { data: new Float32Array(2 * size).map((_, k) => Math.sin(0.37 * k)), dims: [2, ...info.inputShape] },
          mask: { data: mask, dims: [2, info.classes] },
        };
        gradients[i] = (await runSession(ort, session, feeds)).gradient;
        const times: number[] = [];
        for (let k = 0; k < 5; k++) {
          const t = performance.now();
          await runSession(ort, session, feeds);
          times.push(performance.now() - t);
        }
        rows[i].runMs = Number(times.sort((a, b) => a - b)[2].toFixed(1));
      }
      await session.release();
    }
  for (const [i, row] of rows.entries())
    row.gradientMaxDifference = gradients[i].reduce((m, v, k) => Math.max(m, Math.abs(v - gradients[0][k])), 0);
  console.log(JSON.stringify(rows, null, 2));
}

const [mode, ...rest] = process.argv.slice(2);
if (mode === 'dump') await dump(rest[0], rest[1]);
else if (mode === 'setup') await setup(Number(rest[0]), rest.slice(1));
else throw new Error('usage: recurrent-setup-ab.mts dump <model file> <graph file> | setup <rounds> <graph files...>');
process.exit(0);
