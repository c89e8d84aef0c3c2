/** The `explain` job: one method over input items → the `explain --json` document and the files of every item. */
import type { ExplainableModel } from '../execution/explainable-model.js';
import type { FeaturePresetName } from '../signal/presets.js';
import { explainItems, type ExplainedItem, type ExplainSettings } from './explain-items.js';
import { explanationFiles } from './explanation-files.js';
import type { InputItem } from './input-sources.js';
import { jsonFile, safeFileName, type OutputFile } from './output-files.js';
import { modelJson, resultJson } from './result-json.js';

/** The `explain --json` document (DESIGN.md). */
export interface ExplainDocument {
  method: string;
  model: Record<string, unknown>;
  preset?: FeaturePresetName;
  results: Record<string, unknown>[];
}

/**
 * Explains `items` with `settings.method` and returns the document, the rows, and the files (`explain.json` and, per
 * item, attributions .json/.npy, heatmap .npy and the chart).
 * @example const { document, files } = await explainJob(model, items, { method: 'saliency' });
 */
export async function explainJob(
  model: ExplainableModel,
  items: InputItem[],
  settings: ExplainSettings & { preset?: FeaturePresetName },
): Promise<{ document: ExplainDocument; rows: ExplainedItem[]; files: OutputFile[] }> {
  const head = model.resolveOutput('explain', settings.output);
  const rows = await explainItems(model, items, settings);
  const { method, preset } = settings;
  const fromRecording = items.some((i) => i.recording !== undefined);
  const document: ExplainDocument = {
    method,
    model: modelJson(model, settings.output),
    ...(preset === undefined ? {} : { preset }),
    results: rows.map((row) => resultJson(row, fromRecording)),
  };
  const files = rows.flatMap((row) =>
    explanationFiles(`${safeFileName(row.item.name)}.${method}`, row, {
      model,
      head,
      method,
      preset,
      subtitle: `${row.item.name} — ${model.name}`,
    }),
  );
  return { document, rows, files: [...files, jsonFile('explain.json', document)] };
}
