/**
 * Compiles an imported ONNX file for the native engine, as `compileGradientGraph` (src/onnx/compile-gradient-graph.ts)
 * compiles a Keras model: input `x` (channels last), optional `mask`, outputs `scores` and `gradient`; the forward
 * graph is the file's own (see `onnx-file-lowering.ts`), the backward graph comes from the per-op gradient registry, and
 * the propagation rules override the ops they name. {@link compileModelGraph} picks the compiler a model needs.
 */
import type { ExplainableModel } from '../execution/explainable-model.js';
import { WingbeatsError } from '../util/errors.js';
import { OnnxGraph } from './onnx-graph.js';
import { appendBackward } from './op-gradients.js';
import { type CompileOptions, type CompiledGraph, compileGradientGraph } from './compile-gradient-graph.js';
import {
  OnnxPropagation,
  deepliftProbabilitySeed,
  lrpProbabilitySeed,
  propagationOverrides,
} from './rules/propagation.js';
import { ruleGraph } from './rules/rule-graph.js';
import type { NativeOnnxFile } from './onnx-file-lowering.js';
import { nativeFormOf } from './native-form.js';

/**
 * The graph of `model` for the native engine: a Keras model through its layer lowerings, an ONNX file through its
 * own graph.
 * @throws WingbeatsError `UNSUPPORTED_MODEL` for a function model, or what the compiler refuses.
 */
export function compileModelGraph(model: ExplainableModel, options: CompileOptions): CompiledGraph {
  if (model.layersModel !== null) return compileGradientGraph(model.layersModel, options);
  const native = nativeFormOf(model);
  if (native === undefined)
    throw new WingbeatsError('UNSUPPORTED_MODEL', 'A function model cannot be compiled to ONNX; pass a Keras model.');
  return compileOnnxFile(native, options);
}

/** Multiply-adds per row of the Conv and MatMul ops of `g` (as `compileGradientGraph` counts them). */
function multiplyAdds(g: OnnxGraph): number {
  let total = 0;
  const size = (shape: readonly number[]) => shape.reduce((a, b) => a * b, 1);
  for (const node of g.nodes) {
    if (node.opType === 'Conv') {
      const kernel = g.constantData(node.inputs[1])?.dims ?? [];
      total += size(g.shapeOf(node.outputs[0])) * size(kernel.slice(1));
    } else if (node.opType === 'MatMul') {
      const a = g.shapeOf(node.inputs[0]);
      total += size(g.shapeOf(node.outputs[0])) * a[a.length - 1];
    }
  }
  return total;
}

/**
 * The graph of an imported ONNX file (see the module comment). Its scores are the logits (a final softmax was left
 * out when the file was imported); `'probabilities'` adds their softmax, as the TensorFlow.js interpreter's model does.
 * @throws WingbeatsError `UNSUPPORTED_MODEL` naming the first node the native engine cannot run, for Monte-Carlo
 *   dropout (imported files have no Dropout to switch on), or LRP through a softmax inside the network.
 */
