/**
 * Reading an ONNX file (a serialized `ModelProto`) into an {@link OnnxFileGraph}, bounded: a size cap, a node cap and
 * a cap on stored values; every refusal is one line naming the file and what to do.
 */
import { WingbeatsError } from '../util/errors.js';
import { decodeModelProto } from './onnx-schema.js';
import {
  AttributeValue,
  DeclaredShape,
  HostTensor,
  OnnxFileGraph,
  OnnxFileNode,
  elementCount,
} from './onnx-file-graph.js';
import { TensorProtoObject, decodeTensorProto, isFloatType } from './tensor-proto.js';

/** Caps of what an ONNX file may hold. */
export const ONNX_FILE_LIMITS = {
  /** Bytes of the file. */
  bytes: 1024 * 1024 * 1024,
  /** Nodes of the graph. */
  nodes: 100_000,
  /** Values of all initializers and constant attributes together. */
  values: 256 * 1024 * 1024,
} as const;

/** The oldest default-domain opset read (attribute forms of older opsets are not covered). */
export const MIN_ONNX_OPSET = 7;

interface AttributeObject {
  name?: string;
  type?: number;
  f?: number;
  i?: number;
  s?: Uint8Array;
  t?: TensorProtoObject;
  floats?: number[];
  ints?: number[];
  strings?: Uint8Array[];
  tensors?: TensorProtoObject[];
  g?: unknown;
}

interface ValueInfoObject {
  name?: string;
  type?: { tensor_type?: { elem_type?: number; shape?: { dim?: { dim_value?: number; dim_param?: string }[] } } };
}

interface NodeObject {
  input?: string[];
  output?: string[];
  name?: string;
  op_type?: string;
  domain?: string;
  attribute?: AttributeObject[];
}

const text = (bytes: Uint8Array | undefined): string => new TextDecoder().decode(bytes ?? new Uint8Array());

/** Whether `bytes` may be an ONNX file: a protobuf message starting with `ir_version` (field 1, varint). */
export function looksLikeOnnx(bytes: Uint8Array): boolean {
  return bytes.length > 2 && bytes[0] === 0x08 && bytes[1] > 0 && bytes[1] < 0x20;
}

function decodeAttribute(
  attribute: AttributeObject,
  node: string,
  fileName: string,
  count: (tensor: HostTensor) => HostTensor,
): AttributeValue {
  const what = `attribute '${attribute.name ?? ''}' of node '${node}'`;
  switch (attribute.type) {
    case 1:
      return attribute.f ?? 0;
    case 2:
      return Number(attribute.i ?? 0);
    case 3:
      return text(attribute.s);
    case 4:
      return count(decodeTensorProto(attribute.t ?? {}, what, fileName));
    case 6:
      return attribute.floats ?? [];
    case 7:
      return (attribute.ints ?? []).map(Number);
    case 8:
      return (attribute.strings ?? []).map(text);
    case 9:
      return (attribute.tensors ?? []).map((t) => count(decodeTensorProto(t, what, fileName)));
    default:
      throw new WingbeatsError(
        'UNSUPPORTED_MODEL',
        `'${fileName}': node '${node}' has ${what.split(' of ')[0]} of ONNX attribute type ${attribute.type ?? 0} (a subgraph or sparse tensor), which wingbeats-xai cannot run; export the model without control flow.`,
      );
  }
}

function declaredShape(info: ValueInfoObject): DeclaredShape | null {
  const dims = info.type?.tensor_type?.shape?.dim;
  if (dims === undefined) return null;
  return dims.map((d) => (d.dim_value !== undefined && Number(d.dim_value) > 0 ? Number(d.dim_value) : null));
}

function invalid(fileName: string, why: string, cause?: unknown): WingbeatsError {
  return new WingbeatsError('INVALID_FILE', `'${fileName}' is not a readable ONNX model: ${why}.`, { cause });
}

/**
 * Decodes and checks an ONNX file: one default-domain opset ≥ {@link MIN_ONNX_OPSET}, one float input besides the
 * initializers, one output, self-contained weights, within {@link ONNX_FILE_LIMITS}.
 * @throws WingbeatsError `INVALID_FILE` (not protobuf, truncated, no graph), `UNSUPPORTED_MODEL` (several inputs or
 *   outputs, a non-float input, external data, an old opset), `LIMIT_EXCEEDED` (a cap).
 */
