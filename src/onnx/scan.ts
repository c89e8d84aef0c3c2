/**
 * A recurrence over time steps as one ONNX `Scan` node (a recurrent layer's cell, lowered once as the body): the
 * graph then grows with the layers, not with the sequence length, and ONNX Runtime opens it in a fraction of the time
 * of the unrolled steps. The `Scan` keeps its step ({@link ScanStep}) on its node, so its gradient
 * (src/onnx/gradients/scan.ts) is a reverse `Scan` whose body is the step rebuilt and differentiated by the same
 * gradient registry, under the same propagation rules.
 *
 * Layout: every batch-carrying value keeps the batch on axis 0 (`[batch, steps, ...]`), so the scan axis is 1.
 */
import { OnnxGraph, type ScanStep } from './onnx-graph.js';

/** The outputs of {@link appendScan}. */
export interface ScanOutputs {
  /** The states after the last step. */
  finals: string[];
  /** The first state after every step, `[batch, steps, ...]`. */
  sequence: string;
}

/**
 * Appends a `Scan` of `step` to `graph`, from the states `initial` over the sequences `inputs` (`[batch, steps, ...]`,
 * read last step first with `reverse`; the output sequence written last step first with `reverseOutput`). Besides the
 * final states and the output sequence, the node gives each state before every step (in processing order), which its
 * gradient reads: those outputs stay unused in a graph without gradient.
 */
export function appendScan(
  graph: OnnxGraph,
  step: ScanStep,
  initial: string[],
  inputs: string[],
  options: { steps: number; reverse: boolean; reverseOutput: boolean },
): ScanOutputs {
  const states = step.stateShapes.length;
  const body = new OnnxGraph(`${graph.name('scan')}_`);
  body.ruleExempt = graph.ruleExempt;
  const bodyStates = step.stateShapes.map((shape) => body.input(body.name('state'), shape));
  const bodyInputs = step.inputShapes.map((shape) => body.input(body.name('step'), shape));
  const next = step.build(body, bodyStates, bodyInputs);
  step.stateShapes.forEach((shape, i) => body.output(body.name('next'), next[i], shape));
  body.output(body.name('out'), next[0], step.stateShapes[0]);
  step.stateShapes.forEach((shape, i) => body.output(body.name('before'), bodyStates[i], shape));
  const outputs = graph.node(
    'Scan',
    [...initial, ...inputs],
    {
      body,
      num_scan_inputs: inputs.length,
      scan_input_axes: inputs.map(() => 1),
      scan_input_directions: inputs.map(() => (options.reverse ? 1 : 0)),
      scan_output_axes: Array<number>(1 + states).fill(1),
      scan_output_directions: [options.reverseOutput ? 1 : 0, ...Array<number>(states).fill(0)],
    },
    2 * states + 1,
  );
  const node = graph.nodes[graph.nodes.length - 1];
  node.scan = { step, ...options, ruleExempt: graph.ruleExempt, body };
  const sequenceShape = (shape: number[]) => [options.steps, ...shape];
  step.stateShapes.forEach((shape, i) => {
    graph.setShape(outputs[i], shape);
    graph.setShape(outputs[states + 1 + i], sequenceShape(shape));
  });
  graph.setShape(outputs[states], sequenceShape(step.stateShapes[0]));
  return { finals: outputs.slice(0, states), sequence: outputs[states] };
}

/** `[batch, ...shape]` zeros, the batch size read from `like` (any batch-carrying value). */
export function zerosWithBatchOf(graph: OnnxGraph, like: string, shape: number[]): string {
  const batch = graph.op('Slice', [graph.op('Shape', [like]), graph.int64s([0]), graph.int64s([1])]);
  const dims = graph.op('Concat', [batch, graph.int64s(shape)], { axis: 0 });
  const zeros = graph.op('ConstantOfShape', [dims]);
  graph.setShape(zeros, shape);
  return zeros;
}
