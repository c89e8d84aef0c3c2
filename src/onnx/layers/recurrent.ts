/**
 * Lowerers of the recurrent layers (LSTM, GRU in both `reset_after` forms and the loader's GRUResetAfter, SimpleRNN)
 * and the Bidirectional wrapper, with the arithmetic of `src/execution/recurrent.ts`: the input projection of every
 * step in one MatMul, then one ONNX `Scan` over the time steps whose body is the cell (src/onnx/scan.ts), from zero
 * states. The graph grows with the layers, not with the sequence length; its gradient is a reverse `Scan`
 * (src/onnx/gradients/scan.ts). Cell activations named `relu` are `Relu` ops, so guided backprop reaches them inside
 * the body as it does on TensorFlow.js; the cells' own dropout is never applied.
 */
import type * as tf from '@tensorflow/tfjs';
import type { OnnxGraph, ScanStep } from '../onnx-graph.js';
import {
  LayerLowerer,
  LoweringContext,
  Value,
  layerConfig,
  onlyInput,
  unsupportedLayer,
  weightValues,
} from '../lowering-context.js';
import { appendScan, zerosWithBatchOf } from '../scan.js';

type Kind = 'lstm' | 'gru' | 'simple';

const KIND_BY_CLASS: Record<string, Kind> = { LSTM: 'lstm', GRU: 'gru', GRUResetAfter: 'gru', SimpleRNN: 'simple' };

const GATES: Record<Kind, number> = { lstm: 4, gru: 3, simple: 1 };

/** Columns `[from, from + count)` of a row-major `[rows, cols]` matrix. */
function columns(data: Float32Array, rows: number, cols: number, from: number, count: number): Float32Array {
  const out = new Float32Array(rows * count);
  for (let r = 0; r < rows; r++) out.set(data.subarray(r * cols + from, r * cols + from + count), r * count);
  return out;
}

/** A recurrent layer's weights and settings, and its cell as a {@link ScanStep}. */
class Cell {
  private readonly units: number;
  private readonly features: number;
  private readonly kernel: { data: Float32Array; shape: number[] };
  private readonly recurrent: { data: Float32Array; shape: number[] };
  private readonly bias: Float32Array | null;
  private readonly recurrentBias: Float32Array | null;
  private readonly kind: Kind;
  private readonly resetAfter: boolean;
  private readonly activation: unknown;
  private readonly recurrentActivation: unknown;

  constructor(private readonly layer: tf.layers.Layer) {
    const c = layerConfig(layer);
    const kind = KIND_BY_CLASS[layer.getClassName()];
    if (kind === undefined) throw unsupportedLayer(layer, 'not a recurrent layer the lowering knows');
    this.kind = kind;
    this.units = c.units as number;
    this.resetAfter = layer.getClassName() === 'GRUResetAfter' || c.resetAfter === true;
    this.activation = c.activation ?? 'tanh';
    this.recurrentActivation = c.recurrentActivation ?? 'sigmoid';
    for (const name of [this.activation, this.recurrentActivation]) this.checkActivation(name);
    const kernel = weightValues(layer, 'kernel');
    const recurrent = weightValues(layer, 'recurrent_kernel');
    if (kernel === null || recurrent === null) throw unsupportedLayer(layer, 'it has no kernel or recurrent kernel');
    this.kernel = kernel;
    this.recurrent = recurrent;
    this.features = kernel.shape[0];
    const bias = c.useBias === false ? null : weightValues(layer, 'bias');
    const width = kernel.shape[1];
    if (bias !== null && this.resetAfter && bias.data.length === 2 * width) {
      this.bias = bias.data.slice(0, width);
      this.recurrentBias = bias.data.slice(width);
    } else {
      this.bias = bias?.data ?? null;
      this.recurrentBias = null;
    }
  }

  private checkActivation(name: unknown): void {
    const known = ['tanh', 'sigmoid', 'relu', 'linear', undefined, null, 'hard_sigmoid', 'hardSigmoid'];
    if (!known.includes(name as string)) throw unsupportedLayer(this.layer, `cell activation '${String(name)}'`);
  }

