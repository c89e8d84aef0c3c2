/**
 * What one ONNX op's TensorFlow.js implementation sees of its node: its inputs (TensorFlow.js tensors, or host tensors
 * for constants and shape arithmetic), its attributes with ONNX defaults, and the opset. Implementations live in
 * `ops-*.ts`, one function per op type, collected in `import-ops.ts`.
 */
import * as tf from '@tensorflow/tfjs';
import { WingbeatsError } from '../util/errors.js';
import type { AttributeValue, HostTensor, OnnxFileNode } from './onnx-file-graph.js';

/** A value of the running graph: a TensorFlow.js tensor, or a host tensor (constants, shapes). */
export type Value = tf.Tensor | HostTensor;

/** Whether `value` is a host tensor. */
export function isHost(value: Value): value is HostTensor {
  return (value as HostTensor).kind === 'host';
}

const INT32_MAX = 2 ** 31 - 1;

/** A host tensor as a TensorFlow.js tensor (float32, int32 clamped to its range, or bool); owned by the caller. */
export function hostToTensor(host: HostTensor): tf.Tensor {
  if (host.dtype === 'float') return tf.tensor(host.data, [...host.dims], 'float32');
  if (host.dtype === 'bool')
    return tf.tensor(
      Array.from(host.data, (v) => v !== 0),
      [...host.dims],
      'bool',
    );
  const clamped = Int32Array.from(host.data, (v) => Math.max(-INT32_MAX - 1, Math.min(INT32_MAX, v)));
  return tf.tensor(clamped, [...host.dims], 'int32');
}

/** A TensorFlow.js tensor's values on the host. */
export function tensorToHost(tensor: tf.Tensor): HostTensor {
  const dtype = tensor.dtype === 'bool' ? 'bool' : tensor.dtype === 'int32' ? 'int' : 'float';
  const values = tensor.dataSync();
  return {
    kind: 'host',
    dtype,
    dims: tensor.shape,
    data: dtype === 'float' ? Float32Array.from(values as Float32Array) : Float64Array.from(values as Int32Array),
  };
}

/** A host tensor of integers. */
export function hostInts(values: readonly number[], dims: readonly number[] = [values.length]): HostTensor {
  return { kind: 'host', dtype: 'int', dims, data: Float64Array.from(values) };
}

/** The context of one node's run. */
export class OpContext {
  constructor(
    readonly node: OnnxFileNode,
    readonly opset: number,
    private readonly values: readonly (Value | undefined)[],
  ) {}

  /** Number of inputs given (omitted trailing ones not counted). */
  get inputCount(): number {
    return this.values.length;
  }

  /** Input `i`, or undefined when omitted. */
  input(i: number): Value | undefined {
    return this.values[i];
  }

  /** Input `i` as a TensorFlow.js tensor (host values uploaded). */
  tensor(i: number): tf.Tensor {
    const value = this.values[i];
    if (value === undefined) throw this.refuse(`needs input ${i}, which is missing`);
    return isHost(value) ? hostToTensor(value) : value;
  }

  /** Input `i` as a float32 tensor. */
  float(i: number): tf.Tensor {
    const t = this.tensor(i);
    return t.dtype === 'float32' ? t : tf.cast(t, 'float32');
  }

  /** Input `i`'s values as numbers (read back from the backend if it was computed there), or undefined if omitted. */
  numbers(i: number): number[] | undefined {
    const value = this.values[i];
    if (value === undefined) return undefined;
    return Array.from(isHost(value) ? value.data : value.dataSync());
  }

  /** Input `i`'s values, or attribute `name` (older opsets), or `fallback`. */
  inputOrAttribute(i: number, name: string, fallback?: number[]): number[] | undefined {
    return this.numbers(i) ?? this.ints(name, fallback);
  }

  /** An attribute, or `fallback`. */
  attribute(name: string): AttributeValue | undefined {
    return this.node.attributes.get(name);
  }

  /** A numeric attribute, or `fallback`. */
  number(name: string, fallback: number): number {
    const value = this.node.attributes.get(name);
    return typeof value === 'number' ? value : fallback;
  }

  /** A list-of-numbers attribute, or `fallback`. */
  ints(name: string, fallback?: number[]): number[] | undefined {
    const value = this.node.attributes.get(name);
    return Array.isArray(value) && value.every((v) => typeof v === 'number') ? (value as number[]) : fallback;
  }

  /** A string attribute, or `fallback`. */
  string(name: string, fallback: string): string {
    const value = this.node.attributes.get(name);
    return typeof value === 'string' ? value : fallback;
  }

  /** The one-line refusal of this node: op, node, why, and what to do. */
  refuse(why: string): WingbeatsError {
    return new WingbeatsError(
      'UNSUPPORTED_MODEL',
      `ONNX node '${this.node.name}' (op '${this.node.opType}') ${why}; wingbeats-xai cannot run it: export the model without this form of the op.`,
    );
  }
}

/** The TensorFlow.js implementation of one ONNX op: its output values in output order (or one value). */
export type OpImplementation = (ctx: OpContext) => Value | Value[];

/** An axis given in ONNX's convention (negative counts from the end) as a non-negative one. */
export function normaliseAxis(axis: number, rank: number): number {
  return axis < 0 ? axis + rank : axis;
}
