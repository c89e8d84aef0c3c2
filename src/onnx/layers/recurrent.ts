/**
 * Lowerers of the recurrent layers (LSTM, GRU in both `reset_after` forms and the loader's GRUResetAfter, SimpleRNN)
 * and the Bidirectional wrapper, unrolled over the (fixed) sequence length with the arithmetic of
 * `src/execution/recurrent.ts`: per gate, the input projection of every step in one MatMul, then one cell step per time
 * step from zero states (a zero state's terms are left out: they add exact zeros). Cell activations named `relu` are
 * `Relu` ops, so guided backprop reaches them as it does on TensorFlow.js; the cells' own dropout is never applied.
 */
import type * as tf from '@tensorflow/tfjs';
import {
  LayerLowerer,
  LoweringContext,
  Value,
  layerConfig,
  onlyInput,
  unsupportedLayer,
  weightValues,
} from '../lowering-context.js';

type Kind = 'lstm' | 'gru' | 'simple';

/** A term of a cell's sums: a value, a constant's name, or null for a zero. */
type Term = Value | string | null;

const nameOf = (t: Value | string): string => (typeof t === 'string' ? t : t.name);

/** A term that depends on the input (every gate's sum has the input projection in it). */
function value(t: Term): Value {
  if (t === null || typeof t === 'string') throw new Error('Internal error: a recurrent gate without its input term.');
  return t;
}

const KIND_BY_CLASS: Record<string, Kind> = { LSTM: 'lstm', GRU: 'gru', GRUResetAfter: 'gru', SimpleRNN: 'simple' };

/** Columns `[from, from + count)` of a row-major `[rows, cols]` matrix. */
function columns(data: Float32Array, rows: number, cols: number, from: number, count: number): Float32Array {
  const out = new Float32Array(rows * count);
  for (let r = 0; r < rows; r++) out.set(data.subarray(r * cols + from, r * cols + from + count), r * count);
  return out;
}

/** A recurrent layer's cell, lowered step by step. */
class Cell {
  private readonly units: number;
  private readonly features: number;
  private readonly kernel: { data: Float32Array; shape: number[] };
  private readonly recurrent: { data: Float32Array; shape: number[] };
  private readonly bias: Float32Array | null;
  private readonly recurrentBias: Float32Array | null;
  readonly kind: Kind;
  readonly resetAfter: boolean;

