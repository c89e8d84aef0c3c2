/** An independent copy of a model (its own weight variables), for experiments that change weights. */
import * as tf from '@tensorflow/tfjs';
import { WingbeatsError } from '../util/errors.js';
import { ExplainableModel } from './explainable-model.js';
import { layersModelFromJson } from './layers-model-from-json.js';

/**
 * A deep copy of a LayersModel-backed explainable model: the same architecture (rebuilt from its JSON topology), copies
 * of every weight, and the same heads, labels, input shape and softmax flags. Changing the copy's weights never touches
 * the original. The copy is owned by the caller: free it with `dispose()`.
 * @throws WingbeatsError (UNSUPPORTED_MODEL) for function models or layers that cannot be serialised.
 */
export async function copyExplainableModel(
  model: ExplainableModel,
  functionName = 'copyExplainableModel',
): Promise<ExplainableModel> {
  const original = model.layersModel;
  if (original === null) {
    throw new WingbeatsError(
      'UNSUPPORTED_MODEL',
      `'${functionName}' needs a tf.LayersModel (it changes the weights of a copy); a plain function model has no weights to copy.`,
    );
  }
  let copy: tf.LayersModel;
  try {
    const topology = original.toJSON(undefined, false) as unknown as tf.io.ModelJSON['modelTopology'];
    copy = await layersModelFromJson(topology);
  } catch (error) {
    throw new WingbeatsError(
      'UNSUPPORTED_MODEL',
      `'${functionName}' could not copy ${model.describe()}: ${(error as Error).message}`,
      { cause: error },
    );
  }
  try {
    const weights = original.weights;
    if (
      copy.weights.length !== weights.length ||
      copy.weights.some((w, i) => w.shape.join(',') !== weights[i].shape.join(','))
    ) {
      throw new WingbeatsError(
        'UNSUPPORTED_MODEL',
        `'${functionName}' could not copy ${model.describe()}: the rebuilt model's weights do not match the original's.`,
      );
    }
    tf.tidy(() => copy.setWeights(weights.map((w) => w.read())));
    const labels: Record<string, string[]> = {};
    model.outputNames.forEach((name, i) => {
      const list = model.labels(i);
      if (list !== undefined) labels[name] = list;
    });
    return ExplainableModel.from(copy, {
      labels,
      outputNames: model.outputNames,
      inputShape: (model.inputShape ?? undefined) as number[] | undefined,
      softmaxOutputs: model.outputNames.map((_, i) => model.endsInSoftmax(i)),
      name: model.name,
      info: model.info,
    }) as ExplainableModel;
  } catch (error) {
    copy.dispose();
    throw error;
  }
}
