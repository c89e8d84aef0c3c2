/**
 * Worker-thread entry of the ONNX session pool (Node only): opens one onnxruntime-node session (one intra-op thread) per
 * graph it was started with and runs feeds through them. No TensorFlow.js here: the calling thread prepares the feeds
 * and reads the outputs.
 */
import { workerData } from 'piscina';
import { loadOrt, runSession, sessionOptions, type OrtSession, type RowArray } from './ort.js';

/** What the session pool starts each worker with: the binary ONNX models, by index. */
export interface OnnxWorkerData {
  graphs: Uint8Array[];
}

/** One run: feeds of graph `graph` (float32 arrays with their dims); `graph` −1 only waits for the sessions. */
export interface OnnxWorkerTask {
  graph: number;
  feeds: Record<string, RowArray>;
}

const { graphs } = workerData as OnnxWorkerData;

const ready = (async () => {
  const ort = await loadOrt();
  const sessions: OrtSession[] = [];
  for (const graph of graphs) sessions.push(await ort.InferenceSession.create(graph, sessionOptions(1)));
  return { ort, sessions };
})();
ready.catch(() => undefined);

/** Runs one task (piscina calls this): every output of the graph as a Float32Array, by name. */
export default async function runGraph(task: OnnxWorkerTask): Promise<Record<string, Float32Array>> {
  const { ort, sessions } = await ready;
  if (task.graph === -1) return {};
  return runSession(ort, sessions[task.graph], task.feeds);
}