  constructor(
    private readonly layer: tf.layers.Layer,
    private readonly ctx: LoweringContext,
  ) {
    const c = layerConfig(layer);
    const kind = KIND_BY_CLASS[layer.getClassName()];
    if (kind === undefined) throw unsupportedLayer(layer, 'not a recurrent layer the lowering knows');
    this.kind = kind;
    this.units = c.units as number;
    this.resetAfter = layer.getClassName() === 'GRUResetAfter' || c.resetAfter === true;
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

  private op(opType: string, inputs: string[], shape = [this.units]): Value {
    return this.ctx.op(opType, inputs, {}, shape);
  }

  /** Gate g's columns of a weight as a constant (`[rows, units]`), or of a bias (`[units]`). */
  private gate(which: 'kernel' | 'recurrent', g: number, count = 1): string {
    const w = which === 'kernel' ? this.kernel : this.recurrent;
    const [rows, cols] = w.shape;
    const data = columns(w.data, rows, cols, g * this.units, count * this.units);
    return this.ctx.graph.floats(`${this.layer.name}_${which}_${g}`, data, [rows, count * this.units]);
  }

  private gateBias(bias: Float32Array | null, g: number): string | null {
    if (bias === null) return null;
    const data = bias.slice(g * this.units, (g + 1) * this.units);
    return this.ctx.graph.floats(`${this.layer.name}_bias_${g}`, data, [this.units]);
  }

  /** Keras cell activations (relu as a `Relu` op, hard sigmoid as clip(0.2x + 0.5, 0, 1)). */
  activation(name: unknown, x: Value): Value {
    const g = this.ctx.graph;
    switch (name) {
      case 'tanh':
        return this.op('Tanh', [x.name]);
      case 'sigmoid':
        return this.op('Sigmoid', [x.name]);
      case 'relu':
        return this.op('Relu', [x.name]);
      case 'linear':
      case undefined:
      case null:
        return x;
      case 'hard_sigmoid':
      case 'hardSigmoid': {
        const shifted = this.op('Add', [this.op('Mul', [x.name, g.scalar(0.2)]).name, g.scalar(0.5)]);
        return this.op('Clip', [shifted.name, g.scalar(0), g.scalar(1)]);
      }
      default:
        throw unsupportedLayer(this.layer, `cell activation '${String(name)}'`);
    }
  }

  /** Runs the cell over `x` (`[steps, features]`); `h` of every step in processing order and the final states. */
  run(x: Value, goBackwards: boolean): { outputs: Value[]; states: Value[] } {
    const c = layerConfig(this.layer);
    const [steps, features] = x.shape;
    if (x.shape.length !== 2 || features !== this.features)
      throw unsupportedLayer(this.layer, `input [${x.shape.join(',')}] is not [steps, ${this.features}]`);
    const act = (v: Value) => this.activation(c.activation ?? 'tanh', v);
    const gateAct = (v: Value) => this.activation(c.recurrentActivation ?? 'sigmoid', v);
    const gates = this.kind === 'lstm' ? 4 : this.kind === 'gru' ? 3 : 1;
    // every step's input projection per gate: x · W_g, [steps, units]
    const projections = Array.from({ length: gates }, (_, g) =>
      this.ctx.op('MatMul', [x.name, this.gate('kernel', g)], {}, [steps, this.units]),
    );
    const at = (p: Value, t: number): Value => {
      const g = this.ctx.graph;
      const slice = this.ctx.op('Slice', [p.name, g.int64s([t]), g.int64s([t + 1]), g.int64s([1])], {}, [
        1,
        this.units,
      ]);
      return this.op('Reshape', [slice.name, g.int64s([-1, this.units])]);
    };
    // a sum of terms where null is a zero (a term of the zero initial state) and a string a constant
    const add = (a: Term, b: Term): Term => {
      if (a === null) return b;
      if (b === null) return a;
      return this.op('Add', [nameOf(a), nameOf(b)]);
    };
    const recurrentW = Array.from({ length: gates }, (_, g) =>
      this.kind === 'gru' && !this.resetAfter ? null : this.gate('recurrent', g),
    );
    const gruGates = this.kind === 'gru' && !this.resetAfter ? this.gate('recurrent', 0, 2) : null;
    const gruCandidate = this.kind === 'gru' && !this.resetAfter ? this.gate('recurrent', 2) : null;
    const biases = Array.from({ length: gates }, (_, g) => this.gateBias(this.bias, g));
    const recurrentBiases = Array.from({ length: gates }, (_, g) => this.gateBias(this.recurrentBias, g));
    let h: Value | null = null;
    let cell: Value | null = null;
    const outputs: Value[] = [];
    const order = Array.from({ length: steps }, (_, i) => (goBackwards ? steps - 1 - i : i));
    for (const t of order) {
      const xs = projections.map((p) => at(p, t));
      const hr = (g: number): Value | null => (h === null ? null : this.op('MatMul', [h.name, recurrentW[g]!]));
      if (this.kind === 'simple' || this.kind === 'lstm') {
        // (x·W + h·R) + b, per gate
        const z = xs.map((xg, g) => value(add(add(xg, hr(g)), biases[g])));
        if (this.kind === 'simple') h = act(z[0]);
        else {
          const [i, f, o] = [gateAct(z[0]), gateAct(z[1]), gateAct(z[3])];
          const fresh = this.op('Mul', [i.name, act(z[2]).name]);
          cell = cell === null ? fresh : this.op('Add', [this.op('Mul', [f.name, cell.name]).name, fresh.name]);
          h = this.op('Mul', [o.name, act(cell).name]);
        }
      } else {
        const xp = xs.map((xg, g) => value(add(xg, biases[g])));
        let z: Value;
        let inner: Term;
        if (this.resetAfter) {
          // h·R + b_rec per gate (only the bias while h is zero)
          const hp = [0, 1, 2].map((g) => add(hr(g), recurrentBiases[g]));
          z = gateAct(value(add(xp[0], hp[0])));
          const r = gateAct(value(add(xp[1], hp[1])));
          inner = hp[2] === null ? null : this.op('Mul', [r.name, nameOf(hp[2])]);
        } else {
          if (h === null) {
            z = gateAct(xp[0]);
            inner = null;
          } else {
            const both = this.op('MatMul', [h.name, gruGates!], [2 * this.units]);
            const g = this.ctx.graph;
            const half = (k: number): Value => {
              const bounds = [g.int64s([k * this.units]), g.int64s([(k + 1) * this.units]), g.int64s([1])];
              return this.op('Slice', [both.name, ...bounds]);
            };
            z = gateAct(this.op('Add', [xp[0].name, half(0).name]));
            const r = gateAct(this.op('Add', [xp[1].name, half(1).name]));
            inner = this.op('MatMul', [this.op('Mul', [r.name, h.name]).name, gruCandidate!]);
          }
        }
        const candidate = act(value(add(xp[2], inner)));
        const kept = this.op('Mul', [this.op('Sub', [this.ctx.graph.scalar(1), z.name]).name, candidate.name]);
        h = h === null ? kept : this.op('Add', [this.op('Mul', [z.name, h.name]).name, kept.name]);
      }
      outputs.push(h!);
    }
    return { outputs, states: this.kind === 'lstm' ? [h!, cell!] : [h!] };
  }
}

/** `[steps, units]` from per-step `[units]` values (in the given order). */
function stack(ctx: LoweringContext, values: Value[]): Value {
  const units = values[0].shape[0];
  const rows = values.map((v) => ctx.op('Reshape', [v.name, ctx.graph.int64s([-1, 1, units])], {}, [1, units]).name);
  return ctx.op('Concat', rows, { axis: 1 }, [values.length, units]);
}

function runLayer(layer: tf.layers.Layer, x: Value, ctx: LoweringContext) {
  const c = layerConfig(layer);
  const cell = new Cell(layer, ctx);
  const { outputs, states } = cell.run(x, c.goBackwards === true);
  return { outputs, states, returnSequences: c.returnSequences === true, returnState: c.returnState === true };
}

const recurrent: LayerLowerer = (layer, inputs, ctx) => {
  const x = onlyInput(layer, inputs);
  const run = runLayer(layer, x, ctx);
  const output = run.returnSequences ? stack(ctx, run.outputs) : run.outputs[run.outputs.length - 1];
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
  const backward = runLayer(wrapper.backwardLayer, x, ctx);
  const sequences = forward.returnSequences;
  const f = sequences ? stack(ctx, forward.outputs) : forward.outputs[forward.outputs.length - 1];
  // Keras turns the backward sequence back into forward time order before merging
  const b = sequences ? stack(ctx, backward.outputs.slice().reverse()) : backward.outputs[backward.outputs.length - 1];
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
