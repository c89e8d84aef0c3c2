/**
 * The engine primitives: the few passes an engine computes over plain float32 rows, below every row-task kind. A task
 * kind (src/task-kinds.ts) is written ONCE on the host as a {@link RowTaskPlan} — how its one pass is formed from the
 * task and how its result is formed from the pass — and every engine runs it through these primitives: TensorFlow.js
 * (`tfjsPrimitives`, src/engine/tfjs-primitives.ts; in the calling thread and in workers) and ONNX Runtime
 * (`OnnxTaskRunner`, src/onnx/onnx-task-runner.ts). Engines never see a task kind's semantics (path points, sample
 * maps, relevance x ⊙ gradient, DeepLIFT's pairing and delta), so the numbers of a kind cannot differ by engine beyond
 * float32 rounding. Types only: no TensorFlow.js, no Node.
 */
import type { DropoutSettings } from '../execution/execution-settings.js';
import type { LrpCompositeSettings } from '../rules/lrp-composite.js';

/** A float32 array with its shape (row-major; the first axis is the rows). */
export interface TaskArray {
  data: Float32Array;
  shape: number[];
}

/**
 * How a gradient pass propagates. `'plain'` and `'guided'` are the pass's own execution rules (none, or guided ReLU;
 * TensorFlow.js applies the rules of its execution settings as given, so a pass run in the calling thread may carry
 * others). `'lrp'` runs the LRP composite of `settings` and starts from LRP's seed (the target's score: its
 * probability over its logit for probabilities); `'deeplift'` runs DeepLIFT's rescale and max-pool rules on a paired
 * batch `[inputs; references]` and starts from the multipliers of the target score with respect to the logits.
 */
export type Propagation =
  { kind: 'plain' } | { kind: 'guided' } | { kind: 'lrp'; settings: LrpCompositeSettings } | { kind: 'deeplift' };

/** Scores of rows: one forward pass. */
export interface ScoresPass {
  rows: TaskArray;
  /** Monte-Carlo dropout keep-masks, drawn from these settings (default: the pass context's call-wide dropout). */
  dropout?: DropoutSettings;
}

/** Input gradients of rows: one forward and one backward pass. */
export interface GradientPass {
  rows: TaskArray;
  /**
   * What is differentiated: `{ targets }` the score of one class per row (a one-hot seed; under `'deeplift'` the
   * targets of the input rows, the first half of the paired batch), or `{ seed }` Σ seed ⊙ scores for a `[rows,
   * classes]` seed (under `'plain'` and `'guided'` only).
   */
  output: { targets: readonly number[] } | { seed: Float32Array };
  propagation: Propagation;
  /** Monte-Carlo dropout keep-masks, drawn from these settings (default: the pass context's call-wide dropout). */
  dropout?: DropoutSettings;
  /** Return the scores of the same pass (same keep-masks); default false. */
  withScores?: boolean;
}

/**
 * A layer's activations and their gradient (Grad-CAM): one forward and one backward pass, differentiating the score of
 * one class per row (a one-hot seed) with respect to the output of layer `layer` as the layer hook of TensorFlow.js's
 * executor reads it (after the layer's activation).
 */
export interface LayerGradientPass {
  rows: TaskArray;
  /** The layer's name (a leaf layer or a nested model, applied once). */
  layer: string;
  /** The class of each row whose score is differentiated. */
  targets: readonly number[];
}

/**
 * A layer name as a task's number list (its UTF-16 code units: tasks carry numbers), read back by {@link layerOfNumbers};
 * a kind whose pass is a {@link LayerGradientPass} keeps it in `numbers.layer`, where engines read it before planning.
 */
export function layerNumbers(layer: string): number[] {
  return Array.from({ length: layer.length }, (_, i) => layer.charCodeAt(i));
}

/** The layer name a task's `numbers.layer` holds (see {@link layerNumbers}), or undefined without one. */
export function layerOfNumbers(numbers: readonly number[] | undefined): string | undefined {
  return numbers === undefined ? undefined : String.fromCharCode(...numbers);
}

/** What a scores pass gives. */
export interface ScoresOutput {
  /** `[rows, classes]` scores of the context's kind (logits or probabilities), row-major. */
  scores: Float32Array;
  classes: number;
}

/** What a gradient pass gives. */
export interface GradientOutput {
  /**
   * The input gradient of every row, shaped like the rows, row-major; under `'deeplift'` the input rows' (the first
   * half) come first, and an engine may leave out the references' (ONNX Runtime does not compute them).
   */
  gradient: Float32Array;
  /** `[rows, classes]` scores of the pass (with `withScores`; an engine may give them anyway). */
  scores?: Float32Array;
  classes: number;
}

/** What a layer-gradient pass gives. */
export interface LayerGradientOutput {
  /** `[rows, classes]` scores of the pass. */
  scores: Float32Array;
  classes: number;
  /** `[rows, ...layer shape]` activations of the layer, channels last. */
  activations: TaskArray;
  /** The gradient of each row's target score with respect to {@link activations}, shaped as they are. */
  gradient: TaskArray;
}

/** A primitive's result: at once (TensorFlow.js) or later (ONNX Runtime). */
type Returned<Mode extends 'sync' | 'async', T> = Mode extends 'sync' ? T : Promise<T>;

/**
 * What an engine computes for one pass context (a model, a head, a score kind, execution settings: every task of a
 * job shares one). Both engines implement it over plain float32 rows.
 */
export interface EnginePrimitives<Mode extends 'sync' | 'async'> {
  /** Scores of rows. */
  scores(pass: ScoresPass): Returned<Mode, ScoresOutput>;
  /** Input gradients of rows under a propagation and keep-masks, with the scores of the same pass if asked. */
  gradients(pass: GradientPass): Returned<Mode, GradientOutput>;
  /** A layer's activations and the gradient of the target scores with respect to them (Grad-CAM). */
  layerGradients(pass: LayerGradientPass): Returned<Mode, LayerGradientOutput>;
}

/**
 * A task kind's work on one task, written once on the host: its ONE pass, and its result from that pass's output
 * (shaped as the kind defines it). Made by the kind from a task; run by {@link runPlan} or {@link runPlanSync}.
 */
export type RowTaskPlan =
  | { primitive: 'scores'; pass: ScoresPass; finish(output: ScoresOutput): TaskArray }
  | { primitive: 'gradients'; pass: GradientPass; finish(output: GradientOutput): TaskArray }
  | { primitive: 'layer-gradients'; pass: LayerGradientPass; finish(output: LayerGradientOutput): TaskArray };

/** Runs a plan on an engine whose primitives answer at once (TensorFlow.js). */
export function runPlanSync(plan: RowTaskPlan, engine: EnginePrimitives<'sync'>): TaskArray {
  switch (plan.primitive) {
    case 'scores':
      return plan.finish(engine.scores(plan.pass));
    case 'gradients':
      return plan.finish(engine.gradients(plan.pass));
    case 'layer-gradients':
      return plan.finish(engine.layerGradients(plan.pass));
  }
}

/** Runs a plan on an engine whose primitives answer later (ONNX Runtime). */
export async function runPlan(plan: RowTaskPlan, engine: EnginePrimitives<'async'>): Promise<TaskArray> {
  switch (plan.primitive) {
    case 'scores':
      return plan.finish(await engine.scores(plan.pass));
    case 'gradients':
      return plan.finish(await engine.gradients(plan.pass));
    case 'layer-gradients':
      return plan.finish(await engine.layerGradients(plan.pass));
  }
}
