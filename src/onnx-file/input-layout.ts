/**
 * The layout of an ONNX file's input. torch exports feature maps channels first (`[N, C, L]`, `[N, C, H, W]`); every
 * model of the project takes them channels last (`[batch, ...spatial, channels]`: heatmaps reduce over the last axis,
 * occlusion and pixel flipping move over the others). A graph whose input reaches a convolution or pooling op, through
 * nothing but ops that keep the layout, is channels first: the model then takes its input channels last and moves
 * the channels axis before running the graph. Any other graph (tf2onnx's, which transposes a channels-last input
 * itself; dense models) takes its input as the file declares it.
 */
import type { OnnxFileGraph } from './onnx-file-graph.js';

/** Ops that read their input channels first (and write their output so). */
export const CHANNELS_FIRST_OPS = new Set([
  'Conv',
  'ConvTranspose',
  'MaxPool',
  'AveragePool',
  'GlobalAveragePool',
  'GlobalMaxPool',
  'LpPool',
  'InstanceNormalization',
  'LRN',
]);

/** Ops that keep the layout of their first input (element-wise, per-channel normalisation, padding, resizing). */
export const LAYOUT_KEEPING_OPS = new Set([
  'BatchNormalization',
  'Identity',
  'Dropout',
  'Cast',
  'Relu',
  'LeakyRelu',
  'PRelu',
  'Elu',
  'Selu',
  'Sigmoid',
  'Tanh',
  'Clip',
  'Abs',
  'Neg',
  'Sqrt',
  'Exp',
  'Log',
  'Add',
  'Sub',
  'Mul',
  'Div',
  'Pow',
  'Pad',
  'Resize',
  'Upsample',
]);

/**
 * Whether the graph's input is channels first: rank 3 or more, and every path from it meets a channels-first op
 * before any op that changes or ignores the layout.
 */
export function inputIsChannelsFirst(graph: OnnxFileGraph): boolean {
  if (graph.input.shape.length < 3) return false;
  const consumers = new Map<string, typeof graph.nodes>();
  for (const node of graph.nodes)
    for (const input of node.inputs) consumers.set(input, [...(consumers.get(input) ?? []), node]);
  const seen = new Set<string>();
  const frontier = [graph.input.name];
  let found = false;
  while (frontier.length > 0) {
    const value = frontier.pop() as string;
    if (seen.has(value)) continue;
    seen.add(value);
    for (const node of consumers.get(value) ?? []) {
      if (CHANNELS_FIRST_OPS.has(node.opType) && node.inputs[0] === value) found = true;
      else if (LAYOUT_KEEPING_OPS.has(node.opType)) frontier.push(node.outputs[0]);
      else if (node.opType === 'Shape' || node.opType === 'Size')
        continue; // reads the shape only
      else return false;
    }
  }
  return found;
}
