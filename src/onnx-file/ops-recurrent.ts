/**
 * TensorFlow.js implementations of ONNX's recurrent ops, `LSTM` and `GRU` (one function per op type): the default
 * activations, forward, reverse or bidirectional, `layout` 0 (`[seq, batch, features]`) or 1 (batch first), optional
 * biases and initial states. The loop over time is plain TensorFlow.js ops, so gradients flow through it.
 */
import * as tf from '@tensorflow/tfjs';
import type { OpContext, OpImplementation } from './op-context.js';

interface Recurrence {
  /** Gates stacked in the weights (LSTM: i, o, f, c; GRU: z, r, h). */
  gates: number;
  /** Default activations, which are the only ones run. */
  activations: string[];
  /** One step: input projections of the step `xw` `[batch, gates·H]`, the states, the recurrent weights and bias. */
  step: (xw: tf.Tensor2D, states: tf.Tensor2D[], r: tf.Tensor2D, rb: tf.Tensor1D, hidden: number) => tf.Tensor2D[];
  /** States (h first) and how many the op has. */
  states: number;
}

/** y = x · wᵀ for `[batch, in]` and `[out, in]`. */
const project = (x: tf.Tensor2D, w: tf.Tensor2D): tf.Tensor2D => tf.matMul(x, w, false, true);

const LSTM: Recurrence = {
  gates: 4,
  activations: ['Sigmoid', 'Tanh', 'Tanh'],
  states: 2,
  step: (xw, [h, c], r, rb, hidden) => {
    const z = tf.add(tf.add(xw, project(h, r)), rb);
    const [i, o, f, g] = tf.split(z, [hidden, hidden, hidden, hidden], 1) as tf.Tensor2D[];
    const cell = tf.add(tf.mul(tf.sigmoid(f), c), tf.mul(tf.sigmoid(i), tf.tanh(g))) as tf.Tensor2D;
    return [tf.mul(tf.sigmoid(o), tf.tanh(cell)) as tf.Tensor2D, cell];
  },
};

function gru(linearBeforeReset: boolean): Recurrence {
  return {
    gates: 3,
    activations: ['Sigmoid', 'Tanh'],
    states: 1,
    step: (xw, [h], r, rb, hidden) => {
      const [xz, xr, xh] = tf.split(xw, [hidden, hidden, hidden], 1) as tf.Tensor2D[];
      const [rz, rr, rh] = tf.split(r, [hidden, hidden, hidden], 0) as tf.Tensor2D[];
      const [bz, br, bh] = tf.split(rb, [hidden, hidden, hidden]) as tf.Tensor1D[];
      const zGate = tf.sigmoid(tf.add(tf.add(xz, project(h, rz)), bz));
      const rGate = tf.sigmoid(tf.add(tf.add(xr, project(h, rr)), br));
      const candidate = linearBeforeReset
        ? tf.tanh(tf.add(xh, tf.mul(rGate, tf.add(project(h, rh), bh))))
        : tf.tanh(tf.add(tf.add(xh, project(tf.mul(rGate, h) as tf.Tensor2D, rh)), bh));
      return [tf.add(tf.mul(tf.sub(1, zGate), candidate), tf.mul(zGate, h)) as tf.Tensor2D];
    },
  };
}

function recurrent(ctx: OpContext, kind: Recurrence): tf.Tensor[] {
  const direction = ctx.string('direction', 'forward');
  const hidden = ctx.number('hidden_size', 0);
  const activations = ctx.attribute('activations');
  const dirs = direction === 'bidirectional' ? 2 : 1;
  const defaults = Array.from({ length: dirs }, () => kind.activations).flat();
  if (Array.isArray(activations) && activations.join(',').toLowerCase() !== defaults.join(',').toLowerCase())
    throw ctx.refuse(`has activations ${activations.join(', ')} (only the defaults run)`);
  if (ctx.attribute('clip') !== undefined) throw ctx.refuse('clips its cell state');
  if (ctx.number('input_forget', 0) === 1) throw ctx.refuse('couples the input and forget gates');
  if (ctx.input(4) !== undefined) throw ctx.refuse('has sequence lengths (padding masks)');
  if (ctx.input(7) !== undefined) throw ctx.refuse('has peephole weights');
  const batchFirst = ctx.number('layout', 0) === 1;
  let x = ctx.float(0);
  if (batchFirst) x = tf.transpose(x, [1, 0, 2]);
  const [steps, batch] = x.shape;
  const w = ctx.float(1);
  const r = ctx.float(2);
  const g = kind.gates * hidden;
  const b = ctx.input(3) === undefined ? tf.zeros([dirs, 2 * g]) : ctx.float(3);
  const initial = (i: number): tf.Tensor | undefined => (ctx.input(i) === undefined ? undefined : ctx.float(i));
  const ys: tf.Tensor[] = [];
  const finals: tf.Tensor[][] = [];
  for (let d = 0; d < dirs; d++) {
    const reverse = direction === 'reverse' || d === 1;
    const wd = tf.squeeze(tf.slice(w, [d, 0, 0], [1, -1, -1]), [0]) as tf.Tensor2D;
    const rd = tf.squeeze(tf.slice(r, [d, 0, 0], [1, -1, -1]), [0]) as tf.Tensor2D;
    const [wb, rb] = tf.split(tf.squeeze(tf.slice(b, [d, 0], [1, -1]), [0]), 2) as tf.Tensor1D[];
    const xw = tf.reshape(tf.add(project(tf.reshape(x, [steps * batch, -1]), wd), wb), [steps, batch, g]);
    const inputs = tf.unstack(xw) as tf.Tensor2D[];
    let states = [initial(5), initial(6)]
      .slice(0, kind.states)
      .map((s) =>
        s === undefined ? tf.zeros([batch, hidden]) : tf.squeeze(tf.slice(s, [d, 0, 0], [1, -1, -1]), [0]),
      ) as tf.Tensor2D[];
    const outputs: tf.Tensor2D[] = new Array<tf.Tensor2D>(steps);
    for (let k = 0; k < steps; k++) {
      const t = reverse ? steps - 1 - k : k;
      states = kind.step(inputs[t], states, rd, rb, hidden);
      outputs[t] = states[0];
    }
    ys.push(tf.stack(outputs)); // [seq, batch, hidden]
    finals.push(states);
  }
  let y = tf.stack(ys, 1); // [seq, dirs, batch, hidden]
  const last = (i: number) => {
    const s = tf.stack(finals.map((f) => f[i])); // [dirs, batch, hidden]
    return batchFirst ? tf.transpose(s, [1, 0, 2]) : s;
  };
  if (batchFirst) y = tf.transpose(y, [2, 0, 1, 3]); // [batch, seq, dirs, hidden]
  return [y, ...Array.from({ length: kind.states }, (_, i) => last(i))];
}

/** Recurrent ops by ONNX op type. */
export const RECURRENT_OPS: [string, OpImplementation][] = [
  ['LSTM', (ctx) => recurrent(ctx, LSTM)],
  ['GRU', (ctx) => recurrent(ctx, gru(ctx.number('linear_before_reset', 0) === 1))],
];
