/**
 * The registry of ONNX ops the importer runs on TensorFlow.js: one implementation per op type of the default domain,
 * so every method differentiates an imported graph through TensorFlow.js's own gradients.
 */
import { ELEMENTWISE_OPS } from './ops-elementwise.js';
import { NEURAL_OPS } from './ops-neural.js';
import { STRUCTURAL_OPS } from './ops-structural.js';
import { RECURRENT_OPS } from './ops-recurrent.js';
import { RESIZE_OPS } from './ops-resize.js';
import type { OpImplementation } from './op-context.js';

const implementations = new Map<string, OpImplementation>([
  ...ELEMENTWISE_OPS,
  ...NEURAL_OPS,
  ...STRUCTURAL_OPS,
  ...RECURRENT_OPS,
  ...RESIZE_OPS,
]);

/** The implementation of default-domain op `opType`, or undefined. */
export function importedOp(opType: string): OpImplementation | undefined {
  return implementations.get(opType);
}

/** The op types the importer runs (sorted), for messages and docs. */
export function importedOpTypes(): string[] {
  return [...implementations.keys(), 'Constant'].sort();
}
