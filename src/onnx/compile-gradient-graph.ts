/**
 * Compiles lowered steps into one ONNX graph: inputs `x` (channels-last, as the library feeds models) and `mask`
 * (`[batch, classes]`, one-hot targets), outputs `scores` (logits or probabilities) and `gradient` = d(Σ mask·scores)/dx,
 * the backward pass written out as ONNX ops. Internally the graph runs channels-first (ONNX's Conv layout).
 */
import { WingbeatsError } from '../util/errors.js';
import type { ScoreKind } from '../execution/explainable-model.js';
import { OnnxGraph } from './onnx-graph.js';
import type { BatchNormStep, ConvStep, DenseStep, DropoutStep, LoweredStep, MaxPoolStep } from './lower-layers.js';

/** Options of {@link compileGradientGraph}. */
export interface CompileOptions {
  /** `'logits'` (a final softmax is dropped) or `'probabilities'` (a softmax is added after a linear head). */
  scores: ScoreKind;
  /** Add the `mask` input and the `gradient` output (default true); false gives a forward-only graph. */
  gradient?: boolean;
  /**
   * Guided backpropagation (the library's `guidedRelu` rule): through every ReLU only positive upstream gradients pass,
   * dx = dy · [x > 0] · [dy > 0]. Default false.
   */
  guided?: boolean;
  /**
   * Monte-Carlo dropout: every Dropout layer with a rate above 0 takes its 0/1 keep-mask from an input `keep_<k>`
   * (`[batch, ...activation shape]`, channels last; k counts those layers in order, see {@link dropoutInputs}) and
   * computes `x · keep / (1 − rate)` as TensorFlow.js does. Default false: Dropout is the identity.
   */
  dropout?: boolean;
}

/** The keep-mask inputs of a graph compiled with `dropout: true`, in feed order. */
export function dropoutInputs(steps: LoweredStep[]): { name: string; step: DropoutStep }[] {
  return steps
    .filter((s): s is DropoutStep => s.kind === 'dropout' && s.rate > 0)
    .map((step, k) => ({ name: `keep_${k}`, step }));
}

/** A value flowing through the graph with its shape without the batch axis (channels first). */
interface Value {
  name: string;
  shape: number[];
  /** Output of a ReLU whose derivative the next max pool's backward applies. */
  reluOutput?: boolean;
  /** That ReLU is guided: the pool's backward also keeps only positive upstream gradients. */
  guidedOutput?: boolean;
}

type Backward = (gradient: string) => string;

/** Output size and ONNX begin/end pads of one spatial axis under TensorFlow's padding rule. */
function axisGeometry(size: number, kernel: number, stride: number, dilation: number, padding: 'same' | 'valid') {
  const span = (kernel - 1) * dilation + 1;
  const out = padding === 'same' ? Math.ceil(size / stride) : Math.floor((size - span) / stride) + 1;
  const total = padding === 'same' ? Math.max((out - 1) * stride + span - size, 0) : 0;
  return { out, begin: Math.floor(total / 2), end: total - Math.floor(total / 2), span };
}

function geometry(
  shape: number[],
  kernel: number[],
  strides: number[],
  dilations: number[],
  padding: 'same' | 'valid',
) {
  const axes = shape.slice(1).map((size, i) => axisGeometry(size, kernel[i], strides[i], dilations[i], padding));
  if (axes.some((a) => a.out < 1)) throw new WingbeatsError('UNSUPPORTED_MODEL', 'A window is larger than its input.');
  return { axes, pads: [...axes.map((a) => a.begin), ...axes.map((a) => a.end)] };
}

