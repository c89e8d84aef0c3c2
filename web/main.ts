/**
 * The browser page: pick a model, an input and a method (menus derived from the library's registries), press
 * Explain, see the prediction and the explanation chart (the same Vega-Lite spec as the CLI, rendered to SVG).
 * Imports only the universal surface of the library; the page state is exposed on `window.__wingbeats` for tests.
 */
import {
  FEATURE_PRESETS,
  FEATURE_PRESET_NAMES,
  WingbeatsError,
  attributionMethodNames,
  attributionMethods,
  defaultPresetForModel,
  explanationSpec,
  isAttributionMethodName,
  explainItems,
  isFeaturePresetName,
  readInputSource,
  type InputItem,
  formatFrequencyBands,
  itemFrequencyBands,
  itemRelativeGap,
  renderChartSvg,
  setupBackend,
  registerWorkerPlatform,
  webWorkerPlatform,
  defaultWorkerCount,
  startWorkerPool,
  defaultSession,
  type FeatureAxes,
  type FrequencyBand,
  type AttributionMethodName,
  type ExplainableModel,
  type FeaturePresetName,
  type AudioJson,
  type InputSource,
  explanationCaptionText,
} from '../src/index.js';
import { ENGINE_CHOICES, type EngineChoice } from '../src/execution/execution-settings.js';
import { fetchBytes, loadDemoModel, loadPickedModel, readPicked, type DemoManifest } from './model-files.js';
import {
  methodControlValues,
  needsFile,
  optionControlValues,
  showMethodControls,
  showOptionControls,
} from './method-controls.js';
import { LISTENING_HINT, LISTENING_OPTIONS, listenToRows, listeningSection } from './listening.js';
import { BACKGROUND_METHODS, backgroundHint, readBackground } from './background-set.js';
import { downloadJson, offerDownload, svgsToPng } from './downloads.js';
import { pageMessage } from './page-message.js';
import { usePageOnnxEngine, type PageOnnxEngine } from './onnx-engine.js';

/** One explained input, as plain arrays (what the page shows and what tests compare). */
export interface ExplainedInput {
  name: string;
  preset?: FeaturePresetName;
  shape: number[];
  input: number[];
  target: number;
  targetName?: string;
  /** Softmax probabilities of the head, when it is a classifier. */
  probabilities?: number[];
  /** The explained scores (logits by default) of every class. */
  scores: number[];
  attributions: number[];
  heatmap: number[];
  delta?: number;
  /** |delta| / |f(x) − f(baseline)| (integrated gradients). */
  relativeDelta?: number;
  /** Warnings about the input; empty when all is well. */
  warnings: string[];
  /** Frequency (Hz) of every bin, time (s) of every frame, when known. */
  axes?: FeatureAxes;
  /** The most relevant frequency bands. */
  frequencyBands: FrequencyBand[];
  /**
   * Recordings: the `audio` entry of `explain --audio --json` (what the model makes of the used and ignored parts) and
   * the one gain the players use.
   */
  audio?: AudioJson & { playbackGain: number };
  /** Recordings that could not be split (the library's reason, in the page's words). */
  audioNote?: string;
}

/** One press of Explain. */
export interface ExplainRecord {
  method: AttributionMethodName;
  /** The model's name and the explained head's name. */
  model: string;
  head: string;
  output: number;
  /** The requested class index, or null for the top class. */
  target: number | null;
  seed: number;
  /** The method's tuning options used (integrated-gradients steps and rule, SmoothGrad samples). */
  tuning: Record<string, unknown>;
  /** The SHAP methods with baselines from the data: the names of the background set's inputs. */
  background?: string[];
  /** The listening mask's options (`audioMask`, `audioShare`). */
  listening: Record<string, unknown>;
  /** The engine asked for (the Engine menu). */
  engineChoice: EngineChoice;
  /** The engines that ran it: `'onnx'` (ONNX Runtime Web), `'tfjs'` (TensorFlow.js) or `'onnx+tfjs'`. */
  engine: string;
  items: ExplainedInput[];
}