  /**
   * Runs the cell over `x` (`[steps, features]`): every step's `h` (`[steps, units]`, in processing order, or in
   * time order with `timeOrder`) and the final states.
   */
  run(ctx: LoweringContext, x: Value, goBackwards: boolean, timeOrder: boolean): { sequence: Value; states: Value[] } {
    const [steps, features] = x.shape;
    if (x.shape.length !== 2 || features !== this.features)
      throw unsupportedLayer(this.layer, `input [${x.shape.join(',')}] is not [steps, ${this.features}]`);
    const g = ctx.graph;
    const width = GATES[this.kind] * this.units;
    // every step's input projection, all gates at once (TensorFlow.js adds the GRU's input bias to it, the others'
    // bias after the recurrent term)
    const kernel = g.floats(`${this.layer.name}_kernel`, this.kernel.data, this.kernel.shape);
    let projection = ctx.op('MatMul', [x.name, kernel], {}, [steps, width]);
    if (this.kind === 'gru' && this.bias !== null)
      projection = ctx.op('Add', [projection.name, g.floats(`${this.layer.name}_bias`, this.bias, [width])], {}, [
        steps,
        width,
      ]);
    const stateShapes = this.kind === 'lstm' ? [[this.units], [this.units]] : [[this.units]];
    const initial = stateShapes.map((shape) => zerosWithBatchOf(g, x.name, shape));
    const step: ScanStep = { stateShapes, inputShapes: [[width]], build: (body, s, i) => this.step(body, s, i[0]) };
    const out = appendScan(g, step, initial, [projection.name], {
      steps,
      reverse: goBackwards,
      reverseOutput: timeOrder && goBackwards,
    });
    return {
      sequence: { name: out.sequence, shape: [steps, this.units] },
      states: out.finals.map((name) => ({ name, shape: [this.units] })),
    };
  }

  /** One cell step in `g` (a Scan body): the next states from `states` and the step's input projection `p`. */
  private step(g: OnnxGraph, states: string[], p: string): string[] {
    const u = this.units;
    const op = (opType: string, inputs: string[], shape = [u], attributes = {}): string => {
      const name = g.op(opType, inputs, attributes);
      g.setShape(name, shape);
      return name;
    };
    const split = (value: string, parts: number): string[] => {
      const names = g.node('Split', [value], { axis: 1 }, parts);
      for (const name of names) g.setShape(name, [u]);
      return names;
    };
    const constant = (suffix: string, data: Float32Array, dims: number[]) =>
      g.floats(`${this.layer.name}_${suffix}`, data, dims);
    const activate = (name: unknown, v: string): string => {
      switch (name) {
        case 'tanh':
          return op('Tanh', [v]);
        case 'sigmoid':
          return op('Sigmoid', [v]);
        case 'relu':
          return op('Relu', [v]);
        case 'hard_sigmoid':
        case 'hardSigmoid':
          return op('Clip', [op('Add', [op('Mul', [v, g.scalar(0.2)]), g.scalar(0.5)]), g.scalar(0), g.scalar(1)]);
        default:
          return v;
      }
    };
    const act = (v: string) => activate(this.activation, v);
    const gate = (v: string) => activate(this.recurrentActivation, v);
    const width = GATES[this.kind] * u;
    const [h] = states;
    if (this.kind !== 'gru') {
      // (x·W + h·R) + b
      const recurrent = constant('recurrent_kernel', this.recurrent.data, this.recurrent.shape);
      let z = op('Add', [p, op('MatMul', [h, recurrent], [width])], [width]);
      if (this.bias !== null) z = op('Add', [z, constant('bias', this.bias, [width])], [width]);
      if (this.kind === 'simple') return [act(z)];
      const [zi, zf, zc, zo] = split(z, 4);
      const cell = op('Add', [op('Mul', [gate(zf), states[1]]), op('Mul', [gate(zi), act(zc)])]);
      return [op('Mul', [gate(zo), act(cell)]), cell];
    }
    const [xz, xr, xh] = split(p, 3);
    let z: string;
    let inner: string;
    if (this.resetAfter) {
      const recurrent = constant('recurrent_kernel', this.recurrent.data, this.recurrent.shape);
      let hp = op('MatMul', [h, recurrent], [width]);
      if (this.recurrentBias !== null)
        hp = op('Add', [hp, constant('recurrent_bias', this.recurrentBias, [width])], [width]);
      const [hz, hr, hh] = split(hp, 3);
      z = gate(op('Add', [xz, hz]));
      inner = op('Mul', [gate(op('Add', [xr, hr])), hh]);
    } else {
      const rows = this.recurrent.shape[0];
      const gates = constant('recurrent_gates', columns(this.recurrent.data, rows, width, 0, 2 * u), [rows, 2 * u]);
      const candidate = constant('recurrent_candidate', columns(this.recurrent.data, rows, width, 2 * u, u), [rows, u]);
      const [hz, hr] = split(op('MatMul', [h, gates], [2 * u]), 2);
      z = gate(op('Add', [xz, hz]));
      const r = gate(op('Add', [xr, hr]));
      inner = op('MatMul', [op('Mul', [r, h]), candidate]);
    }
    const candidate = act(op('Add', [xh, inner]));
    return [op('Add', [op('Mul', [z, h]), op('Mul', [op('Sub', [g.scalar(1), z]), candidate])])];
  }
}

