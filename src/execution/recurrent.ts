/**
 * Recurrent layers (LSTM, GRU in both `reset_after` modes, SimpleRNN) as plain, differentiable TensorFlow.js ops:
 * one cell step per time step, unrolled over the sequence. Shared by the explainable executor's layer ops and by the
 * registered GRU layer of the model loader, so a model predicts and explains with the same arithmetic.
 *
 * Weight layouts are Keras's (and TensorFlow.js's): `kernel` `[features, k·units]`, `recurrent_kernel`
 * `[units, k·units]`; gates LSTM i, f, c, o; GRU z, r, h. GRU `reset_after` keeps two biases (`[2, 3·units]`, input
 * and recurrent) and applies the reset gate after the recurrent matrix product (the TensorFlow 2 / cuDNN form).
 */
import * as tf from '@tensorflow/tfjs';

/** An activation applied inside a cell (`tanh`, `sigmoid`, ... under the rules in force). */
export type CellActivation = (x: tf.Tensor) => tf.Tensor;

/** The weights of one recurrent cell. */
export interface CellWeights {
  kernel: tf.Tensor2D;
  recurrentKernel: tf.Tensor2D;
  /** `[k·units]`, or `[2, 3·units]` for GRU with `reset_after`; absent without bias. */
  bias?: tf.Tensor;
}

/** Which cell and how it is configured. */
export interface CellSpec {
  kind: 'lstm' | 'gru' | 'simple';
  units: number;
  /** GRU only: reset gate after the recurrent product (two biases). */
  resetAfter?: boolean;
  activation: CellActivation;
  recurrentActivation: CellActivation;
}

/** Options of {@link runRecurrent}. */
export interface RecurrentOptions {
  /** Process the sequence from its last step to its first (Keras `go_backwards`; outputs stay in processing order). */
  goBackwards?: boolean;
  /** Return every step's output `[batch, steps, units]` (default: only the last `[batch, units]`). */
  returnSequences?: boolean;
  /** States to start from (`[h]`, or `[h, c]` for LSTM; default zeros). */
  initialStates?: tf.Tensor2D[];
}

/** The output and the final states (`[h]`, or `[h, c]` for LSTM). */
export interface RecurrentResult {
  output: tf.Tensor;
  states: tf.Tensor[];
}

function splitColumns(x: tf.Tensor2D, parts: number): tf.Tensor2D[] {
  return tf.split(x, parts, 1) as tf.Tensor2D[];
}

/** One LSTM step: returns `[h, c]`. */
function lstmStep(x: tf.Tensor2D, [h, c]: tf.Tensor2D[], w: CellWeights, spec: CellSpec): tf.Tensor2D[] {
  let z = tf.add(tf.matMul(x, w.kernel), tf.matMul(h, w.recurrentKernel));
  if (w.bias !== undefined) z = tf.add(z, w.bias);
  const [zi, zf, zc, zo] = splitColumns(z as tf.Tensor2D, 4);
  const i = spec.recurrentActivation(zi);
  const f = spec.recurrentActivation(zf);
  const o = spec.recurrentActivation(zo);
  const cNext = tf.add(tf.mul(f, c), tf.mul(i, spec.activation(zc))) as tf.Tensor2D;
  return [tf.mul(o, spec.activation(cNext)) as tf.Tensor2D, cNext];
}

/** One GRU step (either reset mode): returns `[h]`. */
function gruStep(x: tf.Tensor2D, [h]: tf.Tensor2D[], w: CellWeights, spec: CellSpec): tf.Tensor2D[] {
  const resetAfter = spec.resetAfter === true;
  const [inputBias, recurrentBias] = resetAfter && w.bias !== undefined ? tf.unstack(w.bias, 0) : [w.bias, undefined];
  let xProj = tf.matMul(x, w.kernel) as tf.Tensor2D;
  if (inputBias !== undefined) xProj = tf.add(xProj, inputBias);
  const [xz, xr, xh] = splitColumns(xProj, 3);
  let z: tf.Tensor;
  let candidateInner: tf.Tensor;
  if (resetAfter) {
    let hProj = tf.matMul(h, w.recurrentKernel) as tf.Tensor2D;
    if (recurrentBias !== undefined) hProj = tf.add(hProj, recurrentBias);
    const [hz, hr, hh] = splitColumns(hProj, 3);
    z = spec.recurrentActivation(tf.add(xz, hz));
    candidateInner = tf.mul(spec.recurrentActivation(tf.add(xr, hr)), hh);
  } else {
    const [rkGates, rkCandidate] = tf.split(w.recurrentKernel, [2 * spec.units, spec.units], 1) as tf.Tensor2D[];
    const [hz, hr] = splitColumns(tf.matMul(h, rkGates), 2);
    z = spec.recurrentActivation(tf.add(xz, hz));
    const r = spec.recurrentActivation(tf.add(xr, hr));
    candidateInner = tf.matMul(tf.mul(r, h) as tf.Tensor2D, rkCandidate);
  }
  const candidate = spec.activation(tf.add(xh, candidateInner));
  return [tf.add(tf.mul(z, h), tf.mul(tf.sub(1, z), candidate)) as tf.Tensor2D];
}

/** One SimpleRNN step: returns `[h]`. */
function simpleStep(x: tf.Tensor2D, [h]: tf.Tensor2D[], w: CellWeights, spec: CellSpec): tf.Tensor2D[] {
  let z = tf.add(tf.matMul(x, w.kernel), tf.matMul(h, w.recurrentKernel));
  if (w.bias !== undefined) z = tf.add(z, w.bias);
  return [spec.activation(z) as tf.Tensor2D];
}

const STEPS = { lstm: lstmStep, gru: gruStep, simple: simpleStep } as const;

/**
 * Runs a recurrent cell over `x` (`[batch, steps, features]`), from zero states unless `initialStates` are given.
 * Synchronous and differentiable; tensors are owned by the caller (or the enclosing tidy).
 */
export function runRecurrent(
  x: tf.Tensor3D,
  weights: CellWeights,
  spec: CellSpec,
  options: RecurrentOptions = {},
): RecurrentResult {
  // Reverse as a tensor op: reversing the array of unstacked steps gives wrong gradients in TensorFlow.js 4.22.
  const steps = tf.unstack(options.goBackwards === true ? tf.reverse(x, 1) : x, 1) as tf.Tensor2D[];
  const zeros = (): tf.Tensor2D => tf.zeros([x.shape[0], spec.units]);
  let states: tf.Tensor2D[] = options.initialStates ?? (spec.kind === 'lstm' ? [zeros(), zeros()] : [zeros()]);
  const outputs: tf.Tensor2D[] = [];
  const step = STEPS[spec.kind];
  for (const xt of steps) {
    states = step(xt, states, weights, spec);
    if (options.returnSequences === true) outputs.push(states[0]);
  }
  const output = options.returnSequences === true ? tf.stack(outputs, 1) : states[0];
  return { output, states };
}

/** Keras / TensorFlow.js activations by name (snake or camel case), without gradient rules. */
export function namedActivation(name: unknown): CellActivation {
  switch (name) {
    case 'tanh':
      return tf.tanh;
    case 'sigmoid':
      return tf.sigmoid;
    case 'relu':
      return tf.relu;
    case 'linear':
    case undefined:
    case null:
      return (x) => x;
    case 'hard_sigmoid':
    case 'hardSigmoid':
      return (x) => tf.clipByValue(tf.add(tf.mul(x, 0.2), 0.5), 0, 1);
    default:
      throw new Error(`Activation '${String(name)}' is not supported in recurrent layers.`);
  }
}
