/**
 * Compiles one head of a loaded Keras model into one ONNX graph: input `x` (`[batch, ...]`, channels last as the
 * library feeds models; several model inputs packed as `ExplainableModel.packInputs` packs them), optional `mask`
 * (`[batch, classes]`, one-hot targets) and keep-masks `keep_<k>`; outputs `scores` (logits or probabilities) and
 * `gradient` = d(Σ mask·scores)/dx. The forward graph comes from the layer lowerings (`lower-model.ts`), the backward
 * graph from the per-op gradient registry (`op-gradients.ts`) in reverse mode.
 */
import type * as tf from '@tensorflow/tfjs';
import { layerEndsInSoftmax } from '../execution/execute-graph.js';
import type { ScoreKind } from '../execution/explainable-model.js';
import { WingbeatsError } from '../util/errors.js';
import { OnnxGraph } from './onnx-graph.js';
import { DropoutInput, lowerModel } from './lower-model.js';
import { Value, sizeOf, toChannelsLast } from './lowering-context.js';
import type { LayerOutput } from './lower-model.js';
import { appendBackward } from './op-gradients.js';
import { foldablePairs } from '../execution/batch-norm-folding.js';
import {
  OnnxPropagation,
  deepliftProbabilitySeed,
  lrpProbabilitySeed,
  propagationOverrides,
} from './rules/propagation.js';
import { lrpFoldCount } from './rules/lrp-composite.js';
import { ruleGraph } from './rules/rule-graph.js';

/** Options of {@link compileGradientGraph}. */
export interface CompileOptions {
  /** `'logits'` (a final softmax is dropped) or `'probabilities'` (a softmax is added after a linear head). */
  scores: ScoreKind;
  /** Head to compile (default 0). */
  outputIndex?: number;
  /** Add the `mask` input and the `gradient` output (default true); false gives a forward-only graph. */
  gradient?: boolean;
  /**
   * Guided backpropagation (the library's `guidedRelu` rule): the gradient of every `Relu` op becomes
   * dy · [x > 0] · [dy > 0]. Default false.
   */
  guided?: boolean;
  /**
   * The propagation rule of the gradient (default plain, or guided with `guided: true`): `'lrp'` and `'deeplift'`
   * differentiate the logits from the seed their methods start from (see src/onnx/rules/propagation.ts) — DeepLIFT's
   * `x` then holds a paired batch `[inputs; references]`, its `mask` the targets of the input rows (zero rows below)
   * and its `gradient` output the input rows' gradient only — and their `scores` output is the logits, or their
   * softmax with `scores: 'probabilities'`.
   */
  propagation?: OnnxPropagation;
  /**
   * Monte-Carlo dropout: every Dropout layer with a rate above 0 takes its 0/1 keep-mask from an input `keep_<k>`
   * (`[batch, ...activation shape]`, channels last; k counts those layers in the order the executor draws masks) and
   * computes `x · keep / (1 − rate)` as TensorFlow.js does. Default false: Dropout is the identity.
   */
  dropout?: boolean;
  /**
   * Grad-CAM: the name of a layer whose output becomes the extra outputs `activations` (`[batch, ...layer shape]`,
   * channels last, as the TensorFlow.js layer hook reads it) and `layerGradient` (the gradient of the differentiated
   * score, seeded as `gradient` is, with respect to those activations). Refused (`UNSUPPORTED_MODEL`) for a layer the
   * walk does not apply exactly once or with several outputs. The graph then has no `gradient` output.
   */
  layer?: string;
  /**
   * Rewrite the backward graph into its cheaper equivalent forms (`rewriteBackward`, src/onnx/backward-rewrites.ts).
   * Default true; false keeps every gradient builder's ops as they are (tests compare the two).
   */
  backwardRewrites?: boolean;
}

/** A compiled graph and what its caller needs to feed and size it. */
export interface CompiledGraph {
  /** The binary `ModelProto`. */
  model: Uint8Array;
  /** Input shape without the batch axis (packed features for several model inputs). */
  inputShape: number[];
  /** Number of classes of the head. */
  classes: number;
  /** Keep-mask inputs (with `dropout: true`), in feed order. */
  dropouts: DropoutInput[];
  /** Multiply-adds of one row's forward pass through the Conv and MatMul ops. */
  multiplyAdds: number;
  /** The op types of the forward graph. */
  forwardOpTypes: string[];
  /** With `layer`: the shape of its activations without the batch axis (channels last). */
  layerShape?: number[];
}

