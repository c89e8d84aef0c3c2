/**
 * ONNX Runtime's session options that depend on the compiled graph: every graph optimisation ('all') for ordinary
 * graphs; none ('disabled') and no memory pattern for graphs with a `Scan` (the recurrent layers, src/onnx/scan.ts);
 * none for very large graphs.
 *
 * Measured with onnxruntime-node 1.17 on the 2-core machine (one intra-op thread), the bidirectional LSTM of
 * ../shared/models/wild2 as a Scan graph (102 nodes; `npm run bench -- recurrent-setup`): 0.1 s of CPU to set up with
 * 'disabled', 1.7 s with 'all', and a run of 2 rows 17 ms either way. With the memory pattern on (ONNX Runtime's
 * default), the second and later runs of that graph give other numbers than the first (0.012 off in gradients of
 * 0.07; the first run's are right): its planner sizes buffers inside Scan bodies from the first run (known upstream,
 * microsoft/onnxruntime#18672). Unrolled over its 63 steps the same model made 16,478 nodes and took 52 s (none) or
 * 75 s ('all') to set up, hence the node limit for any other graph that large. Convolutional graphs (50–200 nodes)
 * set up in milliseconds and run up to a fifth faster with 'all' (the whale-call model: 120 or 153 ms), so they keep it.
 */
import { decodeModelProto } from '../onnx-file/onnx-schema.js';

/** Graphs with more nodes than this get no graph optimisation (see the file's comment). */
export const UNOPTIMISED_GRAPH_NODES = 5000;

/** The session options of {@link graphSessionOptions}. */
export interface GraphSessionOptions {
  graphOptimizationLevel: 'all' | 'disabled';
  enableMemPattern: boolean;
}

/** The session options that depend on the serialised ONNX model `graph` (see the file's comment). */
export function graphSessionOptions(graph: Uint8Array): GraphSessionOptions {
  const nodes = mainGraphNodes(graph);
  const scan = nodes.some((node) => node.op_type === 'Scan');
  return {
    graphOptimizationLevel: scan || nodes.length > UNOPTIMISED_GRAPH_NODES ? 'disabled' : 'all',
    enableMemPattern: !scan,
  };
}

/** The `graphOptimizationLevel` session option for the serialised ONNX model `graph`. */
export function graphOptimizationLevel(graph: Uint8Array): 'all' | 'disabled' {
  return graphSessionOptions(graph).graphOptimizationLevel;
}

/** The number of nodes of the main graph of a serialised `ModelProto` (a Scan's body not counted); 0 for bytes that are not one. */
export function onnxNodeCount(model: Uint8Array): number {
  return mainGraphNodes(model).length;
}

function mainGraphNodes(model: Uint8Array): { op_type?: string }[] {
  try {
    return (decodeModelProto(model) as { graph?: { node?: { op_type?: string }[] } }).graph?.node ?? [];
  } catch {
    return [];
  }
}