/** What the page exposes on `window.__wingbeats`. */
export interface PageState {
  state: 'starting' | 'ready' | 'busy' | 'done' | 'error';
  /** TensorFlow.js's backend (`'wasm'`, or `'cpu'` when wasm cannot load). */
  backend: string;
  /** Cores ONNX Runtime Web runs on: the page's thread and its run-pool Web Workers (see web/onnx-engine.ts). */
  onnxThreads: number;
  /** Milliseconds the last explanation took in the library (reading the input and drawing excluded), or null. */
  explainMs: number | null;
  /** Name of the loaded model, or null when none is (after a failed load, or before a file is picked). */
  model: string | null;
  /** Completed explanations so far. */
  runs: number;
  last: ExplainRecord | null;
  error: string | null;
  /** Worker threads Explain may use (default: the number of cores; small jobs stay on the page's thread). */
  workers: number;
  /** Starts the current model's pool of Web Workers and resolves with its size when every worker answered (0: none). */
  startPool: () => Promise<number>;
  /** Tasks the current model's pool has finished. */
  poolTasks: () => number;
}

declare global {
  interface Window {
    __wingbeats: PageState;
  }
}

/** At most this many inputs of a list get a chart (all are explained). */
const MAX_CHARTS = 8;

const page: PageState = {
  state: 'starting',
  backend: 'none',
  onnxThreads: 1,
  explainMs: null,
  model: null,
  runs: 0,
  last: null,
  error: null,
  workers: 1,
  startPool: async () => (model === null ? 0 : ((await startWorkerPool(model, page.workers))?.size ?? 0)),
  poolTasks: () => (model === null ? 0 : (defaultSession(model).workerPool.running()?.stats().tasks ?? 0)),
};

window.__wingbeats = page;

function element<T extends HTMLElement>(id: string): T {
  const found = document.getElementById(id);
  if (found === null) throw new Error(`The page has no #${id}.`);
  return found as T;
}

const ui = {
  form: element<HTMLFormElement>('controls'),
  status: element<HTMLParagraphElement>('status'),
  notice: element<HTMLParagraphElement>('notice'),
  error: element<HTMLParagraphElement>('error'),
  output: element<HTMLDivElement>('output'),
  modelSource: element<HTMLSelectElement>('model-source'),
  modelFiles: element<HTMLInputElement>('model-files'),
  modelHint: element<HTMLParagraphElement>('model-hint'),
  head: element<HTMLSelectElement>('head'),
  inputSource: element<HTMLSelectElement>('input-source'),
  inputFile: element<HTMLInputElement>('input-file'),
  preset: element<HTMLSelectElement>('preset'),
  forcePreset: element<HTMLInputElement>('force-preset'),
  pad: element<HTMLInputElement>('pad'),
  downloads: element<HTMLDivElement>('downloads'),
  downloadJson: element<HTMLButtonElement>('download-json'),
  downloadPng: element<HTMLButtonElement>('download-png'),
  method: element<HTMLSelectElement>('method'),
  methodHint: element<HTMLParagraphElement>('method-hint'),
  target: element<HTMLSelectElement>('target'),
  seed: element<HTMLInputElement>('seed'),
  engine: element<HTMLSelectElement>('engine'),
  engineNotice: element<HTMLParagraphElement>('engine-notice'),
  methodOptions: element<HTMLDivElement>('method-options'),
  backgroundFiles: element<HTMLInputElement>('background-files'),
  backgroundHint: element<HTMLParagraphElement>('background-hint'),
  audioOptions: element<HTMLDivElement>('audio-options'),
  listeningHint: element<HTMLParagraphElement>('listening-hint'),
  explain: element<HTMLButtonElement>('explain'),
};

