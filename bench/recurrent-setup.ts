/**
 * ONNX Runtime's set-up of the compiled gradient graphs of the recurrent models of ../shared (issues 20 and 26): per
 * model and propagation (plain, guided), the compile time, the graph's node count (its main graph: a Scan's body is
 * one node) and size, then per round the wall and CPU time (this process, every thread) of opening a session with the
 * library's own session options and one intra-op thread, and the median time of a run of 2 rows (5 runs after one
 * warm-up). `npm run bench -- recurrent-setup`. Skips when ../shared is absent.
 */
import { existsSync } from 'node:fs';
import { SHARED_DIR } from './bench-inputs.js';
import { median } from './pytorch.js';

/** The recurrent models of ../shared/models the library compiles, largest first. */
const RECURRENT_MODELS = ['wild2/02_hvl_bilstm.keras', 'wild/08_dysarthria_gru.h5', 'wild2/12_cdt406_emg_lstm.keras'];

/** Set-up and run times of one compiled graph. */
interface SetupRow {
  model: string;
  propagation: 'plain' | 'guided';
  compileMs: number;
  nodes: number;
  bytes: number;
  sessionOptions: Record<string, unknown>;
  setupMs: number[];
  setupCpuMs: number[];
  runMs: number;
}

/** Times the set-up of every recurrent model's gradient graphs (`rounds` sessions each). */
export async function benchRecurrentSetup(
  options: { rounds?: number } = {},
): Promise<{ skipped: string } | { rows: SetupRow[] }> {
  if (!existsSync(`${SHARED_DIR}models`)) return { skipped: `../shared/models is absent (expected at ${SHARED_DIR})` };
  const rounds = options.rounds ?? 3;
  const { loadModelFile } = await import('../src/node.js');
  const { compileModelGraph } = await import('../src/onnx/compile-onnx-file.js');
  const { onnxNodeCount } = await import('../src/onnx/graph-optimization.js');
  const { loadOrt, runSession, sessionOptions } = await import('../src/node/onnx/ort.js');
  const ort = await loadOrt();
  const rows: SetupRow[] = [];
  for (const file of RECURRENT_MODELS) {
    const model = await loadModelFile(SHARED_DIR + 'models/' + file);
    try {
      for (const propagation of ['plain', 'guided'] as const) {
        const start = performance.now();
        const compiled = compileModelGraph(model, { scores: 'logits', propagation: { kind: propagation } });
        const compileMs = performance.now() - start;
        const graph = compiled.model;
        const size = compiled.inputShape.reduce((a, b) => a * b, 1);
        const x = new Float32Array(2 * size).map((_, i) => Math.sin(0.37 * i));
        const mask = new Float32Array(2 * compiled.classes);
        mask[0] = mask[compiled.classes + 1] = 1;
        const feeds = {
          x: { data: x, dims: [2, ...compiled.inputShape] },
          mask: { data: mask, dims: [2, compiled.classes] },
        };
        const row: SetupRow = {
          model: file,
          propagation,
          compileMs: Math.round(compileMs),
          nodes: onnxNodeCount(graph),
          bytes: graph.length,
          sessionOptions: sessionOptions(1, graph),
          setupMs: [],
          setupCpuMs: [],
          runMs: 0,
        };
        for (let r = 0; r < rounds; r++) {
          const cpu = process.cpuUsage();
          const t0 = performance.now();
          const session = await ort.InferenceSession.create(graph, sessionOptions(1, graph));
          row.setupMs.push(Math.round(performance.now() - t0));
          const used = process.cpuUsage(cpu);
          row.setupCpuMs.push(Math.round((used.user + used.system) / 1000));
          if (r === 0) {
            const times: number[] = [];
            for (let k = 0; k <= 5; k++) {
              const t = performance.now();
              await runSession(ort, session, feeds);
              if (k > 0) times.push(performance.now() - t);
            }
            row.runMs = Number(median(times).toFixed(1));
          }
          await session.release();
        }
        rows.push(row);
      }
    } finally {
      model.dispose();
    }
  }
  return { rows };
}
