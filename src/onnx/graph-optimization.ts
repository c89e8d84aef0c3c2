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

/** Graphs with more nodes than this get no graph optimisation (see the file's comment). */
export const UNOPTIMISED_GRAPH_NODES = 5000;

/** The `graphOptimizationLevel` session option for the serialised ONNX model `graph`. */
export function graphOptimizationLevel(graph: Uint8Array): 'all' | 'disabled' {
  return onnxNodeCount(graph) > UNOPTIMISED_GRAPH_NODES ? 'disabled' : 'all';
}

/**
 * The number of nodes of the main graph of a serialised `ModelProto` (field 7 `graph`; its field 1 `node`), counted
 * from the protobuf wire format without decoding anything else; 0 for bytes that are not one.
 */
export function onnxNodeCount(model: Uint8Array): number {
  const graph = lengthDelimited(model, 0, model.length, 7);
  if (graph === undefined) return 0;
  let count = 0;
  forEachField(model, graph.start, graph.end, (field) => {
    if (field === 1) count++;
  });
  return count;
}

/** The first length-delimited field number `wanted` of the message in `bytes[start, end)`. */
function lengthDelimited(
  bytes: Uint8Array,
  start: number,
  end: number,
  wanted: number,
): { start: number; end: number } | undefined {
  let found: { start: number; end: number } | undefined;
  forEachField(bytes, start, end, (field, wireType, valueStart, valueEnd) => {
    if (found === undefined && field === wanted && wireType === 2) found = { start: valueStart, end: valueEnd };
  });
  return found;
}

/** Calls `visit` for each field of the message in `bytes[start, end)`; stops quietly at malformed bytes. */
function forEachField(
  bytes: Uint8Array,
  start: number,
  end: number,
  visit: (field: number, wireType: number, valueStart: number, valueEnd: number) => void,
): void {
  let at = start;
  const varint = (): number | undefined => {
    let value = 0;
    let scale = 1;
    while (at < end) {
      const byte = bytes[at++];
      value += (byte & 0x7f) * scale;
      if (byte < 0x80) return value;
      scale *= 128;
      if (scale > 2 ** 63) return undefined;
    }
    return undefined;
  };
  while (at < end) {
    const tag = varint();
    if (tag === undefined) return;
    const field = Math.floor(tag / 8);
    const wireType = tag % 8;
    let valueStart = at;
    if (wireType === 0) {
      if (varint() === undefined) return;
    } else if (wireType === 1) at += 8;
    else if (wireType === 5) at += 4;
    else if (wireType === 2) {
      const length = varint();
      if (length === undefined) return;
      valueStart = at;
      at += length;
    } else return;
    if (at > end) return;
    visit(field, wireType, valueStart, at);
  }
}