/** Kernel `[k..., in, out]` (TensorFlow.js) → `[out, in, k...]` (ONNX), optionally flipped and with in/out swapped. */
function onnxKernel(step: ConvStep, flipSwap: boolean): { data: Float32Array; dims: number[] } {
  const spatial = step.kernelShape.slice(0, step.rank);
  const [cin, cout] = step.kernelShape.slice(step.rank);
  const taps = spatial.reduce((a, b) => a * b, 1);
  const data = new Float32Array(step.kernel.length);
  for (let t = 0; t < taps; t++) {
    const source = flipSwap ? taps - 1 - t : t; // reversing the flat tap index flips every spatial axis
    for (let i = 0; i < cin; i++)
      for (let o = 0; o < cout; o++) {
        const value = step.kernel[(source * cin + i) * cout + o];
        data[flipSwap ? (i * cout + o) * taps + t : (o * cin + i) * taps + t] = value;
      }
  }
  return { data, dims: flipSwap ? [cin, cout, ...spatial] : [cout, cin, ...spatial] };
}

function conv(g: OnnxGraph, x: Value, step: ConvStep, backward: Backward[]): Value {
  const { axes, pads } = geometry(x.shape, step.kernelShape, step.strides, step.dilations, step.padding);
  const cout = step.kernelShape[step.rank + 1];
  const kernel = onnxKernel(step, false);
  const inputs = [x.name, g.floats(`${step.layer}_kernel`, kernel.data, kernel.dims)];
  if (step.bias !== null) inputs.push(g.floats(`${step.layer}_bias`, step.bias, [cout]));
  const kernelShape = step.kernelShape.slice(0, step.rank);
  const attributes = { kernel_shape: kernelShape, strides: step.strides, dilations: step.dilations, pads };
  const y = g.op('Conv', inputs, attributes);
  const unitStride = step.strides.every((s) => s === 1);
  backward.push((dy) => {
    if (unitStride) {
      // d/dx of a stride-1 convolution: a convolution of dy with the flipped kernel, in/out swapped
      const flipped = onnxKernel(step, true);
      const backPads = [...axes.map((a) => a.span - 1 - a.begin), ...axes.map((a) => a.span - 1 - a.end)];
      const w = g.floats(`${step.layer}_flipped`, flipped.data, flipped.dims);
      return g.op('Conv', [dy, w], { kernel_shape: kernelShape, dilations: step.dilations, pads: backPads });
    }
    const outputPadding = axes.map(
      (a, i) => x.shape[i + 1] - ((a.out - 1) * step.strides[i] + a.span - a.begin - a.end),
    );
    return g.op('ConvTranspose', [dy, inputs[1]], { ...attributes, output_padding: outputPadding });
  });
  return { name: y, shape: [cout, ...axes.map((a) => a.out)] };
}

function batchNorm(g: OnnxGraph, x: Value, step: BatchNormStep, backward: Backward[]): Value {
  const c = step.mean.length;
  const params = [step.gamma, step.beta, step.mean, step.variance].map((v, i) =>
    g.floats(`${step.layer}_${['gamma', 'beta', 'mean', 'variance'][i]}`, v, [c]),
  );
  const y = g.op('BatchNormalization', [x.name, ...params], { epsilon: step.epsilon });
  const scale = step.gamma.map((gamma, i) => gamma / Math.sqrt(step.variance[i] + step.epsilon));
  const broadcast = [c, ...x.shape.slice(1).map(() => 1)];
  backward.push((dy) => g.op('Mul', [dy, g.floats(`${step.layer}_scale`, scale, broadcast)]));
  return { name: y, shape: x.shape };
}

/** dy where `value` > 0, else 0 (the ReLU derivative: 1 above zero, 0 at and below). */
function positiveOnly(g: OnnxGraph, value: string, dy: string): string {
  const zero = g.scalar(0);
  return g.op('Where', [g.op('Greater', [value, zero]), dy, zero]);
}

/**
 * ReLU. Before a max pool (`maskAfterPool`), its derivative is applied by the pool's backward to the pooled gradient:
 * each window's winner p has relu'(x_p) = [pooled output > 0], so masking the smaller tensor is the same product.
 */
function relu(g: OnnxGraph, x: Value, backward: Backward[], maskAfterPool: boolean): Value {
  const y = g.op('Relu', [x.name]);
  backward.push((dy) => (maskAfterPool ? dy : positiveOnly(g, x.name, dy)));
  return { name: y, shape: x.shape, reluOutput: maskAfterPool };
}

