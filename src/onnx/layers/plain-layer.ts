/**
 * The lowering of a layer class the TensorFlow.js path runs with the layer's own `call` (it has no layer op in
 * `src/execution/layer-ops.ts`): there no propagation rule reaches its ops, so its ONNX ops are marked rule-exempt.
 */
import type { LayerLowerer } from '../lowering-context.js';

/** `lowerer` with every op it emits exempt from propagation rules. */
export function plainLayer(lowerer: LayerLowerer): LayerLowerer {
  return (layer, inputs, ctx) => {
    const outer = ctx.graph.ruleExempt;
    ctx.graph.ruleExempt = true;
    try {
      return lowerer(layer, inputs, ctx);
    } finally {
      ctx.graph.ruleExempt = outer;
    }
  };
}