let manifest: DemoManifest = { model: 'demo/model/', recordings: [] };
let model: ExplainableModel | null = null;
let demoModel: ExplainableModel | null = null;
let onnxEngine: PageOnnxEngine | null = null;
/** The split recordings of the last explanation, one entry per item (undefined: not a recording). */
let shownListening: ReturnType<typeof listenToRows> = [];

/** The Engine menu's entries, one per engine choice of the library. */
const ENGINE_LABELS: Record<EngineChoice, string> = {
  auto: 'Automatic (ONNX Runtime Web when the model allows it)',
  onnx: 'ONNX Runtime Web',
  'onnx-cuda': 'ONNX Runtime with CUDA (Node only)',
  tfjs: 'TensorFlow.js',
};

/** The engines the page offers: the page has no CUDA. */
const PAGE_ENGINE_CHOICES = ENGINE_CHOICES.filter((choice) => choice !== 'onnx-cuda');

/** How the page names the engines that ran an explanation. */
function engineName(engine: string): string {
  const names: Record<string, string> = { onnx: 'ONNX Runtime Web', tfjs: `TensorFlow.js (${page.backend})` };
  return engine
    .split('+')
    .map((e) => names[e] ?? e)
    .join(' and ');
}

function setState(state: PageState['state']): void {
  page.state = state;
  document.body.dataset.state = state;
  ui.explain.disabled = state === 'busy' || state === 'starting' || model === null;
  ui.explain.textContent = state === 'busy' ? 'Explaining…' : 'Explain';
}

/** Shows an error as one line (a WingbeatsError's message, or the unexpected error's own message). */
function showError(error: unknown): void {
  const message =
    error instanceof WingbeatsError
      ? pageMessage(error.message)
      : `Unexpected error: ${error instanceof Error ? error.message : String(error)}`;
  page.error = message;
  ui.error.textContent = message;
  ui.error.hidden = false;
  ui.output.classList.add('stale');
  console.error(error);
  setState('error');
}

function clearError(): void {
  page.error = null;
  ui.error.hidden = true;
  ui.error.textContent = '';
}

function fill(
  select: HTMLSelectElement,
  options: { value: string; label: string; title?: string }[],
  selected?: string,
): void {
  select.replaceChildren(
    ...options.map((o) => {
      const option = new Option(o.label, o.value, false, o.value === selected);
      if (o.title !== undefined) option.title = o.title;
      return option;
    }),
  );
}

/** "Ae_aegypti_synthetic.wav" → "Ae. aegypti (synthetic)". */
function recordingLabel(url: string): string {
  const file = decodeURIComponent(url.slice(url.lastIndexOf('/') + 1)).replace(/\.wav$/i, '');
  const synthetic = /_synthetic$/i.test(file);
  const species = file
    .replace(/_synthetic$/i, '')
    .replace(/^([A-Z][a-z]?)_/, '$1. ')
    .replace(/_/g, ' ');
  return synthetic ? `${species} (synthetic)` : species;
}

/** The background set's files picked on the page. */
function backgroundPicked(): File[] {
  return Array.from(ui.backgroundFiles.files ?? []);
}

/**
 * The method menu from the registry: the methods that need a background set (gradient-shap, deeplift-shap) only once
 * one is picked, with a one-line hint under the background input either way. The chosen method stays when it is offered.
 */
function fillMethods(): void {
  const withBackground = backgroundPicked().length > 0;
  const current = ui.method.value;
  const offered = attributionMethodNames.filter((name) => withBackground || !needsFile(name));
  fill(
    ui.method,
    offered.map((name) => ({
      value: name,
      label: attributionMethods[name].title,
      title: attributionMethods[name].summary,
    })),
    (offered as string[]).includes(current) ? current : 'saliency',
  );
  ui.backgroundHint.textContent = backgroundHint(backgroundPicked().map((f) => f.name));
  showMethodHint();
}