export function compileOnnxFile(native: NativeOnnxFile, options: CompileOptions): CompiledGraph {
  if (options.dropout === true)
    throw new WingbeatsError(
      'UNSUPPORTED_MODEL',
      `'${native.fileName}' is an ONNX file: exports in eval mode keep no Dropout to switch on for Monte-Carlo dropout`,
    );
  if ((options.outputIndex ?? 0) !== 0)
    throw new WingbeatsError('UNSUPPORTED_MODEL', `'${native.fileName}' has one output (head 0).`);
  const propagation: OnnxPropagation = options.propagation ?? { kind: options.guided === true ? 'guided' : 'plain' };
  const seeded = propagation.kind === 'lrp' || propagation.kind === 'deeplift';
  const g = new OnnxGraph();
  const x = g.input('x', native.inputShape);
  const layer = options.layer === undefined ? undefined : native.layers().find((l) => l.value === options.layer);
  if (options.layer !== undefined && layer === undefined)
    throw new WingbeatsError(
      'UNSUPPORTED_MODEL',
      `'${native.fileName}': no node computes '${options.layer}' on the way to the scores.`,
    );
  const lowered = native.lower(g, x, layer?.value);
  const logits = { name: lowered.name, shape: lowered.shape };
  if (logits.shape.length !== 1)
    throw new WingbeatsError(
      'UNSUPPORTED_MODEL',
      `'${native.fileName}': the scores are not [batch, classes] (got [batch,${logits.shape.join(',')}]).`,
    );
  if (propagation.kind === 'lrp' && g.nodes.some((n) => n.opType === 'Softmax'))
    throw new WingbeatsError('UNSUPPORTED_MODEL', 'LRP on ONNX passes no softmax inside the network.');
  let scores = logits.name;
  if (options.scores === 'probabilities') {
    scores = g.op('Softmax', [logits.name], { axis: -1 });
    g.setShape(scores, logits.shape);
  }
  const forwardOpTypes = [...new Set(g.nodes.map((n) => n.opType))];
  const work = multiplyAdds(g);
  if (options.gradient !== false) {
    const mask = g.input('mask', logits.shape);
    const differentiated = seeded ? logits.name : scores;
    const rules = ruleGraph(g, differentiated);
    let seed = mask;
    if (options.scores === 'probabilities' && propagation.kind === 'lrp')
      seed = lrpProbabilitySeed(g, logits.name, mask);
    if (options.scores === 'probabilities' && propagation.kind === 'deeplift')
      seed = deepliftProbabilitySeed(g, logits.name, mask);
    const overrides = propagationOverrides(propagation, rules);
    if (lowered.layer !== undefined && layer !== undefined) {
      // Grad-CAM: the value's activations and their gradient, channels last as gradCamMap reads them
      const read = lowered.layer;
      const activations = channelsLast(g, read.name, read.shape, layer.channelsFirst);
      const gradient = appendBackward(
        g,
        read.name,
        differentiated,
        seed,
        overrides,
        options.backwardRewrites !== false,
      );
      g.output('activations', activations.name, activations.shape);
      g.output('layerGradient', channelsLast(g, gradient, read.shape, layer.channelsFirst).name, activations.shape);
    } else
      g.output(
        'gradient',
        appendBackward(g, x, differentiated, seed, overrides, options.backwardRewrites !== false),
        native.inputShape,
      );
  }
  g.output('scores', scores, logits.shape);
  return {
    model: g.encode('wingbeats_onnx_file'),
    inputShape: native.inputShape,
    classes: logits.shape[0],
    dropouts: [],
    multiplyAdds: work,
    forwardOpTypes,
    ...(lowered.layer === undefined || layer === undefined
      ? {}
      : { layerShape: channelsLastShape(lowered.layer.shape, layer.channelsFirst) }),
  };
}

/** `[C, ...spatial]` as `[...spatial, C]` when `channelsFirst` (a shape without the batch axis). */
function channelsLastShape(shape: readonly number[], channelsFirst: boolean): number[] {
  return channelsFirst && shape.length >= 2 ? [...shape.slice(1), shape[0]] : [...shape];
}

/** The value `name` (`[batch, ...shape]`) channels last: transposed when it is channels first with spatial axes. */
function channelsLast(
  g: OnnxGraph,
  name: string,
  shape: readonly number[],
  channelsFirst: boolean,
): { name: string; shape: number[] } {
  const last = channelsLastShape(shape, channelsFirst);
  if (!channelsFirst || shape.length < 2) return { name, shape: last };
  const rank = shape.length + 1;
  const transposed = g.op('Transpose', [name], { perm: [0, ...Array.from({ length: rank - 2 }, (_, i) => i + 2), 1] });
  g.setShape(transposed, last);
  return { name: transposed, shape: last };
}
