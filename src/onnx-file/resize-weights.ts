/**
 * ONNX `Resize` along one axis as a matrix: output cell o is Σᵢ M[o, i] · x[i]. Nearest and linear interpolation are
 * linear maps of the input, so one constant matrix per resized axis computes them exactly, on TensorFlow.js (the
 * interpreter) and on the native engine (a `MatMul`, differentiated by the gradient registry's). The coordinate
 * transformations and rounding rules are those of the ONNX operator specification (torch.onnx writes `asymmetric` +
 * `floor` for nearest, `half_pixel` or `align_corners` for linear).
 */
import type { OnnxFileNode } from './onnx-file-graph.js';

/** The coordinate transformations this module computes. */
export const RESIZE_COORDINATE_MODES = [
  'half_pixel',
  'pytorch_half_pixel',
  'align_corners',
  'asymmetric',
  'tf_half_pixel_for_nn',
] as const;
/** The rounding rules of nearest interpolation. */
export const RESIZE_NEAREST_MODES = ['round_prefer_floor', 'round_prefer_ceil', 'floor', 'ceil'] as const;

/** How one axis is resized. */
export interface ResizeAxis {
  /** Input and output lengths. */
  inLength: number;
  outLength: number;
  /**
   * The scale of the axis: the `scales` value when the node gives scales, else `outLength / inLength` (then
   * `fromSizes` is set, and the coordinates are computed from the two lengths exactly).
   */
  scale: number;
  fromSizes: boolean;
  mode: 'nearest' | 'linear';
  coordinates: (typeof RESIZE_COORDINATE_MODES)[number];
  nearest: (typeof RESIZE_NEAREST_MODES)[number];
}

/** The input coordinate that output cell `o` samples. */
function sourceCoordinate(axis: ResizeAxis, o: number): number {
  const { inLength: n, outLength: m, scale } = axis;
  // o / scale, exact for lengths (an integer ratio stays an integer)
  const divided = (v: number): number => (axis.fromSizes ? (v * n) / m : v / scale);
  switch (axis.coordinates) {
    case 'half_pixel':
      return divided(o + 0.5) - 0.5;
    case 'pytorch_half_pixel':
      return m > 1 ? divided(o + 0.5) - 0.5 : 0;
    case 'align_corners':
      return m === 1 ? 0 : (o * (n - 1)) / (m - 1);
    case 'asymmetric':
      return divided(o);
    case 'tf_half_pixel_for_nn':
      return divided(o + 0.5);
  }
}

/** The input cell nearest to coordinate `x` by the rounding rule `mode`, within the axis. */
function nearestCell(x: number, mode: ResizeAxis['nearest'], n: number): number {
  let cell: number;
  if (mode === 'floor') cell = Math.floor(x);
  else if (mode === 'ceil') cell = Math.ceil(x);
  else if (x - Math.floor(x) === 0.5) cell = mode === 'round_prefer_floor' ? Math.floor(x) : Math.ceil(x);
  else cell = Math.round(x);
  return Math.max(0, Math.min(n - 1, cell));
}

/** The interpolation matrix of `axis`, transposed: `[inLength, outLength]` row-major, so that y = x · Mᵀ. */
export function resizeMatrixTransposed(axis: ResizeAxis): Float32Array {
  const { inLength: n, outLength: m } = axis;
  const weights = new Float32Array(n * m);
  for (let o = 0; o < m; o++) {
    const x = sourceCoordinate(axis, o);
    if (axis.mode === 'nearest') {
      weights[nearestCell(x, axis.nearest, n) * m + o] = 1;
      continue;
    }
    const clamped = Math.max(0, Math.min(n - 1, x));
    const low = Math.floor(clamped);
    const high = Math.min(low + 1, n - 1);
    const t = clamped - low;
    weights[low * m + o] += 1 - t;
    weights[high * m + o] += t;
  }
  return weights;
}

/** The input positions of `scales` and `sizes` of a Resize node at opset `opset` (opset 10: `X, scales`). */
export function resizeInputIndices(opset: number): { scales: number; sizes: number | undefined } {
  return opset >= 11 ? { scales: 2, sizes: 3 } : { scales: 1, sizes: undefined };
}

/** One resized axis of a Resize node (axes whose length and scale stay 1 are left out). */
export interface PlannedAxis extends ResizeAxis {
  /** The axis in the input (batch axis 0). */
  axis: number;
}

const text = (node: OnnxFileNode, key: string, fallback: string): string => {
  const value = node.attributes.get(key);
  return typeof value === 'string' ? value : fallback;
};

