/**
 * Child-process entry of the ONNX session pool (Node only): opens one onnxruntime-node session (one intra-op thread)
 * per graph it is sent first, then runs feeds through them, one run at a time, answering each with its id. No
 * TensorFlow.js here: the parent prepares the feeds and reads the outputs. The process ends when the parent goes away.
 */
import { loadOrt, runSession, sessionOptions, type Ort, type OrtSession, type RowArray } from './ort.js';

/** The first message: the binary ONNX models, by index. */
export interface OnnxProcessStart {
  graphs: Uint8Array[];
}

/** One run: feeds of graph `graph` (float32 arrays with their dims). */
export interface OnnxProcessTask {
  id: number;
  graph: number;
  feeds: Record<string, RowArray>;
}

/** The answer to a start (`id` −1) or a run. */
export type OnnxProcessReply =
  { id: number; ok: true; outputs: Record<string, Float32Array> } | { id: number; ok: false; message: string };

let opened: Promise<{ ort: Ort; sessions: OrtSession[] }> | undefined;

async function open(graphs: Uint8Array[]): Promise<{ ort: Ort; sessions: OrtSession[] }> {
  const ort = await loadOrt();
  const sessions: OrtSession[] = [];
  for (const graph of graphs) sessions.push(await ort.InferenceSession.create(graph, sessionOptions(1, graph)));
  return { ort, sessions };
}

function reply(message: OnnxProcessReply): void {
  process.send?.(message);
}

process.on('message', (message: OnnxProcessStart | OnnxProcessTask) => {
  if (opened === undefined) {
    opened = open((message as OnnxProcessStart).graphs);
    opened.then(
      () => reply({ id: -1, ok: true, outputs: {} }),
      (error: Error) => reply({ id: -1, ok: false, message: error.message }),
    );
    return;
  }
  const task = message as OnnxProcessTask;
  opened
    .then(({ ort, sessions }) => {
      const session = sessions[task.graph];
      if (session === undefined) throw new Error(`no graph ${task.graph} (the pool has ${sessions.length})`);
      return runSession(ort, session, task.feeds);
    })
    .then(
      (outputs) => reply({ id: task.id, ok: true, outputs }),
      (error: Error) => reply({ id: task.id, ok: false, message: error.message }),
    );
});
process.on('disconnect', () => process.exit(0));
