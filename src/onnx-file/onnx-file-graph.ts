/**
 * The graph of an ONNX file as the importer keeps it: nodes in file order with decoded attributes, constant tensors
 * on the host (initializers and Constant nodes), the one float input and the one output. Plain data: no
 * TensorFlow.js, no protobuf.
 */

/** Element kinds the importer computes with: floats (every float width), integers (any width), booleans. */
export type HostDType = 'float' | 'int' | 'bool';

/** A tensor held on the host: initializers, Constant nodes and the shape arithmetic torch exports (Shape → Gather → Concat). */
export interface HostTensor {
  readonly kind: 'host';
  readonly dtype: HostDType;
  readonly dims: readonly number[];
  /** Row-major values (int64 values beyond 2^53 lose precision; shapes never come near). */
  readonly data: Float32Array | Float64Array;
}

/** A decoded attribute value (INT/FLOAT as numbers, INTS/FLOATS as arrays, STRING as text, TENSOR as a host tensor). */
export type AttributeValue = number | number[] | string | string[] | HostTensor | HostTensor[];

/** One node of the file's graph. */
export interface OnnxFileNode {
  /** The node's name in the file, or `'<op_type> #<index>'` when it has none. */
  readonly name: string;
  readonly opType: string;
  /** Operator-set domain (`''` for the default ONNX domain). */
  readonly domain: string;
  /** Input value names; `''` marks an omitted optional input. */
  readonly inputs: readonly string[];
  readonly outputs: readonly string[];
  readonly attributes: ReadonlyMap<string, AttributeValue>;
}

/** The declared shape of a graph input or output: a number per fixed axis, null for a named or unknown one. */
export type DeclaredShape = (number | null)[];

/** A decoded ONNX file, checked to be a single-input, single-output float model in one default-domain opset. */
export interface OnnxFileGraph {
  /** File name used in messages. */
  readonly fileName: string;
  /** The default domain's opset version. */
  readonly opset: number;
  readonly producer: string;
  readonly input: { readonly name: string; readonly shape: DeclaredShape };
  readonly output: { readonly name: string; readonly shape: DeclaredShape | null };
  /** Initializers by name. */
  readonly initializers: ReadonlyMap<string, HostTensor>;
  readonly nodes: readonly OnnxFileNode[];
  /** `metadata_props` of the model, key → value. */
  readonly metadata: ReadonlyMap<string, string>;
}

/** Number of elements of a shape. */
export function elementCount(dims: readonly number[]): number {
  let n = 1;
  for (const d of dims) n *= d;
  return n;
}
