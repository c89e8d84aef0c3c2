/**
 * Keras's attention layers as TensorFlow.js layers: `MultiHeadAttention`, `Attention` (Luong, dot or concat scores)
 * and `AdditiveAttention` (Bahdanau), on `[batch, time, features]` inputs, without masks. They compute with plain
 * differentiable ops (matMul, softmax, tanh), so input gradients flow through them; their dropout is off at inference
 * and on under Monte-Carlo dropout (the layer ops registered here draw it from the pass, as a Dropout layer does).
 *
 * Keras calls them with several tensors: `mha(query, value[, key])`, `attention([query, value[, key]])`. The loader
 * rewrites each call into positional inputs in that order (`normaliseAttentionCall`); a call with a mask, a causal
 * mask or `return_attention_scores` is refused by name (`attentionCallProblem`).
 *
 * MultiHeadAttention's weights are named as Keras names its EinsumDense sublayers (`<layer>/query/kernel`,
 * `.../key/...`, `.../value/...`, `.../attention_output/...`), so the `.h5` and `.keras` weight matchers place them.
 */
import * as tf from '@tensorflow/tfjs';
import { WingbeatsError } from '../util/errors.js';
import { registerLayerOp } from '../execution/layer-ops.js';

type Json = Record<string, unknown>;
type Shape = (number | null)[];