/**
 * The axes a Resize node resizes, from its attributes, the input's shape (batch included) and the `scales` or
 * `sizes` it reads (undefined or empty when omitted); or, when the node is a form this module does not compute,
 * the reason in a few words (naming the attribute) for a one-line refusal.
 */
export function planResize(
  node: OnnxFileNode,
  shape: readonly number[],
  scales: readonly number[] | undefined,
  sizes: readonly number[] | undefined,
): PlannedAxis[] | string {
  const mode = text(node, 'mode', 'nearest');
  if (mode !== 'nearest' && mode !== 'linear')
    return `has mode '${mode}'; nearest and linear (1-D and 2-D) are supported`;
  const coordinates = text(node, 'coordinate_transformation_mode', 'half_pixel');
  if (!(RESIZE_COORDINATE_MODES as readonly string[]).includes(coordinates))
    return `has coordinate_transformation_mode '${coordinates}'; supported: ${RESIZE_COORDINATE_MODES.join(', ')}`;
  const nearest = text(node, 'nearest_mode', 'round_prefer_floor');
  if (mode === 'nearest' && !(RESIZE_NEAREST_MODES as readonly string[]).includes(nearest))
    return `has nearest_mode '${nearest}'; supported: ${RESIZE_NEAREST_MODES.join(', ')}`;
  const antialias = node.attributes.get('antialias');
  if (typeof antialias === 'number' && antialias !== 0) return 'has antialias 1 (only antialias 0 is supported)';
  const rank = shape.length;
  if (rank !== 3 && rank !== 4)
    return `has an input of rank ${rank}; 1-D and 2-D feature maps ([N, C, L], [N, C, H, W]) are supported`;
  const given = node.attributes.get('axes');
  const axes = Array.isArray(given)
    ? (given as number[]).map((a) => (a < 0 ? a + rank : a))
    : Array.from({ length: rank }, (_, i) => i);
  const useSizes = sizes !== undefined && sizes.length > 0;
  const values = useSizes ? sizes : scales;
  if (values === undefined || values.length === 0) return 'has neither scales nor sizes';
  if (values.length !== axes.length) return `has ${values.length} scales or sizes for ${axes.length} axes`;
  if (useSizes && text(node, 'keep_aspect_ratio_policy', 'stretch') !== 'stretch')
    return `has keep_aspect_ratio_policy '${text(node, 'keep_aspect_ratio_policy', '')}' (only stretch is supported)`;
  const planned: PlannedAxis[] = [];
  for (let i = 0; i < axes.length; i++) {
    const axis = axes[i];
    const inLength = shape[axis];
    const outLength = useSizes ? values[i] : Math.floor(inLength * values[i]);
    const scale = useSizes ? outLength / inLength : values[i];
    if (!(outLength >= 1) || !Number.isInteger(outLength)) return `resizes axis ${axis} to ${outLength} cells`;
    if (outLength === inLength && scale === 1) continue;
    if (axis < 2) return `resizes axis ${axis} (the batch or channel axis); only spatial axes are supported`;
    planned.push({
      axis,
      inLength,
      outLength,
      scale,
      fromSizes: useSizes,
      mode,
      coordinates: coordinates as ResizeAxis['coordinates'],
      nearest: nearest as ResizeAxis['nearest'],
    });
  }
  return planned;
}

/**
 * The axes an `Upsample` node (opsets 7–9, what torch.onnx writes at opset 9) resizes: `Resize` with asymmetric
 * coordinates and, for nearest, the input cell truncated (ONNX Runtime's rule; scales are at least 1).
 */
export function planUpsample(
  node: OnnxFileNode,
  shape: readonly number[],
  scales: readonly number[] | undefined,
): PlannedAxis[] | string {
  const mode = text(node, 'mode', 'nearest');
  if (scales !== undefined && scales.some((s) => s < 1)) return `has scales [${scales.join(', ')}] below 1`;
  const attributes = new Map(node.attributes);
  attributes.set('mode', mode === 'bilinear' ? 'linear' : mode);
  attributes.set('coordinate_transformation_mode', 'asymmetric');
  attributes.set('nearest_mode', 'floor');
  return planResize({ ...node, attributes }, shape, scales, undefined);
}

/** Whether an `Upsample` node at opset `opset` reads its scales from input 1 (opset 9) rather than its attribute. */
export function upsampleScalesFromInput(opset: number): boolean {
  return opset >= 9;
}