/** The fixed shapes of the model's inputs (without the batch axis), refused when a size is unknown. */
export function modelInputShapes(model: tf.LayersModel): number[][] {
  return model.inputs.map((input) => {
    const shape = input.shape.slice(1);
    if (shape.length === 0 || shape.some((d) => d === null))
      throw new WingbeatsError(
        'UNSUPPORTED_MODEL',
        `ONNX compilation needs inputs of fixed size, got [${shape.map((d) => d ?? '?').join(',')}].`,
      );
    return shape as number[];
  });
}

/** The model inputs as graph values: `x` itself, or slices of the packed `x` reshaped to each input's shape. */
function modelInputs(g: OnnxGraph, shapes: number[][]): { x: string; inputShape: number[]; values: Value[] } {
  if (shapes.length === 1)
    return { x: g.input('x', shapes[0]), inputShape: shapes[0], values: [{ name: 'x', shape: shapes[0] }] };
  const total = shapes.reduce((n, s) => n + sizeOf(s), 0);
  const x = g.input('x', [total]);
  let start = 0;
  const values = shapes.map((shape) => {
    const end = start + sizeOf(shape);
    const slice = g.op('Slice', [x, g.int64s([start]), g.int64s([end]), g.int64s([1])]);
    g.setShape(slice, [end - start]);
    start = end;
    const name = g.op('Reshape', [slice, g.int64s([-1, ...shape])]);
    g.setShape(name, shape);
    return { name, shape };
  });
  return { x, inputShape: [total], values };
}

/**
 * Multiply-adds per row of the forward nodes of `g` (Conv: outputs · in-channels · taps; MatMul: outputs · inner; a
 * recurrent layer's Scan: its body's, once per step).
 */
function multiplyAdds(g: OnnxGraph): number {
  let total = 0;
  for (const node of g.nodes) {
    if (node.scan !== undefined) total += node.scan.steps * multiplyAdds(node.scan.body);
    else if (node.opType === 'Conv') {
      const kernel = g.constantData(node.inputs[1])!.dims;
      total += sizeOf(g.shapeOf(node.outputs[0])) * sizeOf(kernel.slice(1));
    } else if (node.opType === 'MatMul') {
      const a = g.shapeOf(node.inputs[0]);
      total += sizeOf(g.shapeOf(node.outputs[0])) * a[a.length - 1];
    }
  }
  return total;
}

/**
 * The ONNX graph of head `outputIndex` of `model` (see the module comment).
 *
 * @throws WingbeatsError `UNSUPPORTED_MODEL` naming the first layer without a lowering, for inputs of unknown size, or a
 *   head that is not `[batch, classes]`.
 */
