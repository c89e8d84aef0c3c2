/** The `explain` job: one method over input items → the `explain --json` document and the files of every item. */
import type { ExplainableModel } from '../execution/explainable-model.js';
import type { FeaturePresetName } from '../signal/presets.js';
import { explainItems, type ExplainedItem, type ExplainSettings } from './explain-items.js';
import { explanationFiles } from './explanation-files.js';
import type { InputItem } from './input-sources.js';
import { jsonFile, safeRelativePath, type OutputFile } from './output-files.js';
import { modelJson, resultJson } from './result-json.js';
import { listenableAudio, type AudioSettings } from './listenable-audio.js';

/** The `explain --json` document (DESIGN.md). */
export interface ExplainDocument {
  method: string;
  model: Record<string, unknown>;
  /** The explained head (also in every result). */
  head: string;
  /** Every distinct warning about the inputs (each result carries its own). */
  warnings: string[];
  preset?: FeaturePresetName;
  results: Record<string, unknown>[];
}

/**
 * Explains `items` with `settings.method` and returns the document, the rows, and the files (`explain.json` and, per
 * item, attributions .json/.npy, heatmap .npy and the chart; with `audio`, the used and ignored parts of each recording
 * as `NAME.used.wav` and `NAME.ignored.wav`, each classified again in the result's `audio` entry).
 * @example const { document, files } = await explainJob(model, items, { method: 'saliency' });
 */
export async function explainJob(
  model: ExplainableModel,
  items: InputItem[],
  settings: ExplainSettings & { preset?: FeaturePresetName; audio?: AudioSettings },
): Promise<{ document: ExplainDocument; rows: ExplainedItem[]; files: OutputFile[] }> {
  const head = model.resolveOutput('explain', settings.output);
  const rows = await explainItems(model, items, settings);
  const { method, preset } = settings;
  const fromRecording = items.some((i) => i.recording !== undefined);
  const document: ExplainDocument = {
    method,
    model: modelJson(model, settings.output),
    head: model.outputNames[head],
    warnings: [...new Set(items.flatMap((i) => i.warnings))],
    ...(preset === undefined ? {} : { preset }),
    results: rows.map((row) => resultJson(row, fromRecording)),
  };
  // --audio: the used and ignored parts of every recording, classified again (files NAME.used.wav, NAME.ignored.wav).
  const audio =
    settings.audio === undefined ? undefined : listenableAudio(model, rows, { ...settings.audio, outputIndex: head });
  audio?.audio.forEach((entry, i) => (document.results[i].audio = entry));
  const files = rows.flatMap((row) =>
    explanationFiles(`${safeRelativePath(row.item.name)}.${method}`, row, {
      model,
      head,
      method,
      preset,
      subtitle: `${row.item.name} — ${model.name}`,
    }),
  );
  return { document, rows, files: [...files, ...(audio?.files ?? []), jsonFile('explain.json', document)] };
}