function isObject(value: unknown): value is Json {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

/** Keras class names of the attention layers run here. */
export const ATTENTION_CLASSES: ReadonlySet<string> = new Set(['MultiHeadAttention', 'Attention', 'AdditiveAttention']);

/** Call arguments naming tensors, in the order the layer takes its inputs. */
const TENSOR_ARGUMENTS: Readonly<Record<string, readonly string[]>> = {
  MultiHeadAttention: ['query', 'value', 'key'],
};
const MASK_ARGUMENTS = ['attention_mask', 'mask', 'query_mask', 'value_mask', 'key_mask'];

/** `["layer", 0, 0]` or `["layer", 0, 0, {}]`: a tensor reference in a Keras 2 node. */
function isTensorRef(value: unknown): value is unknown[] {
  return Array.isArray(value) && value.length >= 3 && value.length <= 4 && typeof value[0] === 'string';
}

function isKerasTensor(value: unknown): boolean {
  return isObject(value) && value.class_name === '__keras_tensor__';
}

/** Whether a call argument is or holds a tensor (a mask given as `[None, mask]` included). */
function holdsTensor(value: unknown): boolean {
  if (isTensorRef(value) || isKerasTensor(value)) return true;
  return Array.isArray(value) && value.some(holdsTensor);
}

/** The keyword arguments of every call of a layer entry (Keras 2 and Keras 3 node forms). */
function callKwargs(entry: Json): Json[] {
  const nodes = Array.isArray(entry.inbound_nodes) ? entry.inbound_nodes : [];
  return nodes.map((node: unknown) => {
    if (isObject(node)) return isObject(node.kwargs) ? node.kwargs : {};
    const refs = (isTensorRef(node) ? [node] : Array.isArray(node) ? node : []) as unknown[][];
    return refs.reduce<Json>((all, ref) => (isObject(ref[3]) ? { ...all, ...ref[3] } : all), {});
  });
}

/**
 * Why an attention layer entry cannot run (as the end of a sentence), or null: a mask given to a call, a causal mask,
 * `return_attention_scores`, attention over axes other than time, a multi-axis `output_shape`, an unknown score mode.
 */
export function attentionCallProblem(entry: Json): string | null {
  const className = String(entry.class_name);
  const config = isObject(entry.config) ? entry.config : {};
  if (config.causal === true || config.use_causal_mask === true)
    return 'uses a causal mask, which wingbeats-xai does not run (attention masks are not supported)';
  for (const kwargs of callKwargs(entry)) {
    for (const key of MASK_ARGUMENTS) {
      if (holdsTensor(kwargs[key]))
        return `is called with '${key}', which wingbeats-xai does not run (attention masks are not supported)`;
    }
    if (kwargs.use_causal_mask === true)
      return 'is called with use_causal_mask=True, which wingbeats-xai does not run (attention masks are not supported)';
    if (kwargs.return_attention_scores === true)
      return 'is called with return_attention_scores=True, which wingbeats-xai does not run (one output per layer)';
  }
  if (className === 'MultiHeadAttention') {
    const axes = config.attention_axes;
    const list = Array.isArray(axes) ? axes : axes === null || axes === undefined ? [] : [axes];
    if (list.length > 1 || (list.length === 1 && list[0] !== 1 && list[0] !== -2))
      return `attends over axes ${JSON.stringify(axes)}; wingbeats-xai runs MultiHeadAttention over the time axis of [batch, time, features] inputs only`;
    const out = config.output_shape;
    if (Array.isArray(out) && out.length !== 1)
      return `has output_shape ${JSON.stringify(out)}; wingbeats-xai runs MultiHeadAttention with one output axis only`;
  }
  if (
    className === 'Attention' &&
    config.score_mode !== undefined &&
    !['dot', 'concat'].includes(String(config.score_mode))
  )
    return `has score_mode '${String(config.score_mode)}' (Keras knows 'dot' and 'concat')`;
  return null;
}

/**
 * Rewrites each call of an attention layer entry (Keras 2 or 3 node form) into positional tensors in the order the
 * layer takes them (MultiHeadAttention: query, value, key), with no keyword arguments. Changes `entry` in place.
 */
export function normaliseAttentionCall(entry: Json): void {
  const names = TENSOR_ARGUMENTS[String(entry.class_name)];
  if (names === undefined || !Array.isArray(entry.inbound_nodes)) return;
  entry.inbound_nodes = entry.inbound_nodes.map((node: unknown) => {
    if (isObject(node) && 'args' in node) {
      // Keras 3: {args: [...], kwargs: {...}}; tensors passed by name join the positional ones in call order.
      const args = (Array.isArray(node.args) ? node.args : []).filter(isKerasTensor);
      const kwargs = isObject(node.kwargs) ? node.kwargs : {};
      const ordered = names.slice(args.length).map((name) => kwargs[name]);
      return { args: [...args, ...ordered.filter(isKerasTensor)], kwargs: {} };
    }
    // Keras 2: [[query, 0, 0, {value: [...], key: [...]}]]; every argument after the first is a keyword argument.
    const refs = (isTensorRef(node) ? [node] : Array.isArray(node) ? node : []) as unknown[][];
    const kwargs = refs.reduce<Json>((all, ref) => (isObject(ref[3]) ? { ...all, ...ref[3] } : all), {});
    const positional = refs.map((ref) => [ref[0], ref[1], ref[2], {}]);
    for (const name of names.slice(positional.length)) {
      const ref = kwargs[name];
      if (isTensorRef(ref)) positional.push([ref[0], ref[1], ref[2], {}]);
    }
    return positional;
  });
}

function inputList(inputs: tf.Tensor | tf.Tensor[]): tf.Tensor[] {
  return Array.isArray(inputs) ? inputs : [inputs];
}

function shapeList(inputShape: tf.Shape | tf.Shape[]): Shape[] {
  return (Array.isArray(inputShape[0]) ? inputShape : [inputShape]) as Shape[];
}

function checkRank3(layer: tf.layers.Layer, shapes: Shape[]): void {
  const bad = shapes.find((s) => s.length !== 3);
  if (bad !== undefined) {
    throw new WingbeatsError(
      'UNSUPPORTED_MODEL',
      `Layer '${layer.name}' (${layer.getClassName()}) gets an input of shape [${bad.map((d) => d ?? 'null').join(',')}]; ` +
        'wingbeats-xai runs attention on [batch, time, features] inputs only.',
    );
  }
}

function checkPositiveInteger(layer: string, name: string, value: unknown): number {
  if (typeof value !== 'number' || !Number.isInteger(value) || value < 1) {
    throw new WingbeatsError(
      'UNSUPPORTED_MODEL',
      `Argument '${name}' of layer '${layer}' (MultiHeadAttention) must be a positive integer but got ${JSON.stringify(value)}.`,
    );
  }
  return value;
}

/** `x` `[batch, time, d]` times `kernel` `[d, ...rest]` (+ `bias` `[...rest]`): `[batch, time, ...rest]`. */
function project(x: tf.Tensor, kernel: tf.Tensor, bias: tf.Tensor | undefined): tf.Tensor {
  const [batch, time, d] = x.shape;
  const rest = kernel.shape.slice(1);
  const units = rest.reduce((a, b) => a * b, 1);
  const y = tf.matMul(tf.reshape(x, [batch * time, d]), tf.reshape(kernel, [d, units]));
  const shaped = tf.reshape(y, [batch, time, ...rest]);
  return bias === undefined ? shaped : tf.add(shaped, bias);
}

/** Dropout of the attention probabilities: the identity at inference, a mask under Monte-Carlo dropout. */
type AttentionDropout = (probabilities: tf.Tensor) => tf.Tensor;
const noDropout: AttentionDropout = (p) => p;

/** Arguments of {@link MultiHeadAttention} (TensorFlow.js camel-cases the Keras config keys). */
interface MultiHeadAttentionArgs {
  name?: string;
  trainable?: boolean;
  dtype?: tf.DataType;
  numHeads: number;
  keyDim: number;
  valueDim?: number | null;
  dropout?: number;
  useBias?: boolean;
  outputShape?: number | number[] | null;
  attentionAxes?: number | number[] | null;
}

/** The four projections of a MultiHeadAttention, as Keras names its EinsumDense sublayers. */
const PROJECTIONS = ['query', 'key', 'value', 'attention_output'] as const;

/**
 * Keras's `MultiHeadAttention` on `[batch, time, features]` inputs: query/key/value projections to `numHeads` heads,
 * softmax(Q·Kᵀ / √keyDim) over the key positions, the weighted values, and the output projection back to the query's
 * feature size (or `outputShape`). Inputs `[query, value]` or `[query, value, key]` (key defaults to value).
 */
export class MultiHeadAttention extends tf.layers.Layer {
  static className = 'MultiHeadAttention';
  readonly numHeads: number;
  readonly keyDim: number;
  readonly valueDim: number;
  readonly dropoutRate: number;
  readonly useBias: boolean;
  /** Keras's `output_shape` (null: the query's feature size). */
  readonly outputDim: number | null;
  private readonly weightsByName = new Map<string, tf.LayerVariable>();

  constructor(args: MultiHeadAttentionArgs) {
    super({ name: args.name, trainable: args.trainable, dtype: args.dtype });
    const name = String(args.name ?? 'multi_head_attention');
    this.numHeads = checkPositiveInteger(name, 'num_heads', args.numHeads);
    this.keyDim = checkPositiveInteger(name, 'key_dim', args.keyDim);
    this.valueDim =
      args.valueDim === null || args.valueDim === undefined
        ? this.keyDim
        : checkPositiveInteger(name, 'value_dim', args.valueDim);
    this.dropoutRate = args.dropout ?? 0;
    this.useBias = args.useBias ?? true;
    const out = Array.isArray(args.outputShape) ? args.outputShape[0] : args.outputShape;
    this.outputDim = out === null || out === undefined ? null : checkPositiveInteger(name, 'output_shape', out);
    const axes = args.attentionAxes;
    const list = Array.isArray(axes) ? axes : axes === null || axes === undefined ? [] : [axes];
    if (list.length > 1 || (list.length === 1 && list[0] !== 1 && list[0] !== -2)) {
      throw new WingbeatsError(
        'UNSUPPORTED_MODEL',
        `Layer '${name}' (MultiHeadAttention) attends over axes ${JSON.stringify(axes)}; wingbeats-xai runs it over the time axis of [batch, time, features] inputs only.`,
      );
    }
  }

  override build(inputShape: tf.Shape | tf.Shape[]): void {
    const shapes = shapeList(inputShape);
    checkRank3(this, shapes);
    const [query, value] = shapes;
    const key = shapes[2] ?? value;
    const dims = { query: query[2], key: key[2], value: (value ?? query)[2] };
    if (Object.values(dims).some((d) => d === null)) {
      throw new WingbeatsError(
        'UNSUPPORTED_MODEL',
        `Layer '${this.name}' (MultiHeadAttention) needs a known feature size of its query, key and value.`,
      );
    }
    const out = this.outputDim ?? (dims.query as number);
    const shapesOf: Record<(typeof PROJECTIONS)[number], [number[], number[]]> = {
      query: [
        [dims.query as number, this.numHeads, this.keyDim],
        [this.numHeads, this.keyDim],
      ],
      key: [
        [dims.key as number, this.numHeads, this.keyDim],
        [this.numHeads, this.keyDim],
      ],
      value: [
        [dims.value as number, this.numHeads, this.valueDim],
        [this.numHeads, this.valueDim],
      ],
      attention_output: [[this.numHeads, this.valueDim, out], [out]],
    };
    for (const projection of PROJECTIONS) {
      const [kernel, bias] = shapesOf[projection];
      const zeros = tf.initializers.zeros();
      this.weightsByName.set(`${projection}/kernel`, this.addWeight(`${projection}/kernel`, kernel, 'float32', zeros));
      if (this.useBias)
        this.weightsByName.set(`${projection}/bias`, this.addWeight(`${projection}/bias`, bias, 'float32', zeros));
    }
    this.built = true;
  }

  /** The current value of one projection weight (`'query/kernel'`, ...), or undefined without biases. */
  private weight(name: string): tf.Tensor | undefined {
    return this.weightsByName.get(name)?.read();
  }

  /** The layer's output for `[query, value(, key)]`, with `dropout` applied to the attention probabilities. */
  forward(inputs: tf.Tensor[], dropout: AttentionDropout = noDropout): tf.Tensor {
    return tf.tidy(() => {
      const [query, value] = inputs;
      const key = inputs[2] ?? value;
      if (value === undefined)
        throw new WingbeatsError(
          'UNSUPPORTED_MODEL',
          `Layer '${this.name}' (MultiHeadAttention) needs a query and a value.`,
        );
      const heads = (x: tf.Tensor, name: string): tf.Tensor =>
        // [batch, time, heads, dim] → [batch, heads, time, dim]
        tf.transpose(project(x, this.weight(`${name}/kernel`)!, this.weight(`${name}/bias`)), [0, 2, 1, 3]);
      // Keras scales the projected query by 1/√key_dim before the dot product.
      const q = tf.mul(heads(query, 'query'), 1 / Math.sqrt(this.keyDim));
      const k = heads(key, 'key');
      const v = heads(value, 'value');
      const probabilities = dropout(tf.softmax(tf.matMul(q, k, false, true)));
      const attended = tf.transpose(tf.matMul(probabilities, v), [0, 2, 1, 3]); // [batch, time, heads, value_dim]
      const [batch, time] = attended.shape;
      const kernel = this.weight('attention_output/kernel')!;
      const out = kernel.shape[2] as number;
      const y = tf.matMul(
        tf.reshape(attended, [batch * time, this.numHeads * this.valueDim]),
        tf.reshape(kernel, [this.numHeads * this.valueDim, out]),
      );
      const shaped = tf.reshape(y, [batch, time, out]);
      const bias = this.weight('attention_output/bias');
      return bias === undefined ? shaped : tf.add(shaped, bias);
    });
  }

  override call(inputs: tf.Tensor | tf.Tensor[]): tf.Tensor {
    return this.forward(inputList(inputs));
  }

  override computeOutputShape(inputShape: tf.Shape | tf.Shape[]): tf.Shape {
    const [query] = shapeList(inputShape);
    return [query[0], query[1], this.outputDim ?? query[2]];
  }

  override getConfig(): tf.serialization.ConfigDict {
    return {
      ...super.getConfig(),
      numHeads: this.numHeads,
      keyDim: this.keyDim,
      valueDim: this.valueDim,
      dropout: this.dropoutRate,
      useBias: this.useBias,
      outputShape: this.outputDim,
      attentionAxes: null,
    };
  }
}

/** Arguments of {@link Attention} and {@link AdditiveAttention}. */
interface AttentionArgs {
  name?: string;
  trainable?: boolean;
  dtype?: tf.DataType;
  useScale?: boolean;
  /** Attention only: `'dot'` (default) or `'concat'` (camel-cased by TensorFlow.js, so any case). */
  scoreMode?: string;
  dropout?: number;
}

/** What Attention and AdditiveAttention share: inputs `[query, value(, key)]`, softmax, weighted values. */
abstract class ScoredAttention extends tf.layers.Layer {
  readonly useScale: boolean;
  readonly dropoutRate: number;
  protected readonly scoreVariables = new Map<string, tf.LayerVariable>();

  constructor(args: AttentionArgs) {
    super({ name: args.name, trainable: args.trainable, dtype: args.dtype });
    this.useScale = args.useScale ?? false;
    this.dropoutRate = args.dropout ?? 0;
  }

  /** Scores `[batch, Tq, Tv]` of query `[batch, Tq, dim]` against key `[batch, Tv, dim]`. */
  protected abstract scores(query: tf.Tensor, key: tf.Tensor): tf.Tensor;

  protected variable(name: string): tf.Tensor | undefined {
    return this.scoreVariables.get(name)?.read();
  }

  protected addVariable(name: string, shape: number[]): void {
    this.scoreVariables.set(name, this.addWeight(name, shape, 'float32', tf.initializers.ones()));
  }

  /** Σ_features scale·tanh(q + k) (`scale` optional), the additive score of both layers: `[batch, Tq, Tv]`. */
  protected additiveScores(query: tf.Tensor, key: tf.Tensor, scale: tf.Tensor | undefined, inside: boolean): tf.Tensor {
    const sum = tf.add(tf.expandDims(query, 2), tf.expandDims(key, 1));
    if (scale === undefined) return tf.sum(tf.tanh(sum), -1);
    return tf.sum(inside ? tf.tanh(tf.mul(scale, sum)) : tf.mul(scale, tf.tanh(sum)), -1);
  }

  /** The layer's output for `[query, value(, key)]`, with `dropout` applied to the attention probabilities. */
  forward(inputs: tf.Tensor[], dropout: AttentionDropout = noDropout): tf.Tensor {
    return tf.tidy(() => {
      const [query, value] = inputs;
      if (value === undefined)
        throw new WingbeatsError(
          'UNSUPPORTED_MODEL',
          `Layer '${this.name}' (${this.getClassName()}) needs [query, value] or [query, value, key] as inputs.`,
        );
      const probabilities = dropout(tf.softmax(this.scores(query, inputs[2] ?? value)));
      return tf.matMul(probabilities, value);
    });
  }

  override call(inputs: tf.Tensor | tf.Tensor[]): tf.Tensor {
    return this.forward(inputList(inputs));
  }

  override computeOutputShape(inputShape: tf.Shape | tf.Shape[]): tf.Shape {
    const shapes = shapeList(inputShape);
    return [shapes[0][0], shapes[0][1], (shapes[1] ?? shapes[0])[2]];
  }

  override getConfig(): tf.serialization.ConfigDict {
    return { ...super.getConfig(), useScale: this.useScale, dropout: this.dropoutRate };
  }
}

/**
 * Keras's `Attention` (Luong): scores q·kᵀ (times the scalar `scale` with `use_scale`), or with `score_mode: 'concat'`
 * concat_score_weight · Σ tanh(scale · (q + k)); softmax over the value positions; the weighted values.
 */
export class Attention extends ScoredAttention {
  static className = 'Attention';
  readonly scoreMode: 'dot' | 'concat';

  constructor(args: AttentionArgs) {
    super(args);
    const mode = String(args.scoreMode ?? 'dot').toLowerCase();
    if (mode !== 'dot' && mode !== 'concat') {
      throw new WingbeatsError(
        'UNSUPPORTED_MODEL',
        `Layer '${String(args.name)}' (Attention) has score_mode '${mode}' (Keras knows 'dot' and 'concat').`,
      );
    }
    this.scoreMode = mode;
  }

  override build(inputShape: tf.Shape | tf.Shape[]): void {
    checkRank3(this, shapeList(inputShape));
    if (this.useScale) this.addVariable('scale', []);
    if (this.scoreMode === 'concat') this.addVariable('concat_score_weight', []);
    this.built = true;
  }

  protected scores(query: tf.Tensor, key: tf.Tensor): tf.Tensor {
    const scale = this.variable('scale');
    if (this.scoreMode === 'concat')
      return tf.mul(this.variable('concat_score_weight')!, this.additiveScores(query, key, scale, true));
    const dot = tf.matMul(query, key, false, true);
    return scale === undefined ? dot : tf.mul(dot, scale);
  }

  override getConfig(): tf.serialization.ConfigDict {
    return { ...super.getConfig(), scoreMode: this.scoreMode };
  }
}

/** Keras's `AdditiveAttention` (Bahdanau): scores Σ scale ⊙ tanh(q + k) (`scale` per feature, with `use_scale`). */
export class AdditiveAttention extends ScoredAttention {
  static className = 'AdditiveAttention';

  constructor(args: AttentionArgs) {
    super({ ...args, useScale: args.useScale ?? true });
  }

  override build(inputShape: tf.Shape | tf.Shape[]): void {
    const shapes = shapeList(inputShape);
    checkRank3(this, shapes);
    const dim = shapes[0][2];
    if (this.useScale) {
      if (dim === null)
        throw new WingbeatsError(
          'UNSUPPORTED_MODEL',
          `Layer '${this.name}' (AdditiveAttention) needs a known feature size.`,
        );
      this.addVariable('scale', [dim]);
    }
    this.built = true;
  }

  protected scores(query: tf.Tensor, key: tf.Tensor): tf.Tensor {
    return this.additiveScores(query, key, this.variable('scale'), false);
  }
}

let registered = false;

/**
 * Registers the attention layers with TensorFlow.js's serialization and their layer ops with the explainable-model
 * adapter (which applies Monte-Carlo dropout to the attention probabilities). Idempotent; `loadModel` calls it.
 */
export function registerKerasAttentionLayers(): void {
  if (registered) return;
  for (const cls of [MultiHeadAttention, Attention, AdditiveAttention]) {
    tf.serialization.registerClass(
      cls as unknown as tf.serialization.SerializableConstructor<tf.serialization.Serializable>,
    );
    registerLayerOp(cls.className, (layer, inputs, ctx) => {
      const attention = layer as MultiHeadAttention | ScoredAttention;
      return attention.forward(inputs, (p) => ctx.dropout(p, attention.dropoutRate));
    });
  }
  registered = true;
}