function fillStaticMenus(): void {
  fillMethods();
  fill(
    ui.preset,
    FEATURE_PRESET_NAMES.map((name) => ({ value: name, label: name, title: FEATURE_PRESETS[name].description })),
  );
  fill(
    ui.engine,
    PAGE_ENGINE_CHOICES.map((choice) => ({ value: choice, label: ENGINE_LABELS[choice] })),
    ui.engine.value || 'auto',
  );
  fill(ui.inputSource, [
    ...manifest.recordings.map((url) => ({ value: url, label: recordingLabel(url) })),
    { value: 'file', label: 'Your file (.wav, .json, .npy)…' },
  ]);
}

function showMethodHint(): void {
  const name = ui.method.value;
  ui.methodHint.textContent = isAttributionMethodName(name) ? `${attributionMethods[name].summary}.` : '';
  if (isAttributionMethodName(name)) showMethodControls(ui.methodOptions, name);
}

function classCount(m: ExplainableModel, output: number): number | undefined {
  const shape = m.layersModel?.outputs[output]?.shape;
  const n = shape?.[shape.length - 1];
  return typeof n === 'number' ? n : m.labels(output)?.length;
}

function fillTargets(): void {
  if (model === null) return;
  const output = Number(ui.head.value || 0);
  const labels = model.labels(output);
  const n = classCount(model, output) ?? labels?.length ?? 0;
  const classes = Array.from({ length: n }, (_, i) => ({
    value: String(i),
    label: labels?.[i] !== undefined ? `${i}: ${labels[i]}` : `class ${i}`,
  }));
  fill(ui.target, [{ value: 'top', label: 'Top class (the prediction)' }, ...classes], 'top');
}

function useModel(next: ExplainableModel): void {
  model = next;
  // the finest classifier head: species, else genus, else the first head with class names, else the first head
  const head = next.defaultOutput;
  fill(
    ui.head,
    next.outputNames.map((name, i) => ({ value: String(i), label: name })),
    String(head),
  );
  ui.head.disabled = next.outputNames.length < 2;
  fillTargets();
  try {
    ui.preset.value = defaultPresetForModel(next);
  } catch {
    // no preset produces this input shape: .json/.npy inputs still work, recordings will say why they do not
  }
  const shape = (next.inputShape ?? []).map((d) => d ?? '?').join(', ');
  ui.modelHint.textContent = `${next.name}: input [${shape}], ${next.outputNames.length === 1 ? 'one head' : `${next.outputNames.length} heads`}.`;
  page.model = next.name;
  ui.status.textContent = `Backend: ${page.backend}${page.backend === 'wasm' ? ' (WebAssembly)' : ''}. Model '${next.name}' loaded${next === demoModel ? ' (the demo model)' : ''}.`;
}

/**
 * Leaves the page with no model: the previous one is freed (unless it is the demo model), the head and class menus are
 * emptied and Explain is disabled, so nothing can silently run on a model the form no longer shows.
 */
function dropModel(reason: string): void {
  if (model !== null && model !== demoModel) model.dispose();
  model = null;
  ui.engineNotice.hidden = true;
  page.model = null;
  fill(ui.head, []);
  fill(ui.target, []);
  ui.modelHint.textContent = reason;
  ui.status.textContent = `Backend: ${page.backend}. No model loaded: ${reason}`;
  ui.downloads.hidden = true;
  ui.output.classList.add('stale');
}

/** Counts model loads, so a load that finishes after a newer one started (or after the demo was chosen) is dropped. */
let modelLoads = 0;

async function onModelFiles(): Promise<void> {
  const files = Array.from(ui.modelFiles.files ?? []);
  if (files.length === 0) return;
  const load = ++modelLoads;
  clearError();
  setState('busy');
  const names = files.map((f) => f.name).join(', ');
  dropModel(`loading '${names}'…`);
  try {
    const picked = await loadPickedModel(await Promise.all(files.map(readPicked)));
    if (load !== modelLoads) {
      picked.dispose();
      return;
    }
    useModel(picked);
    setState('ready');
  } catch (error) {
    if (load !== modelLoads) return;
    dropModel(`'${names}' could not be loaded. Pick another file, or choose the demo model.`);
    showError(error);
  }
}

