/**
 * Layer ops for recurrent layers (`LSTM`, `GRU`, the loader's `GRUResetAfter`, `SimpleRNN`) and the `Bidirectional`
 * wrapper (part of the built-in ops), executed step by step with the plain ops of `recurrent.ts` (differentiable on every backend). The cells'
 * own dropout is never applied: only Dropout layers take part in Monte-Carlo dropout.
 */
import * as tf from '@tensorflow/tfjs';
import { WingbeatsError } from '../util/errors.js';
import { ExecutionContext, LayerOp, layerWeight } from './layer-op.js';
import { CellActivation, CellSpec, namedActivation, runRecurrent } from './recurrent.js';

type Config = Record<string, any>;

/** A ReLU cell activation goes through the rule in force (guided backprop); the others are plain. */
function cellActivation(ctx: ExecutionContext, name: unknown): CellActivation {
  return name === 'relu' ? ctx.relu : namedActivation(name);
}

function sequenceInput(layer: tf.layers.Layer, inputs: tf.Tensor[]): tf.Tensor3D {
  const x = inputs[0];
  if (x === undefined || x.rank !== 3) {
    throw new WingbeatsError(
      'UNSUPPORTED_MODEL',
      `Layer '${layer.name}' (${layer.getClassName()}) expects a [batch, steps, features] input but got [${x?.shape.join(',') ?? ''}].`,
    );
  }
  if (inputs.length > 1) {
    throw new WingbeatsError(
      'UNSUPPORTED_MODEL',
      `Layer '${layer.name}' (${layer.getClassName()}) is given initial states; only zero initial states are supported.`,
    );
  }
  return x as tf.Tensor3D;
}

/** Output (and final states with `return_state`) of one recurrent layer. */
function recurrentOutputs(
  layer: tf.layers.Layer,
  x: tf.Tensor3D,
  kind: CellSpec['kind'],
  ctx: ExecutionContext,
): tf.Tensor[] {
  const c = layer.getConfig() as Config;
  const weight = (name: string): tf.Tensor => {
    const w = layerWeight(layer, name);
    if (w === undefined)
      throw new WingbeatsError('UNSUPPORTED_MODEL', `${layer.getClassName()} layer '${layer.name}' has no ${name}.`);
    return w;
  };
  const spec: CellSpec = {
    kind,
    units: c.units,
    resetAfter: layer.getClassName() === 'GRUResetAfter' || c.resetAfter === true,
    activation: cellActivation(ctx, c.activation ?? 'tanh'),
    recurrentActivation: cellActivation(ctx, c.recurrentActivation ?? 'sigmoid'),
  };
  const bias = c.useBias === false ? undefined : weight('bias');
  const { output, states } = runRecurrent(
    x,
    { kernel: weight('kernel') as tf.Tensor2D, recurrentKernel: weight('recurrent_kernel') as tf.Tensor2D, bias },
    spec,
    { goBackwards: c.goBackwards === true, returnSequences: c.returnSequences === true },
  );
  return c.returnState === true ? [output, ...states] : [output];
}

function recurrentOp(kind: CellSpec['kind']): LayerOp {
  return (layer, inputs, ctx) => {
    const outputs = recurrentOutputs(layer, sequenceInput(layer, inputs), kind, ctx);
    return outputs.length === 1 ? outputs[0] : outputs;
  };
}

const KIND_BY_CLASS: Record<string, CellSpec['kind']> = {
  LSTM: 'lstm',
  GRU: 'gru',
  GRUResetAfter: 'gru',
  SimpleRNN: 'simple',
};

const bidirectionalOp: LayerOp = (layer, inputs, ctx) => {
  const x = sequenceInput(layer, inputs);
  const wrapper = layer as unknown as {
    forwardLayer: tf.layers.Layer;
    backwardLayer: tf.layers.Layer;
    mergeMode: string | null;
  };
  const run = (sub: tf.layers.Layer): tf.Tensor[] => {
    const kind = KIND_BY_CLASS[sub.getClassName()];
    if (kind === undefined) {
      throw new WingbeatsError(
        'UNSUPPORTED_MODEL',
        `Bidirectional layer '${layer.name}' wraps a ${sub.getClassName()}; only LSTM, GRU and SimpleRNN are supported.`,
      );
    }
    return recurrentOutputs(sub, x, kind, ctx);
  };
  const [forward, ...forwardStates] = run(wrapper.forwardLayer);
  const [backwardRaw, ...backwardStates] = run(wrapper.backwardLayer);
  // Keras turns the backward sequence back into forward time order before merging.
  const backward = backwardRaw.rank === 3 ? tf.reverse(backwardRaw, 1) : backwardRaw;
  let merged: tf.Tensor[];
  switch (wrapper.mergeMode) {
    case 'concat':
      merged = [tf.concat([forward, backward], -1)];
      break;
    case 'sum':
      merged = [tf.add(forward, backward)];
      break;
    case 'mul':
      merged = [tf.mul(forward, backward)];
      break;
    case 'ave':
      merged = [tf.div(tf.add(forward, backward), 2)];
      break;
    default:
      merged = [forward, backward];
  }
  const all = [...merged, ...forwardStates, ...backwardStates];
  return all.length === 1 ? all[0] : all;
};

/** The recurrent layer ops by Keras class name. */
export const RECURRENT_LAYER_OPS: readonly (readonly [string, LayerOp])[] = [
  ...Object.entries(KIND_BY_CLASS).map(([className, kind]) => [className, recurrentOp(kind)] as const),
  ['Bidirectional', bidirectionalOp],
];