/**
 * Guided ReLU: dx = relu(dy) · [x > 0]. Before a max pool whose windows do not overlap (`maskAfterPool`) both factors
 * are applied by the pool's backward to the pooled gradient: the scatter to each window's winner keeps the sign, and
 * the winner's x > 0 exactly when the pooled output is.
 */
function guidedRelu(g: OnnxGraph, x: Value, backward: Backward[], maskAfterPool: boolean): Value {
  const y = g.op('Relu', [x.name]);
  backward.push((dy) => (maskAfterPool ? dy : positiveOnly(g, x.name, g.op('Relu', [dy]))));
  return { name: y, shape: x.shape, reluOutput: maskAfterPool, guidedOutput: maskAfterPool };
}

/** Max pooling; its backward needs the winners' indices, so a forward-only graph (`backward` null) asks for none. */
function maxPool(g: OnnxGraph, x: Value, step: MaxPoolStep, backward: Backward[] | null): Value {
  const ones = step.pool.map(() => 1);
  const { axes, pads } = geometry(x.shape, step.pool, step.strides, ones, step.padding);
  const attributes = { kernel_shape: step.pool, strides: step.strides, pads };
  // Without the indices output onnxruntime uses its much faster pooling kernel.
  const [y, indices] = g.node('MaxPool', [x.name], attributes, backward === null ? 1 : 2);
  backward?.push((pooledDy) => {
    const upstream = x.guidedOutput === true ? g.op('Relu', [pooledDy]) : pooledDy;
    const dy = x.reluOutput === true ? positiveOnly(g, y, upstream) : upstream;
    // Each window's gradient goes to its first maximum (ONNX indices, like TensorFlow's MaxPoolGrad); windows that
    // overlap add up, so they scatter with reduction 'add'.
    const shape = g.op('Shape', [x.name]);
    if (step.strides.every((s, i) => s >= step.pool[i])) return g.op('MaxUnpool', [dy, indices, shape], attributes);
    const flat = g.int64s([-1]);
    const zeros = g.op('Reshape', [g.op('ConstantOfShape', [shape]), flat]);
    const summed = g.op('ScatterElements', [zeros, g.op('Reshape', [indices, flat]), g.op('Reshape', [dy, flat])], {
      axis: 0,
      reduction: 'add',
    });
    return g.op('Reshape', [summed, shape]);
  });
  return { name: y, shape: [x.shape[0], ...axes.map((a) => a.out)] };
}

/**
 * Dropout under a fed keep-mask: y = (x · keep) / (1 − rate), dx = (dy / (1 − rate)) · keep (TensorFlow.js's order;
 * the mask is 0/1, so both products are exact).
 */
function dropout(g: OnnxGraph, x: Value, step: DropoutStep, keepInput: string, backward: Backward[]): Value {
  const rank = step.shape.length;
  const keep = rank > 1 ? g.op('Transpose', [keepInput], { perm: toChannelsFirst(rank) }) : keepInput;
  const scale = g.scalar(1 - step.rate);
  const y = g.op('Div', [g.op('Mul', [x.name, keep]), scale]);
  backward.push((dy) => g.op('Mul', [g.op('Div', [dy, scale]), keep]));
  return { name: y, shape: x.shape };
}

/** Channels-first `[c, ...spatial]` → channels-last `[...spatial, c]` permutation with the batch axis. */
function toChannelsLast(rank: number): number[] {
  return [0, ...Array.from({ length: rank - 1 }, (_, i) => i + 2), 1];
}

function toChannelsFirst(rank: number): number[] {
  return [0, rank, ...Array.from({ length: rank - 1 }, (_, i) => i + 1)];
}

function flatten(g: OnnxGraph, x: Value, backward: Backward[]): Value {
  if (x.shape.length === 1) return x;
  const lastShape = [...x.shape.slice(1), x.shape[0]];
  const y = g.op('Reshape', [g.op('Transpose', [x.name], { perm: toChannelsLast(x.shape.length) }), g.int64s([0, -1])]);
  backward.push((dy) =>
    g.op('Transpose', [g.op('Reshape', [dy, g.int64s([0, ...lastShape])])], {
      perm: toChannelsFirst(x.shape.length),
    }),
  );
  return { name: y, shape: [x.shape.reduce((a, b) => a * b, 1)] };
}