async function onModelSource(): Promise<void> {
  const fromFile = ui.modelSource.value === 'file';
  ui.modelFiles.hidden = !fromFile;
  if (fromFile) {
    if ((ui.modelFiles.files?.length ?? 0) > 0) await onModelFiles();
    else {
      dropModel(
        'pick a Keras .keras or .h5, or a TensorFlow.js model.json with its .bin weight files (and optionally a labels.json).',
      );
      setState('ready');
    }
    return;
  }
  if (demoModel !== null) {
    modelLoads += 1; // a file still loading must not replace the demo model when it finishes
    if (model !== null && model !== demoModel) model.dispose();
    ui.engineNotice.hidden = true;
    clearError();
    useModel(demoModel);
    setState(page.runs > 0 ? 'done' : 'ready');
  }
}

/** How recordings become model inputs: the page's preset and its two ticks. */
function readChoices(): { preset: FeaturePresetName; pad: boolean; forcePreset: boolean } {
  const preset = ui.preset.value;
  if (!isFeaturePresetName(preset)) throw new WingbeatsError('INVALID_ARGUMENT', `Unknown feature preset '${preset}'.`);
  return { preset, pad: ui.pad.checked, forcePreset: ui.forcePreset.checked };
}

/**
 * The background set for `method` when it takes one (read like the input: the page's preset), else undefined. A method
 * that needs one is only offered once files are picked; the library's own message covers the case anyway.
 */
async function readSelectedBackground(
  current: ExplainableModel,
  method: AttributionMethodName,
): Promise<{ inputs: unknown[]; names: string[] } | undefined> {
  if (!(BACKGROUND_METHODS as string[]).includes(method)) return undefined;
  const files = backgroundPicked();
  if (files.length === 0) return undefined;
  const sources: InputSource[] = await Promise.all(files.map(readPicked));
  return readBackground(sources, current, readChoices());
}

/** The chosen recording or file as model inputs, through the library's pipeline (the same reading as the CLI's). */
async function readSelectedInput(current: ExplainableModel): Promise<InputItem[]> {
  const choices = readChoices();
  if (ui.inputSource.value === 'file') {
    const file = ui.inputFile.files?.[0];
    if (file === undefined)
      throw new WingbeatsError('INVALID_ARGUMENT', 'Pick an input file (.wav, .json or .npy) first.');
    return readInputSource(await readPicked(file), current, choices);
  }
  const url = ui.inputSource.value;
  return readInputSource(
    { name: decodeURIComponent(url.slice(url.lastIndexOf('/') + 1)), bytes: await fetchBytes(url) },
    current,
    choices,
  );
}