export function decodeOnnxFile(bytes: Uint8Array, fileName: string): OnnxFileGraph {
  if (bytes.length > ONNX_FILE_LIMITS.bytes) {
    throw new WingbeatsError(
      'LIMIT_EXCEEDED',
      `'${fileName}' has ${bytes.length} bytes; ONNX files of at most ${ONNX_FILE_LIMITS.bytes} bytes are read.`,
    );
  }
  let model: Record<string, unknown>;
  try {
    model = decodeModelProto(bytes);
  } catch (error) {
    throw invalid(fileName, `${(error as Error).message} (the file is truncated or not ONNX)`, error);
  }
  const graph = model.graph as
    | {
        node?: NodeObject[];
        initializer?: TensorProtoObject[];
        input?: ValueInfoObject[];
        output?: ValueInfoObject[];
        sparse_initializer?: unknown[];
      }
    | undefined;
  const irVersion = Number(model.ir_version ?? 0);
  if (graph === undefined || irVersion < 1 || (graph.node ?? []).length === 0)
    throw invalid(fileName, 'it has no ir_version or no graph nodes (the file is truncated or not ONNX)');
  const opsets = (model.opset_import as { domain?: string; version?: number }[] | undefined) ?? [];
  const opset = Number(opsets.find((o) => (o.domain ?? '') === '' || o.domain === 'ai.onnx')?.version ?? 0);
  if (opset < MIN_ONNX_OPSET) {
    throw new WingbeatsError(
      'UNSUPPORTED_MODEL',
      `'${fileName}' uses ONNX opset ${opset}; opsets ${MIN_ONNX_OPSET} and later are read: export again with opset_version=13 or later.`,
    );
  }
  const nodeObjects = graph.node ?? [];
  if (nodeObjects.length > ONNX_FILE_LIMITS.nodes) {
    throw new WingbeatsError(
      'LIMIT_EXCEEDED',
      `'${fileName}' has ${nodeObjects.length} graph nodes; at most ${ONNX_FILE_LIMITS.nodes} are read.`,
    );
  }
  if ((graph.sparse_initializer ?? []).length > 0) {
    throw new WingbeatsError(
      'UNSUPPORTED_MODEL',
      `'${fileName}' stores sparse initializers, which wingbeats-xai does not read; export the model with dense weights.`,
    );
  }
  let values = 0;
  const count = (tensor: HostTensor): HostTensor => {
    values += elementCount(tensor.dims);
    if (values > ONNX_FILE_LIMITS.values) {
      throw new WingbeatsError(
        'LIMIT_EXCEEDED',
        `'${fileName}' stores more than ${ONNX_FILE_LIMITS.values} weight values; larger models are not read.`,
      );
    }
    return tensor;
  };
  const initializers = new Map<string, HostTensor>();
  for (const tensor of graph.initializer ?? [])
    initializers.set(tensor.name ?? '', count(decodeTensorProto(tensor, 'initializer', fileName)));
  const inputs = (graph.input ?? []).filter((i) => !initializers.has(i.name ?? ''));
  if (inputs.length !== 1) {
    throw new WingbeatsError(
      'UNSUPPORTED_MODEL',
      `'${fileName}' has ${inputs.length} inputs (${inputs.map((i) => `'${i.name ?? ''}'`).join(', ')}); ONNX files with exactly one input are read.`,
    );
  }
  const elemType = inputs[0].type?.tensor_type?.elem_type ?? 0;
  if (!isFloatType(elemType)) {
    throw new WingbeatsError(
      'UNSUPPORTED_MODEL',
      `'${fileName}': input '${inputs[0].name ?? ''}' has ONNX element type ${elemType}; only float inputs can be explained (gradients need real-valued inputs).`,
    );
  }
  const inputShape = declaredShape(inputs[0]);
  if (inputShape === null || inputShape.length < 2) {
    throw new WingbeatsError(
      'UNSUPPORTED_MODEL',
      `'${fileName}': input '${inputs[0].name ?? ''}' declares ${inputShape === null ? 'no shape' : `rank ${inputShape.length}`}; an input [batch, ...] of rank 2 or more is needed.`,
    );
  }
  const outputs = graph.output ?? [];
  if (outputs.length !== 1) {
    throw new WingbeatsError(
      'UNSUPPORTED_MODEL',
      `'${fileName}' has ${outputs.length} outputs (${outputs.map((o) => `'${o.name ?? ''}'`).join(', ')}); ONNX classifiers with exactly one output [batch, classes] are read.`,
    );
  }
  const nodes: OnnxFileNode[] = nodeObjects.map((n, index) => {
    const opType = n.op_type ?? '';
    const name = n.name !== undefined && n.name !== '' ? n.name : `${opType} #${index}`;
    const attributes = new Map<string, AttributeValue>();
    for (const a of n.attribute ?? []) attributes.set(a.name ?? '', decodeAttribute(a, name, fileName, count));
    return { name, opType, domain: n.domain ?? '', inputs: n.input ?? [], outputs: n.output ?? [], attributes };
  });
  const metadata = new Map<string, string>();
  for (const entry of (model.metadata_props as { key?: string; value?: string }[] | undefined) ?? [])
    metadata.set(entry.key ?? '', entry.value ?? '');
  return {
    fileName,
    opset,
    producer: `${String(model.producer_name ?? '')} ${String(model.producer_version ?? '')}`.trim(),
    input: { name: inputs[0].name ?? '', shape: inputShape },
    output: { name: outputs[0].name ?? '', shape: declaredShape(outputs[0]) },
    initializers,
    nodes,
    metadata,
  };
}