function globalAveragePool(g: OnnxGraph, x: Value, backward: Backward[]): Value {
  if (x.shape.length === 1) throw new WingbeatsError('UNSUPPORTED_MODEL', 'Global pooling of a flat tensor.');
  const c = x.shape[0];
  const y = g.op('Reshape', [g.op('GlobalAveragePool', [x.name]), g.int64s([0, c])]);
  const count = x.shape.slice(1).reduce((a, b) => a * b, 1);
  backward.push((dy) => {
    const spread = g.op('Reshape', [dy, g.int64s([0, c, ...x.shape.slice(1).map(() => 1)])]);
    const mean = g.op('Div', [spread, g.scalar(count)]);
    return g.op('Expand', [mean, g.op('Shape', [x.name])]);
  });
  return { name: y, shape: [c] };
}

function dense(g: OnnxGraph, x: Value, step: DenseStep, backward: Backward[]): Value {
  if (x.shape.length !== 1 || x.shape[0] !== step.inUnits)
    throw new WingbeatsError(
      'UNSUPPORTED_MODEL',
      `Dense layer '${step.layer}' expects ${step.inUnits} flat features but gets shape [${x.shape.join(',')}].`,
    );
  const w = g.floats(`${step.layer}_kernel`, step.kernel, [step.inUnits, step.units]);
  const product = g.op('MatMul', [x.name, w]);
  const y =
    step.bias === null ? product : g.op('Add', [product, g.floats(`${step.layer}_bias`, step.bias, [step.units])]);
  const transposed = new Float32Array(step.kernel.length);
  for (let i = 0; i < step.inUnits; i++)
    for (let o = 0; o < step.units; o++) transposed[o * step.inUnits + i] = step.kernel[i * step.units + o];
  backward.push((dy) =>
    g.op('MatMul', [dy, g.floats(`${step.layer}_kernel_t`, transposed, [step.units, step.inUnits])]),
  );
  return { name: y, shape: [step.units] };
}

function softmax(g: OnnxGraph, x: Value, backward: Backward[]): Value {
  const p = g.op('Softmax', [x.name], { axis: -1 });
  backward.push((dy) => {
    const dot = g.op('ReduceSum', [g.op('Mul', [dy, p]), g.int64s([-1])], { keepdims: 1 });
    return g.op('Mul', [p, g.op('Sub', [dy, dot])]);
  });
  return { name: p, shape: x.shape };
}

function forwardStep(
  g: OnnxGraph,
  x: Value,
  step: LoweredStep,
  next: LoweredStep | undefined,
  backward: Backward[],
  guided: boolean,
  keepInput: string | undefined,
  gradient: boolean,
): Value {
  switch (step.kind) {
    case 'dropout':
      return keepInput === undefined ? x : dropout(g, x, step, keepInput, backward);
    case 'conv':
      return conv(g, x, step, backward);
    case 'batchNorm':
      return batchNorm(g, x, step, backward);
    case 'relu':
      // (guided: only before windows that do not overlap; where they do, relu of each window's share ≠ relu of the sum)
      return guided
        ? guidedRelu(g, x, backward, next?.kind === 'maxPool' && next.strides.every((s, i) => s >= next.pool[i]))
        : relu(g, x, backward, next?.kind === 'maxPool');
    case 'maxPool':
      return maxPool(g, x, step, gradient ? backward : null);
    case 'flatten':
      return flatten(g, x, backward);
    case 'globalAveragePool':
      return globalAveragePool(g, x, backward);
    case 'dense':
      return dense(g, x, step, backward);
    case 'softmax':
      return softmax(g, x, backward);
  }
}

