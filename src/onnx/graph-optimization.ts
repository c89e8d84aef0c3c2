/**
 * ONNX Runtime's graph optimisation level for a compiled graph: every optimisation ('all') for ordinary graphs, none
 * ('disabled') for very large ones — the unrolled gradient graphs of recurrent models, where the optimisers cost tens
 * of seconds of session set-up and make the runs no faster.
 *
 * Measured with onnxruntime-node 1.17 on the 2-core machine (one intra-op thread; both levels gave the same bits): the
 * bidirectional LSTM of ../shared/models/wild2 (a gradient graph of 16,478 nodes) takes 75 s of CPU to set up with
 * 'all' and 52 s with 'disabled' (the rest is ONNX Runtime's memory planning), and one run of 2 rows 35 ms either way;
 * the dysarthria GRU (1,748 nodes) sets up in 1.2 s or 0.3 s and runs in 3.5 or 4.0 ms; convolutional graphs (50–200
 * nodes) set up in milliseconds and run up to a fifth faster with 'all' (the whale-call model: 120 or 153 ms), so
 * they keep it.
 */
import { decodeModelProto } from '../onnx-file/onnx-schema.js';

/** Graphs with more nodes than this get no graph optimisation (see the file's comment). */
export const UNOPTIMISED_GRAPH_NODES = 5000;

/** The `graphOptimizationLevel` session option for the serialised ONNX model `graph`. */
export function graphOptimizationLevel(graph: Uint8Array): 'all' | 'disabled' {
  return onnxNodeCount(graph) > UNOPTIMISED_GRAPH_NODES ? 'disabled' : 'all';
}

/** The number of nodes of the main graph of a serialised `ModelProto`; 0 for bytes that are not one. */
export function onnxNodeCount(model: Uint8Array): number {
  try {
    return (decodeModelProto(model) as { graph?: { node?: unknown[] } }).graph?.node?.length ?? 0;
  } catch {
    return 0;
  }
}
