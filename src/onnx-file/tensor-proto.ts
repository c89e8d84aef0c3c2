/** Decoding one ONNX `TensorProto` (raw_data or the typed repeated fields) into a {@link HostTensor}. */
import { WingbeatsError } from '../util/errors.js';
import { HostDType, HostTensor, elementCount } from './onnx-file-graph.js';

/** A `TensorProto` as protobufjs decodes it (see `decodeModelProto`). */
export interface TensorProtoObject {
  dims?: number[];
  data_type?: number;
  name?: string;
  raw_data?: Uint8Array;
  float_data?: number[];
  int32_data?: number[];
  int64_data?: number[];
  double_data?: number[];
  uint64_data?: number[];
  data_location?: number;
}

/** `TensorProto.DataType` codes the importer reads: bytes per element, how to read one, and its kind. */
const DATA_TYPES: ReadonlyMap<number, { name: string; bytes: number; dtype: HostDType }> = new Map([
  [1, { name: 'float', bytes: 4, dtype: 'float' }],
  [2, { name: 'uint8', bytes: 1, dtype: 'int' }],
  [3, { name: 'int8', bytes: 1, dtype: 'int' }],
  [4, { name: 'uint16', bytes: 2, dtype: 'int' }],
  [5, { name: 'int16', bytes: 2, dtype: 'int' }],
  [6, { name: 'int32', bytes: 4, dtype: 'int' }],
  [7, { name: 'int64', bytes: 8, dtype: 'int' }],
  [9, { name: 'bool', bytes: 1, dtype: 'bool' }],
  [10, { name: 'float16', bytes: 2, dtype: 'float' }],
  [11, { name: 'double', bytes: 8, dtype: 'float' }],
  [12, { name: 'uint32', bytes: 4, dtype: 'int' }],
  [13, { name: 'uint64', bytes: 8, dtype: 'int' }],
]);

/** Whether `code` is a float element type (float, float16, double). */
export function isFloatType(code: number): boolean {
  return DATA_TYPES.get(code)?.dtype === 'float';
}

/** The host kind of an ONNX element type, or undefined for types the importer does not compute with (strings …). */
export function hostDType(code: number): HostDType | undefined {
  return DATA_TYPES.get(code)?.dtype;
}

function float16(bits: number): number {
  const sign = bits & 0x8000 ? -1 : 1;
  const exponent = (bits >> 10) & 0x1f;
  const fraction = bits & 0x3ff;
  if (exponent === 0) return sign * 2 ** -14 * (fraction / 1024);
  if (exponent === 31) return fraction === 0 ? sign * Infinity : NaN;
  return sign * 2 ** (exponent - 15) * (1 + fraction / 1024);
}

function readRaw(raw: Uint8Array, code: number, count: number): Float32Array | Float64Array {
  const view = new DataView(raw.buffer, raw.byteOffset, raw.byteLength);
  const out = code === 1 || code === 10 ? new Float32Array(count) : new Float64Array(count);
  for (let i = 0; i < count; i++) {
    switch (code) {
      case 1:
        out[i] = view.getFloat32(i * 4, true);
        break;
      case 2:
      case 9:
        out[i] = view.getUint8(i);
        break;
      case 3:
        out[i] = view.getInt8(i);
        break;
      case 4:
        out[i] = view.getUint16(i * 2, true);
        break;
      case 5:
        out[i] = view.getInt16(i * 2, true);
        break;
      case 6:
        out[i] = view.getInt32(i * 4, true);
        break;
      case 7:
        out[i] = Number(view.getBigInt64(i * 8, true));
        break;
      case 10:
        out[i] = float16(view.getUint16(i * 2, true));
        break;
      case 11:
        out[i] = view.getFloat64(i * 8, true);
        break;
      case 12:
        out[i] = view.getUint32(i * 4, true);
        break;
      default:
        out[i] = Number(view.getBigUint64(i * 8, true));
    }
  }
  return out;
}

/** The typed repeated field that holds a tensor of element type `code` when it has no raw_data. */
function typedField(tensor: TensorProtoObject, code: number): number[] {
  switch (code) {
    case 1:
      return tensor.float_data ?? [];
    case 7:
      return tensor.int64_data ?? [];
    case 11:
      return tensor.double_data ?? [];
    case 12:
    case 13:
      return tensor.uint64_data ?? [];
    case 10:
      return (tensor.int32_data ?? []).map(float16);
    default:
      return tensor.int32_data ?? [];
  }
}

/**
 * The values of a `TensorProto` as a host tensor.
 * @throws WingbeatsError `UNSUPPORTED_MODEL` for external data or an element type the importer lacks (strings,
 *   complex, bfloat16), `INVALID_FILE` when the stored values do not match the dimensions.
 */
export function decodeTensorProto(tensor: TensorProtoObject, what: string, fileName: string): HostTensor {
  const name = tensor.name ?? '';
  if (tensor.data_location === 1) {
    throw new WingbeatsError(
      'UNSUPPORTED_MODEL',
      `'${fileName}' keeps ${what} '${name}' in an external data file; only self-contained ONNX files are read: save the model with its weights inside (onnx.save_model(model, path, save_as_external_data=False)).`,
    );
  }
  const code = tensor.data_type ?? 0;
  const type = DATA_TYPES.get(code);
  if (type === undefined) {
    throw new WingbeatsError(
      'UNSUPPORTED_MODEL',
      `'${fileName}': ${what} '${name}' has ONNX element type ${code}, which wingbeats-xai does not compute with (float, double, float16, integers and bool are read).`,
    );
  }
  const dims = (tensor.dims ?? []).map(Number);
  if (dims.some((d) => !Number.isSafeInteger(d) || d < 0))
    throw new WingbeatsError(
      'INVALID_FILE',
      `'${fileName}': ${what} '${name}' has invalid dimensions [${dims.join(',')}].`,
    );
  const count = elementCount(dims);
  let data: Float32Array | Float64Array;
  if (tensor.raw_data !== undefined && tensor.raw_data.length > 0) {
    if (tensor.raw_data.length !== count * type.bytes) {
      throw new WingbeatsError(
        'INVALID_FILE',
        `'${fileName}': ${what} '${name}' holds ${tensor.raw_data.length} bytes, but [${dims.join(',')}] ${type.name} needs ${count * type.bytes}; the file is damaged.`,
      );
    }
    data = readRaw(tensor.raw_data, code, count);
  } else {
    const values = typedField(tensor, code);
    if (values.length !== count) {
      throw new WingbeatsError(
        'INVALID_FILE',
        `'${fileName}': ${what} '${name}' holds ${values.length} values, but its dimensions [${dims.join(',')}] need ${count}; the file is damaged.`,
      );
    }
    data = code === 1 || code === 10 ? Float32Array.from(values) : Float64Array.from(values.map(Number));
  }
  return { kind: 'host', dtype: type.dtype, dims, data };
}