/**
 * Multiply-adds of one row's forward pass through the convolutions and dense layers of `steps` (inputs shaped
 * `inputShape`, channels last, no batch axis): a measure of how much work each of onnxruntime's kernels gets per row.
 */
export function forwardMultiplyAdds(steps: LoweredStep[], inputShape: number[]): number {
  const rank = inputShape.length;
  let shape = rank > 1 ? [inputShape[rank - 1], ...inputShape.slice(0, rank - 1)] : inputShape;
  let total = 0;
  for (const step of steps) {
    if (step.kind === 'conv') {
      const { axes } = geometry(shape, step.kernelShape, step.strides, step.dilations, step.padding);
      const outputs = axes.reduce((a, axis) => a * axis.out, 1);
      const [cin, cout] = step.kernelShape.slice(step.rank);
      total += outputs * cout * cin * step.kernelShape.slice(0, step.rank).reduce((a, b) => a * b, 1);
      shape = [cout, ...axes.map((a) => a.out)];
    } else if (step.kind === 'maxPool') {
      const ones = step.pool.map(() => 1);
      shape = [shape[0], ...geometry(shape, step.pool, step.strides, ones, step.padding).axes.map((a) => a.out)];
    } else if (step.kind === 'dense') {
      total += step.inUnits * step.units;
      shape = [step.units];
    } else if (step.kind === 'flatten') shape = [shape.reduce((a, b) => a * b, 1)];
    else if (step.kind === 'globalAveragePool') shape = [shape[0]];
  }
  return total;
}

/**
 * The ONNX model (binary `ModelProto`) of `steps` for inputs shaped `inputShape` (channels last, no batch axis).
 *
 * @throws WingbeatsError `UNSUPPORTED_MODEL` for a softmax before the last step or shapes the steps do not fit.
 */
export function compileGradientGraph(steps: LoweredStep[], inputShape: number[], options: CompileOptions): Uint8Array {
  const last = steps.length - 1;
  steps.forEach((step, i) => {
    if (step.kind === 'softmax' && i !== last)
      throw new WingbeatsError(
        'UNSUPPORTED_MODEL',
        `Layer '${step.layer}': a softmax before the output is not compiled.`,
      );
  });
  // Scores as the library defines them: logits drop a final softmax; probabilities of a linear head add one.
  const endsInSoftmax = steps[last]?.kind === 'softmax';
  const kept =
    options.scores === 'logits'
      ? endsInSoftmax
        ? steps.slice(0, last)
        : steps
      : endsInSoftmax
        ? steps
        : [...steps, { kind: 'softmax' as const, layer: 'probabilities' }];
  const g = new OnnxGraph();
  const x = g.input('x', inputShape);
  const rank = inputShape.length;
  const channelsFirst = [inputShape[rank - 1], ...inputShape.slice(0, rank - 1)];
  let value: Value =
    rank > 1
      ? { name: g.op('Transpose', [x], { perm: toChannelsFirst(rank) }), shape: channelsFirst }
      : { name: x, shape: inputShape };
  const backward: Backward[] = [];
  const guided = options.guided === true;
  const keepInputs = new Map<LoweredStep, string>();
  if (options.dropout === true)
    for (const { name, step } of dropoutInputs(kept)) keepInputs.set(step, g.input(name, step.shape));
  const gradient = options.gradient !== false;
  kept.forEach(
    (step, i) => (value = forwardStep(g, value, step, kept[i + 1], backward, guided, keepInputs.get(step), gradient)),
  );
  if (value.shape.length !== 1)
    throw new WingbeatsError(
      'UNSUPPORTED_MODEL',
      `The model's output is not [batch, classes] (got [batch,${value.shape.join(',')}]).`,
    );
  g.output('scores', value.name, value.shape);
  if (gradient) {
    let dy = g.input('mask', value.shape);
    for (let i = backward.length - 1; i >= 0; i--) dy = backward[i](dy);
    const gradient = rank > 1 ? g.op('Transpose', [dy], { perm: toChannelsLast(rank) }) : dy;
    g.output('gradient', gradient, inputShape);
  }
  return g.encode('wingbeats_gradient');
}
