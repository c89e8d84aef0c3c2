/**
 * Execution settings are arguments of a pass: interleaved calls on one model equal sequential calls; propagation rules
 * attach by layer class or activation and see weights, inputs and pre-activations; a layer hook reads or replaces one
 * layer's output (nested models included); conflicting layer ops are refused.
 */
import { before, test } from 'node:test';
import assert from 'node:assert/strict';
import * as tf from '@tensorflow/tfjs';
import { ExplainableModel } from '../../src/execution/explainable-model.js';
import { gradientRule, type RuleSite } from '../../src/execution/propagation-rule.js';
import { registerLayerOp, layerOp } from '../../src/execution/layer-ops.js';
import { guidedRelu } from '../../src/rules/guided-relu.js';
import { saliency } from '../../src/attribution/saliency.js';
import { gradients } from '../../src/attribution/gradients.js';
import { guidedBackprop } from '../../src/attribution/guided-backprop.js';
import { disposeAttribution, type AttributionResult } from '../../src/attribution/types.js';
import { mcDropoutExplanations, type McDropoutExplanations } from '../../src/uncertainty/mc-dropout-explanations.js';
import { assertClose, flat, rejectsWithoutLeaks, useWasm, withoutLeaks } from '../helpers.js';
import { conv1dNet, denseNet, randomBatch } from '../tiny-models.js';

before(useWasm);

/** Plain arrays of an attribution result (then freed). */
function arrays(result: AttributionResult): { attributions: number[]; heatmaps: number[]; predictions: number[] } {
  const out = {
    attributions: flat(result.attributions),
    heatmaps: flat(result.heatmaps),
    predictions: flat(result.predictions),
  };
  disposeAttribution(result);
  return out;
}

function mcArrays(result: McDropoutExplanations): unknown {
  return result.examples.map((e) => ({ mean: Array.from(e.mean), std: Array.from(e.std), predictions: e.predictions }));
}

/** Lets every other pending task run (a macrotask turn). */
const yieldTurn = (): Promise<void> => new Promise((resolve) => setImmediate(resolve));

test('interleaved calls on one model equal sequential calls: MC dropout with saliency, guided backprop with saliency', async () => {
  const model = ExplainableModel.from(conv1dNet(11));
  const x = randomBatch([2, 12, 2], 12);
  const mcOptions = { samples: 5, seed: 3, method: 'saliency' as const };
  const sequentialMc = mcArrays(await mcDropoutExplanations(model, x, mcOptions));
  const sequentialSaliency = arrays(await saliency(model, x));
  const sequentialGuided = arrays(await guidedBackprop(model, x));
  const sequentialGradients = arrays(await gradients(model, x));

  // Promise.all, with the MC loop yielding between samples so the other call runs while dropout is on for it.
  const [mc, plain] = await Promise.all([
    mcDropoutExplanations(model, x, { ...mcOptions, onSample: yieldTurn }),
    saliency(model, x),
  ]);
  assert.deepEqual(mcArrays(mc), sequentialMc);
  assert.deepEqual(arrays(plain), sequentialSaliency);

  // Deterministically in the middle: a saliency call started from inside sample 2 of the MC loop.
  let inside: AttributionResult | undefined;
  const mcAgain = await mcDropoutExplanations(model, x, {
    ...mcOptions,
    onSample: async (s) => {
      if (s.index === 2) inside = await saliency(model, x);
    },
  });
  assert.deepEqual(mcArrays(mcAgain), sequentialMc);
  assert.deepEqual(arrays(inside as AttributionResult), sequentialSaliency);
  assert.notDeepEqual(
    sequentialSaliency.predictions,
    (sequentialMc as { predictions: { samples: number[][] } }[])[0].predictions.samples[0],
    'dropout changes the scores',
  );

  const [guided, sal, grads] = await Promise.all([guidedBackprop(model, x), saliency(model, x), gradients(model, x)]);
  assert.deepEqual(arrays(guided), sequentialGuided);
  assert.deepEqual(arrays(sal), sequentialSaliency);
  assert.deepEqual(arrays(grads), sequentialGradients);
  assert.notDeepEqual(
    sequentialGuided.attributions,
    sequentialGradients.attributions,
    'the guided rule changes the gradients',
  );
  x.dispose();
  model.dispose();
});

/** denseNet: x[4] → Dense 'hidden' (6, relu) → Dense 'scores' (3). */
function denseWeights(model: tf.LayersModel): { w1: number[][]; b1: number[]; w2: number[][] } {
  const [w1, b1, w2] = model.getWeights().map((w) => w.arraySync());
  return { w1: w1 as number[][], b1: b1 as number[], w2: w2 as number[][] };
}