/** Runs the chosen method over every input in one batch through the pipeline; results as plain arrays. */
async function explain(
  current: ExplainableModel,
  inputs: InputItem[],
  method: AttributionMethodName,
  output: number,
  target: number | null,
  seed: number,
  engineChoice: EngineChoice,
  tuning: Record<string, unknown> = {},
  background?: { inputs: unknown[]; names: string[] },
  listening: Record<string, unknown> = {},
): Promise<ExplainRecord> {
  const started = performance.now();
  const rows = await explainItems(current, inputs, {
    method,
    target: target ?? undefined,
    output,
    seed,
    workers: page.workers,
    engine: engineChoice,
    methodOptions: background === undefined ? tuning : { ...tuning, background: background.inputs },
  });
  page.explainMs = performance.now() - started;
  // Every recording split into what the model used and what it ignored, each part classified again.
  const heard = listenToRows(current, rows, output, listening);
  shownListening = heard;
  const items = rows.map((row, i) => ({
    name: row.item.name,
    preset: row.item.recording === undefined ? undefined : (ui.preset.value as FeaturePresetName),
    shape: row.item.shape,
    input: Array.from(row.item.data),
    target: row.target,
    targetName: row.targetName,
    probabilities: row.probabilities,
    scores: row.logits,
    attributions: Array.from(row.attributions),
    heatmap: Array.from(row.heatmap),
    delta: row.delta,
    relativeDelta: itemRelativeGap(row),
    warnings: row.item.warnings,
    axes: row.item.axes,
    frequencyBands: itemFrequencyBands(row),
    ...audioFacts(heard[i]),
  }));
  const ran = new Set(rows.flatMap((row) => row.engine.split('+')));
  const engine = ['onnx', 'tfjs', ...ran].filter((e, i, all) => ran.has(e) && all.indexOf(e) === i).join('+');
  return {
    method,
    model: current.name,
    head: current.outputNames[output],
    output,
    target,
    seed,
    tuning,
    ...(background === undefined ? {} : { background: background.names }),
    listening,
    engineChoice,
    engine,
    items,
  };
}

/** The listening facts of one item for the record (plain JSON; the samples stay in `shownListening`). */
function audioFacts(heard: ReturnType<typeof listenToRows>[number]): Pick<ExplainedInput, 'audio' | 'audioNote'> {
  if (heard === undefined) return {};
  if ('note' in heard) return { audioNote: heard.note };
  return { audio: { ...heard.audio, playbackGain: heard.playbackGain } };
}

function formatProbability(p: number): string {
  return p >= 0.995 ? '1.00' : p < 0.005 ? (p === 0 ? '0' : p.toExponential(0)) : p.toFixed(2);
}

function predictionTable(item: ExplainedInput, labels: string[] | undefined): HTMLTableElement {
  const values = item.probabilities ?? item.scores;
  const order = values.map((v, i) => [v, i] as const).sort((a, b) => b[0] - a[0]);
  const top = order[0]?.[1];
  const max = Math.max(...values.map(Math.abs), 1e-12);
  const table = document.createElement('table');
  table.className = 'prediction';
  const head = table.createTHead().insertRow();
  for (const text of ['Class', item.probabilities !== undefined ? 'p' : 'score', '']) {
    const th = document.createElement('th');
    th.textContent = text;
    th.style.textAlign = 'left';
    th.style.fontSize = '11px';
    th.style.color = '#5b6472';
    head.append(th);
  }
  const body = table.createTBody();
  for (const [value, index] of order) {
    const row = body.insertRow();
    if (index === top) row.className = 'top';
    const name = row.insertCell();
    name.textContent = labels?.[index] ?? `class ${index}`;
    if (index === item.target) {
      const tag = document.createElement('span');
      tag.className = 'tag';
      tag.textContent = 'explained';
      name.append(tag);
    }
    const p = row.insertCell();
    p.className = 'p';
    p.textContent = item.probabilities !== undefined ? formatProbability(value) : value.toFixed(2);
    const bar = row.insertCell();
    bar.className = 'bar';
    const fillBar = document.createElement('div');
    fillBar.className = 'fill';
    const percent = (100 * Math.abs(value)) / max;
    fillBar.style.width = `${percent.toFixed(1)}%`;
    if (percent >= 0.5) bar.append(fillBar);
  }
  return table;
}