/** Runs a recurrent layer's cell over `x`; `timeOrder` gives its sequence in time order (a Bidirectional's). */
function runLayer(layer: tf.layers.Layer, x: Value, ctx: LoweringContext, timeOrder = false) {
  const c = layerConfig(layer);
  const run = new Cell(layer).run(ctx, x, c.goBackwards === true, timeOrder);
  return { ...run, returnSequences: c.returnSequences === true, returnState: c.returnState === true };
}

const recurrent: LayerLowerer = (layer, inputs, ctx) => {
  const run = runLayer(layer, onlyInput(layer, inputs), ctx);
  const output = run.returnSequences ? run.sequence : run.states[0];
  return run.returnState ? [output, ...run.states] : [output];
};

const bidirectional: LayerLowerer = (layer, inputs, ctx) => {
  const x = onlyInput(layer, inputs);
  const wrapper = layer as unknown as {
    forwardLayer: tf.layers.Layer;
    backwardLayer: tf.layers.Layer;
    mergeMode: string | null;
  };
  const forward = runLayer(wrapper.forwardLayer, x, ctx);
  // Keras turns the backward sequence back into forward time order before merging
  const backward = runLayer(wrapper.backwardLayer, x, ctx, true);
  const sequences = forward.returnSequences;
  const f = sequences ? forward.sequence : forward.states[0];
  const b = sequences ? backward.sequence : backward.states[0];
  let merged: Value[];
  switch (wrapper.mergeMode) {
    case 'concat': {
      const shape = f.shape.slice();
      shape[shape.length - 1] += b.shape[b.shape.length - 1];
      merged = [ctx.op('Concat', [f.name, b.name], { axis: f.shape.length }, shape)];
      break;
    }
    case 'sum':
      merged = [ctx.op('Add', [f.name, b.name], {}, f.shape)];
      break;
    case 'mul':
      merged = [ctx.op('Mul', [f.name, b.name], {}, f.shape)];
      break;
    case 'ave':
      merged = [ctx.op('Div', [ctx.op('Add', [f.name, b.name], {}, f.shape).name, ctx.graph.scalar(2)], {}, f.shape)];
      break;
    default:
      merged = [f, b];
  }
  const states = forward.returnState ? [...forward.states, ...backward.states] : [];
  return [...merged, ...states];
};

/** The recurrent lowerers by Keras class name. */
export const RECURRENT_LOWERERS: readonly (readonly [string, LayerLowerer])[] = [
  ...Object.keys(KIND_BY_CLASS).map((className) => [className, recurrent] as const),
  ['Bidirectional', bidirectional],
];