export function compileGradientGraph(model: tf.LayersModel, options: CompileOptions): CompiledGraph {
  const outputIndex = options.outputIndex ?? 0;
  const outputLayer = model.outputs[outputIndex].sourceLayer as tf.layers.Layer;
  const softmaxHead = layerEndsInSoftmax(outputLayer);
  const sigmoidHead = (outputLayer.getConfig() as Record<string, unknown>).activation === 'sigmoid';
  const propagation: OnnxPropagation = options.propagation ?? { kind: options.guided === true ? 'guided' : 'plain' };
  // LRP and DeepLIFT differentiate the logits whatever the scores (their seeds carry the probabilities)
  const seeded = propagation.kind === 'lrp' || propagation.kind === 'deeplift';
  const g = new OnnxGraph();
  const { x, inputShape, values } = modelInputs(g, modelInputShapes(model));
  const lowered = lowerModel(g, model, values, {
    outputIndex,
    stripFinalSoftmax: (options.scores === 'logits' || seeded) && softmaxHead,
    dropout: options.dropout === true,
  });
  let scores = lowered.output;
  if (scores.shape.length !== 1)
    throw new WingbeatsError(
      'UNSUPPORTED_MODEL',
      `The model's output is not [batch, classes] (got [batch,${scores.shape.join(',')}]).`,
    );
  if (propagation.kind === 'lrp' && g.nodes.some((n) => n.opType === 'Softmax'))
    throw new WingbeatsError('UNSUPPORTED_MODEL', 'LRP on ONNX passes no softmax inside the network.');
  const logits = scores.name;
  // probabilities as the library defines them: a softmax after a linear head (a sigmoid head's outputs already are);
  // LRP's and DeepLIFT's as their methods compute them: the softmax of the logits
  if (options.scores === 'probabilities' && (seeded || (!softmaxHead && !sigmoidHead))) {
    const name = g.op('Softmax', [scores.name], { axis: -1 });
    g.setShape(name, scores.shape);
    scores = { name, shape: scores.shape };
  }
  const forwardOpTypes = [...new Set(opTypes(g))];
  const work = multiplyAdds(g);
  if (options.gradient !== false) {
    const mask = g.input('mask', scores.shape);
    const differentiated = seeded ? logits : scores.name;
    const rules = ruleGraph(g, differentiated);
    if (
      propagation.kind === 'lrp' &&
      propagation.settings.foldBatchNorm &&
      lrpFoldCount(rules, g.nodes) !== foldablePairs(model).size
    )
      throw new WingbeatsError(
        'UNSUPPORTED_MODEL',
        "LRP's batch-norm folding pairs other layers on ONNX than on TensorFlow.js.",
      );
    let seed = mask;
    if (options.scores === 'probabilities' && propagation.kind === 'lrp') seed = lrpProbabilitySeed(g, logits, mask);
    if (options.scores === 'probabilities' && propagation.kind === 'deeplift')
      seed = deepliftProbabilitySeed(g, logits, mask);
    const overrides = propagationOverrides(propagation, rules);
    if (options.layer !== undefined) {
      const activations = layerValue(lowered.layerOutputs, options.layer);
      // Differentiated where the next ops read it: a channels-first form made by the op before (then transposed back)
      const read = activations.channelsFirst ?? activations;
      let layerGradient = appendBackward(
        g,
        read.name,
        differentiated,
        seed,
        overrides,
        options.backwardRewrites !== false,
      );
      if (activations.channelsFirst !== undefined) {
        layerGradient = g.op('Transpose', [layerGradient], { perm: toChannelsLast(read.shape.length + 1) });
        g.setShape(layerGradient, activations.shape);
      }
      g.output('activations', activations.name, activations.shape);
      g.output('layerGradient', layerGradient, activations.shape);
    } // A layer's graph gives its gradient in place of the input's (Grad-CAM needs no input gradient)
    else
      g.output(
        'gradient',
        appendBackward(g, x, differentiated, seed, overrides, options.backwardRewrites !== false),
        inputShape,
      );
  }
  g.output('scores', scores.name, scores.shape);
  return {
    model: g.encode('wingbeats_gradient'),
    inputShape,
    classes: scores.shape[0],
    dropouts: lowered.dropouts,
    multiplyAdds: work,
    forwardOpTypes,
    ...(options.layer === undefined ? {} : { layerShape: layerValue(lowered.layerOutputs, options.layer).shape }),
  };
}

/** The op types of the nodes of `g` and of its Scans' bodies. */
function opTypes(g: OnnxGraph): string[] {
  return g.nodes.flatMap((n) => [n.opType, ...(n.scan === undefined ? [] : opTypes(n.scan.body))]);
}

/** The output of layer `name` in the lowered graph, refused when the walk did not apply it exactly once. */
function layerValue(outputs: ReadonlyMap<string, LayerOutput>, name: string): Value {
  const found = outputs.get(name);
  if (found === undefined)
    throw new WingbeatsError('UNSUPPORTED_MODEL', `Layer '${name}' is not applied on the way to the compiled head.`);
  if (found.calls !== 1 || found.outputs !== 1)
    throw new WingbeatsError(
      'UNSUPPORTED_MODEL',
      `Layer '${name}' is applied ${found.calls} times with ${found.outputs} outputs; its activations are read from a layer applied once with one output.`,
    );
  // An identity layer's output is its input's value, which other ops may read too: its gradient would be another's
  if (found.identity)
    throw new WingbeatsError('UNSUPPORTED_MODEL', `Layer '${name}' gives its input's value unchanged (an identity).`);
  return found.value;
}