async function showRecord(current: ExplainableModel, record: ExplainRecord): Promise<void> {
  const labels = current.labels(record.output);
  const { title, signed } = attributionMethods[record.method];
  const sections: HTMLElement[] = [];
  for (const [i, item] of record.items.entries()) {
    const section = document.createElement('article');
    section.className = 'result';
    section.dataset.input = item.name;
    const h2 = document.createElement('h2');
    const predicted = item.probabilities ?? item.scores;
    const top = predicted.indexOf(Math.max(...predicted));
    h2.textContent = `${item.name}: predicted ${labels?.[top] ?? `class ${top}`}`;
    const meta = document.createElement('p');
    meta.className = 'meta';
    meta.textContent = `${title} of class ${item.targetName ?? item.target} — model '${record.model}', head '${record.head}'${item.preset !== undefined ? `, features: ${item.preset}` : ''}.`;
    if (item.frequencyBands.length > 0)
      meta.textContent += ` Most relevant: ${formatFrequencyBands(item.frequencyBands)}.`;
    meta.textContent += ` Engine: ${engineName(record.engine)}.`;
    const warnings = document.createElement('ul');
    warnings.className = 'warnings';
    warnings.hidden = item.warnings.length === 0;
    warnings.replaceChildren(
      ...item.warnings.map((w) => Object.assign(document.createElement('li'), { textContent: pageMessage(w) })),
    );
    const body = document.createElement('div');
    body.className = 'result-body';
    body.append(predictionTable(item, labels));
    const chart = document.createElement('figure');
    chart.className = 'chart';
    chart.style.margin = '0';
    if (i < MAX_CHARTS) {
      const svg = await renderChartSvg(
        explanationSpec({
          input: item.input,
          shape: item.shape,
          attributions: item.attributions,
          heatmap: item.heatmap,
          signed,
          method: record.method,
          className: item.targetName ?? `class ${item.target}`,
          score: item.probabilities?.[item.target],
          scoreLabel: 'p',
          subtitle: item.name,
          preset: item.preset,
        }),
      );
      chart.innerHTML = svg;
      const caption = document.createElement('figcaption');
      caption.className = 'caption';
      // The report's caption text (the bands are named in the line above the chart).
      caption.textContent = explanationCaptionText(record.method, {
        shape: item.shape,
        delta: item.delta,
        relativeGap: item.relativeDelta,
      });
      chart.append(caption);
    } else {
      chart.textContent = `Chart left out: only the first ${MAX_CHARTS} inputs are drawn.`;
    }
    body.append(chart);
    section.append(h2, meta, warnings, body);
    const heard = shownListening[i];
    if (heard !== undefined) section.append(listeningSection(heard));
    sections.push(section);
  }
  ui.output.replaceChildren(...sections);
  ui.output.classList.remove('stale');
  ui.downloads.hidden = false;
}

/** The file name stem of the last result: `<model>-<head>-<method>`. */
function resultStem(record: ExplainRecord): string {
  return `${record.model}-${record.head}-${record.method}`.replace(/[^A-Za-z0-9._-]+/g, '_');
}

function onDownloadJson(): void {
  if (page.last !== null) downloadJson(page.last, `${resultStem(page.last)}.json`);
}

async function onDownloadPng(): Promise<void> {
  const record = page.last;
  if (record === null) return;
  try {
    const svgs = Array.from(ui.output.querySelectorAll('.chart svg'), (svg) =>
      new XMLSerializer().serializeToString(svg),
    );
    offerDownload(await svgsToPng(svgs), `${resultStem(record)}.png`);
  } catch (error) {
    showError(error);
  }
}

