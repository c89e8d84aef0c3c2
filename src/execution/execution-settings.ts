/**
 * Execution settings: how ONE forward pass runs — propagation rules, Monte-Carlo dropout, a layer hook. They are an
 * argument of `ExplainableModel.run`, never state left on a model, so calls on one model never disturb each other.
 */
import type * as tf from '@tensorflow/tfjs';
import type { PropagationRule } from './propagation-rule.js';

/** Monte-Carlo dropout for one pass: only Dropout layers become active (batch norm stays in inference mode). */
export interface DropoutSettings {
  /** Seed of the masks: the same seed (and batch shape) gives the same masks. */
  seed: number;
  /**
   * `true`: each Dropout layer draws ONE mask for the whole batch (shape `[1, ...]`, broadcast over the rows), so every
   * row — and every pass with the same seed, in any chunking — runs the same thinned network. Default `false`: every row
   * draws its own mask.
   */
  fixedMasks?: boolean;
  /**
   * Monte-Carlo samples as rows of one batch: one seed per row; row r runs the thinned network that
   * `{ seed: rowSeeds[r], fixedMasks: true }` gives (the same masks, whatever else shares the batch). `seed` and
   * `fixedMasks` are then unused. A pass whose batch has another number of rows throws.
   */
  rowSeeds?: readonly number[];
}

/** Reads or replaces the output of one named layer during a pass (e.g. Grad-CAM's feature maps). */
export interface LayerHook {
  /** Name of the layer (nested models and composite layers are searched too). */
  layer: string;
  /** Called with the layer's output; its return value replaces the output downstream. Return the argument to only read it. */
  hook: (output: tf.Tensor) => tf.Tensor;
}

/** How one forward pass is executed. Every field is optional; `{}` is the plain inference pass. */
export interface ExecutionSettings {
  /**
   * Propagation rules (a composite): at each layer and each activation, the FIRST rule in this list whose `appliesTo`
   * names the layer's class or the activation replaces how the gradient flows there. Forward values are unchanged.
   */
  rules?: readonly PropagationRule[];
  /** Monte-Carlo dropout (default: off, dropout is the identity). */
  dropout?: DropoutSettings;
  /** A hook on one layer's output. */
  layerHook?: LayerHook;
}
