/**
 * The gradient of a `Scan` made by `appendScan` (src/onnx/scan.ts): a reverse `Scan` over the same steps, last first,
 * whose body rebuilds the forward step from the states the forward `Scan` kept and differentiates it with the pass's
 * own reverse mode (the same gradient registry and propagation rules as the rest of the graph). It carries the
 * gradients of the states from step to step and gives the gradient of every step's inputs; the initial states are zeros
 * the lowering made and get none.
 */
import { OnnxGraph, type GraphNode } from '../onnx-graph.js';
import { GradientBuilder, internal } from '../op-gradient.js';
import { zerosWithBatchOf } from '../scan.js';

/** The reverse-mode pass of op-gradients.ts (`reversePass`), given to the builder to run on the body. */
export type ReversePass = (
  graph: OnnxGraph,
  forward: readonly GraphNode[],
  inputs: readonly string[],
  seeds: readonly (readonly [string, string])[],
  overrides: ReadonlyMap<string, GradientBuilder>,
) => (string | undefined)[];

/** The `Scan` gradient builder, running `reverse` on its body. */
export function scanGradient(reverse: ReversePass): GradientBuilder {
  return (ctx) => {
    const info = ctx.node.scan;
    if (info === undefined) throw internal('a Scan not made by the recurrent lowering');
    const g = ctx.graph;
    const { step } = info;
    const states = step.stateShapes.length;
    const finalDys = ctx.dys.slice(0, states);
    const sequenceDy = ctx.dys[states];
    if (ctx.dys.slice(states + 1).some((dy) => dy !== undefined))
      throw internal('a gradient reaches the states a Scan keeps for its own gradient');
    const rows = [...finalDys, sequenceDy].find((dy) => dy !== undefined);
    if (rows === undefined) return ctx.node.inputs.map(() => undefined);
    const carries = step.stateShapes.map((shape, i) => finalDys[i] ?? zerosWithBatchOf(g, rows, shape));

    const body = new OnnxGraph(`${g.name('scan_gradient')}_`);
    body.ruleExempt = info.ruleExempt;
    const carried = step.stateShapes.map((shape) => body.input(body.name('carried'), shape));
    const stepDy = sequenceDy === undefined ? undefined : body.input(body.name('dy'), step.stateShapes[0]);
    const before = step.stateShapes.map((shape) => body.input(body.name('state'), shape));
    const xs = step.inputShapes.map((shape) => body.input(body.name('step'), shape));
    const next = step.build(body, before, xs);
    const forward = body.nodes.slice();
    // the step's output is the first state: its gradient is what the next step carries back plus this step's own
    const seeds = next.map((value, i) => {
      const seed = i === 0 && stepDy !== undefined ? body.op('Add', [carried[0], stepDy]) : carried[i];
      return [value, seed] as const;
    });
    const dxs = reverse(body, forward, [...before, ...xs], seeds, ctx.overrides ?? new Map());
    const shapes = [...step.stateShapes, ...step.inputShapes];
    shapes.forEach((shape, i) =>
      body.output(
        body.name(i < states ? 'dstate' : 'dstep'),
        dxs[i] ?? zerosWithBatchOf(body, carried[0], shape),
        shape,
      ),
    );

    // forward values in processing order are read backwards; the output sequence as the forward Scan wrote it
    const inputs = ctx.node.inputs.slice(states);
    const kept = ctx.node.outputs.slice(states + 1);
    const sequences = [...(sequenceDy === undefined ? [] : [sequenceDy]), ...kept, ...inputs];
    const inputDirection = info.reverse ? 0 : 1;
    const directions = [
      ...(sequenceDy === undefined ? [] : [info.reverseOutput ? 0 : 1]),
      ...kept.map(() => 1),
      ...inputs.map(() => inputDirection),
    ];
    const outputs = g.node(
      'Scan',
      [...carries, ...sequences],
      {
        body,
        num_scan_inputs: sequences.length,
        scan_input_axes: sequences.map(() => 1),
        scan_input_directions: directions,
        scan_output_axes: inputs.map(() => 1),
        scan_output_directions: inputs.map(() => inputDirection),
      },
      states + inputs.length,
    );
    return [...Array<undefined>(states).fill(undefined), ...outputs.slice(states)];
  };
}