async function onExplain(event: SubmitEvent): Promise<void> {
  event.preventDefault();
  const current = model;
  if (current === null || page.state === 'busy') return;
  clearError();
  setState('busy');
  try {
    const method = ui.method.value;
    if (!isAttributionMethodName(method)) throw new WingbeatsError('INVALID_ARGUMENT', `Unknown method '${method}'.`);
    const seed = Number(ui.seed.value || 0);
    if (!Number.isInteger(seed) || seed < 0)
      throw new WingbeatsError(
        'INVALID_ARGUMENT',
        `The seed must be a non-negative integer but got '${ui.seed.value}'.`,
      );
    const inputs = await readSelectedInput(current);
    const background = await readSelectedBackground(current, method);
    const output = Number(ui.head.value || 0);
    const target = ui.target.value === 'top' ? null : Number(ui.target.value);
    const engineChoice = ui.engine.value as EngineChoice;
    if (!(PAGE_ENGINE_CHOICES as readonly string[]).includes(engineChoice))
      throw new WingbeatsError('INVALID_ARGUMENT', `Unknown engine '${engineChoice}'.`);
    const started = performance.now();
    const record = await explain(
      current,
      inputs,
      method,
      output,
      target,
      seed,
      engineChoice,
      methodControlValues(ui.methodOptions, method),
      background,
      optionControlValues(ui.audioOptions, LISTENING_OPTIONS),
    );
    await showRecord(current, record);
    showEngineNotice(current, record);
    page.last = record;
    page.runs += 1;
    ui.status.textContent = `Engine: ${engineName(record.engine)}${record.engine.includes('onnx') ? ` (WebAssembly, ${page.onnxThreads} thread${page.onnxThreads === 1 ? '' : 's'})` : ''}. Model '${current.name}', head '${record.head}': ${attributionMethods[method].title} of ${inputs.length} input${inputs.length === 1 ? '' : 's'} in ${Math.round(performance.now() - started)} ms.`;
    setState('done');
  } catch (error) {
    showError(error);
  }
}

/**
 * Shows why the model ran on TensorFlow.js when ONNX Runtime Web was asked for (one line naming what stopped it), or
 * hides the notice when it did run natively.
 */
function showEngineNotice(current: ExplainableModel, record: ExplainRecord): void {
  const reason = record.engineChoice === 'tfjs' ? undefined : onnxEngine?.fallbackReason(current);
  ui.engineNotice.hidden = reason === undefined;
  ui.engineNotice.textContent = reason === undefined ? '' : pageMessage(reason);
}

async function start(): Promise<void> {
  fillStaticMenus();
  ui.form.addEventListener('submit', (event) => void onExplain(event));
  ui.method.addEventListener('change', showMethodHint);
  ui.backgroundFiles.addEventListener('change', fillMethods);
  showOptionControls(ui.audioOptions, LISTENING_OPTIONS);
  ui.listeningHint.textContent = LISTENING_HINT;
  ui.head.addEventListener('change', fillTargets);
  ui.modelSource.addEventListener('change', () => void onModelSource());
  ui.modelFiles.addEventListener('change', () => void onModelFiles());
  ui.downloadJson.addEventListener('click', onDownloadJson);
  ui.downloadPng.addEventListener('click', () => void onDownloadPng());
  ui.inputSource.addEventListener('change', () => {
    ui.inputFile.hidden = ui.inputSource.value !== 'file';
  });

  const wasmPaths = new URL('./wasm/', window.location.href).href;
  page.backend = await setupBackend({
    backend: 'wasm',
    wasmPaths,
    warn: (message) => {
      ui.notice.textContent = `${message.replace(/^wingbeats-xai: /, '')} Explanations are the same, only slower.`;
      ui.notice.hidden = false;
    },
  });
  document.body.dataset.backend = page.backend;
  if (typeof Worker !== 'undefined') {
    registerWorkerPlatform(webWorkerPlatform(new URL('./pool-worker.js', window.location.href).href, wasmPaths));
    page.workers = defaultWorkerCount();
  }
  // ONNX Runtime Web from the page's own ort/ folder: the engine of 'auto' for every model that lowers to ONNX.
  onnxEngine = usePageOnnxEngine({ wasmPaths: new URL('./ort/', window.location.href).href, threads: page.workers });
  page.onnxThreads = onnxEngine.threads;

  manifest = JSON.parse(new TextDecoder().decode(await fetchBytes('demo/manifest.json'))) as DemoManifest;
  fillStaticMenus();
  ui.inputFile.hidden = ui.inputSource.value !== 'file';
  demoModel = await loadDemoModel(manifest);
  useModel(demoModel);
  setState('ready');
  onnxEngine.preload();
}

window.addEventListener('unhandledrejection', (event) => showError(event.reason));
start().catch(showError);
