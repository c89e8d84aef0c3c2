/**
 * The ONNX protobuf schema subset, as the gradient-graph compiler uses it. It lives in `src/onnx-file/onnx-schema.ts`
 * (beside the ONNX file importer, which `loadModel` reaches without depending on this folder).
 */
export { ATTRIBUTE_TYPE, ONNX_FLOAT, ONNX_INT64, encodeModelProto } from '../onnx-file/onnx-schema.js';
