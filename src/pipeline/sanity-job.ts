/** The `sanity` job: cascading model-parameter randomisation of a copy of the model → a typed document and plots. */
import type { ExplainableModel } from '../execution/explainable-model.js';
import type { AttributionMethodName } from '../attribution/registry.js';
import { sanityCheck, type SanityCurve } from '../evaluation/sanity-check.js';
import { sanityCheckSpec } from '../render/sanity-chart.js';
import { requestOptions, type JobSettings, runsOn } from './explain-items.js';
import { withItemBatch, type InputItem } from './input-sources.js';
import { jsonFile, type OutputFile } from './output-files.js';
import { modelJson } from './result-json.js';

/** Settings of a sanity check. */
export interface SanitySettings extends JobSettings {
  methods: AttributionMethodName[];
}

/** The `sanity --json` document. */
export interface SanityDocument {
  command: 'sanity';
  model: Record<string, unknown>;
  methods: AttributionMethodName[];
  seed: number;
  /** Layers in the order they were randomised (top first); curves have one value per step, step 0 = trained. */
  layers: string[];
  results: { input: string; target: number; targetName?: string; curves: SanityCurve[] }[];
}

/**
 * Runs the cascading randomisation check on every item; returns the document and the files (`sanity.json`, one
 * `sanity[-i]` Spearman plot per input and, for 2-D inputs, one `sanity-ssim[-i]` plot).
 * @example const { document } = await sanityJob(model, items, { methods: ['gradients', 'grad-cam'], seed: 1 });
 */
export async function sanityJob(
  model: ExplainableModel,
  items: InputItem[],
  settings: SanitySettings,
): Promise<{ document: SanityDocument; files: OutputFile[] }> {
  const seed = settings.seed ?? 0;
  const check = await withItemBatch(items, settings.baselines, (x, baseline) =>
    sanityCheck(runsOn(model, settings), x, {
      methods: settings.methods,
      seed,
      methodOptions: { ...settings.methodOptions, baseline },
      ...requestOptions(settings),
    }),
  );
  const document: SanityDocument = {
    command: 'sanity',
    model: modelJson(model, settings.output),
    methods: settings.methods,
    seed,
    layers: check.layers,
    results: check.results.map((r, i) => ({ input: items[i].name, ...r })),
  };
  const charts = document.results.flatMap((r, i): OutputFile[] => {
    const suffix = document.results.length === 1 ? '' : `-${i}`;
    const subtitle = `${r.input}, target ${r.targetName ?? r.target}; seed ${seed}`;
    const plot = (measure: 'spearman' | 'ssim'): OutputFile => ({
      name: measure === 'spearman' ? `sanity${suffix}` : `sanity-ssim${suffix}`,
      chart: () =>
        sanityCheckSpec({
          layers: check.layers,
          curves: r.curves.map((c) => ({ method: c.method, values: c[measure] as number[] })),
          measure: measure === 'spearman' ? 'Spearman rank correlation' : 'SSIM',
          subtitle,
        }),
    });
    return r.curves[0].ssim === undefined ? [plot('spearman')] : [plot('spearman'), plot('ssim')];
  });
  return { document, files: [jsonFile('sanity.json', document), ...charts] };
}

/** One line per input: target and each method's Spearman correlation after full randomisation. */
export function sanitySummary(document: SanityDocument): string {
  return document.results
    .map(
      (r) =>
        `${r.input}: target ${r.targetName ?? r.target}; Spearman after full randomisation: ${r.curves.map((c) => `${c.method} ${(c.spearman.at(-1) as number).toFixed(3)}`).join(', ')}\n`,
    )
    .join('');
}