/** d(score t)/dx of one example under a rule applied to the hidden ReLU: `reluGradient(dy, z)` → dz. */
function manualGradient(
  model: tf.LayersModel,
  x: number[],
  t: number,
  reluGradient: (dy: number, z: number) => number,
): number[] {
  const { w1, b1, w2 } = denseWeights(model);
  const z = b1.map((b, j) => b + x.reduce((s, xi, i) => s + xi * w1[i][j], 0));
  const dz = z.map((zj, j) => reluGradient(w2[j][t], zj));
  return x.map((_, i) => dz.reduce((s, d, j) => s + d * w1[i][j], 0));
}

function ruleGradient(
  model: ExplainableModel,
  x: tf.Tensor,
  t: number,
  execution: Parameters<ExplainableModel['run']>[1] extends infer O
    ? O extends { execution?: infer E }
      ? E
      : never
    : never,
): number[] {
  return tf.tidy(() =>
    flat(tf.grad((v: tf.Tensor) => tf.sum(tf.mul(model.run(v, { execution }), tf.oneHot([t], 3))))(x)),
  );
}

test('activation rules see the pre-activation; the first matching rule wins; a DeconvNet rule is one new definition', () => {
  const net = denseNet(21);
  const model = ExplainableModel.from(net);
  const xs = [0.3, -1.2, 0.8, 2.1];
  const x = tf.tensor2d([xs]);
  const seen: { x: number[]; site: RuleSite }[] = [];
  const recording = gradientRule('recording', { activations: ['relu'] }, (dy, pre, site) => {
    seen.push({ x: flat(pre), site });
    return tf.mul(dy, tf.step(pre));
  });
  const plain = ruleGradient(model, x, 1, {});
  assertClose(
    ruleGradient(model, x, 1, { rules: [recording] }),
    plain,
    1e-6,
    0,
    'a rule with the textbook ReLU gradient changes nothing',
  );
  const { w1, b1 } = denseWeights(net);
  assertClose(
    seen[0].x,
    b1.map((b, j) => b + xs.reduce((s, xi, i) => s + xi * w1[i][j], 0)),
    1e-5,
    0,
    'the rule sees the pre-activation',
  );
  assert.equal(seen[0].site.kind, 'activation');
  assert.equal(seen[0].site.layer.name, 'hidden');
  assert.equal(seen[0].site.activation, 'relu');
  assert.match(seen[0].site.id, /hidden:relu#0$/);

  const deconv = gradientRule('deconvnet-relu', { activations: ['relu'] }, (dy) => tf.relu(dy));
  assertClose(
    ruleGradient(model, x, 1, { rules: [deconv] }),
    manualGradient(net, xs, 1, (dy) => Math.max(dy, 0)),
    1e-5,
    0,
    'DeconvNet',
  );
  assertClose(
    ruleGradient(model, x, 1, { rules: [guidedRelu] }),
    manualGradient(net, xs, 1, (dy, z) => (z > 0 && dy > 0 ? dy : 0)),
    1e-5,
    0,
    'guided ReLU',
  );
  assertClose(
    ruleGradient(model, x, 1, { rules: [deconv, guidedRelu] }),
    ruleGradient(model, x, 1, { rules: [deconv] }),
    0,
    0,
    'first rule wins',
  );
  assertClose(ruleGradient(model, x, 1, {}), plain, 0, 0, 'no rule stays attached');
  x.dispose();
  net.dispose();
});

test('layer rules wrap a whole Dense or Conv layer and see its weights and its input', () => {
  const net = denseNet(22);
  const model = ExplainableModel.from(net);
  const xs = [
    [0.5, 1.5, -0.7, 0.2],
    [-1, 0.4, 0.9, 1.1],
  ];
  const x = tf.tensor2d(xs);
  const inputs: number[][] = [];
  let kernel: number[] = [];
  // Zero gradient through the output layer: every input gradient must vanish; the rule records what it sees.
  const stop = gradientRule('stop', { layers: ['Dense'] }, (dy, input, site) => {
    if (site.layer.name === 'scores') {
      kernel = flat(site.weight('kernel') as tf.Tensor);
      inputs.push(flat(input));
    }
    return tf.zerosLike(input);
  });
  assert.ok(ruleGradient(model, x, 0, { rules: [stop] }).every((v) => v === 0));
  assert.deepEqual(kernel, flat(net.layers[1].getWeights()[0]), 'the rule sees the kernel');
  const hidden = tf.tidy(() =>
    flat(tf.relu(tf.add(tf.matMul(x, net.layers[0].getWeights()[0]), net.layers[0].getWeights()[1]))),
  );
  assertClose(inputs[0], hidden, 1e-6, 0, 'the rule sees the layer input');

  const conv = ExplainableModel.from(conv1dNet(23));
  const cx = randomBatch([1, 12, 2], 24);
  const sites: string[] = [];
  const scale = gradientRule('zero-conv', { layers: ['Conv1D'] }, (dy, input, site) => {
    sites.push(
      `${site.kind}:${site.className}:${site.weight('kernel')?.shape.join('x')}:${input.shape.join('x')}:${dy.shape.join('x')}`,
    );
    return tf.zerosLike(input);
  });
  const plainConv = tf.tidy(() => flat(tf.grad((v: tf.Tensor) => tf.sum(conv.run(v)))(cx)));
  const wrapped = tf.tidy(() =>
    flat(tf.grad((v: tf.Tensor) => tf.sum(conv.run(v, { execution: { rules: [scale] } })))(cx)),
  );
  assert.ok(
    wrapped.every((v) => v === 0),
    'the layer rule replaced the conv gradient',
  );
  assert.ok(plainConv.some((v) => v !== 0));
  assert.deepEqual(sites, ['layer:Conv1D:3x2x3:1x12x2:1x12x3']);
  [x, cx].forEach((t) => t.dispose());
  net.dispose();
  conv.dispose();
});

test('layer hook: reads and replaces a layer output (nested models too), so d(target)/d(layer output) can be taken', async () => {
  const net = denseNet(31);
  const model = ExplainableModel.from(net);
  const x = tf.tensor2d([[0.1, 0.2, -0.3, 0.4]]);
  await withoutLeaks(() =>
    tf.tidy(() => {
      let captured: tf.Tensor | undefined;
      const logits = model.run(x, { execution: { layerHook: { layer: 'hidden', hook: (h) => (captured = h) } } });
      assertClose(flat(logits), flat(model.run(x)), 0, 0, 'reading changes nothing');
      const activation = captured as tf.Tensor;
      const grad = tf.grad((a: tf.Tensor) =>
        tf.sum(
          tf.mul(model.run(x, { execution: { layerHook: { layer: 'hidden', hook: () => a } } }), tf.oneHot([2], 3)),
        ),
      )(activation);
      const w2 = net.layers[1].getWeights()[0].arraySync() as number[][];
      assertClose(
        flat(grad),
        w2.map((row) => row[2]),
        1e-6,
        0,
        'd(score 2)/d(hidden) is the kernel column',
      );
    }),
  );
  // Nested: the dense net inside a functional model; the hook finds its inner layer.
  const input = tf.input({ shape: [4] });
  const outer = tf.model({ inputs: input, outputs: net.apply(input) as tf.SymbolicTensor });
  const nested = ExplainableModel.from(outer);
  const seen = tf.tidy(() => {
    let shape: number[] = [];
    nested.run(x, { execution: { layerHook: { layer: 'hidden', hook: (h) => ((shape = h.shape), tf.zerosLike(h)) } } });
    const replaced = flat(
      nested.run(x, { execution: { layerHook: { layer: 'hidden', hook: (h) => tf.zerosLike(h) } } }),
    );
    return { shape, replaced };
  });
  assert.deepEqual(seen.shape, [1, 6]);
  assertClose(seen.replaced, flat(net.layers[1].getWeights()[1]), 1e-6, 0, 'zero hidden output leaves the bias');
  await rejectsWithoutLeaks(
    () => tf.tidy(() => nested.run(x, { execution: { layerHook: { layer: 'nope', hook: (h) => h } } })),
    /Argument 'execution.layerHook.layer' passed to 'run' must be the name of a layer of model .* but got 'nope'\./,
  );
  const fn = ExplainableModel.from((t: tf.Tensor) => t);
  await rejectsWithoutLeaks(
    () => fn.run(x, { execution: { layerHook: { layer: 'hidden', hook: (h) => h } } }),
    /need a tf\.LayersModel/,
  );
  x.dispose();
  net.dispose();
});

test('registerLayerOp: the same op again is fine, a different op for a known class throws', () => {
  const op = layerOp('Dense');
  assert.ok(op !== undefined, 'built-in ops are registered');
  registerLayerOp('Dense', op);
  assert.throws(
    () => registerLayerOp('Dense', (layer, inputs) => inputs[0]),
    /Layer class 'Dense' already has a layer op; registerLayerOp will not replace it/,
  );
  const mine = (_layer: tf.layers.Layer, inputs: tf.Tensor[]): tf.Tensor => inputs[0];
  registerLayerOp('ExecutionSettingsTestLayer', mine);
  registerLayerOp('ExecutionSettingsTestLayer', mine);
  assert.throws(() => registerLayerOp('ExecutionSettingsTestLayer', (_l, i) => i[0]), /already has a layer op/);
});
