/**
 * The page's option controls, generated from the library's option specs (one per option, same defaults as the CLI): the
 * chosen method's options, and the listening options (`AUDIO_OPTIONS`).
 */
import {
  WingbeatsError,
  attributionMethods,
  parseOptionText,
  type AttributionMethodName,
  type OptionSpec,
} from '../src/index.js';

/** Options the page offers: numbers, choices, switches and names (a baseline file is a command-line option). */
function offered(spec: OptionSpec): boolean {
  return (
    spec.type === 'integer' ||
    spec.type === 'number' ||
    spec.type === 'choice' ||
    spec.type === 'boolean' ||
    spec.type === 'string'
  );
}

/** The element id of an option's control (prefixed, so an option name never clashes with the page's own ids). */
export function controlId(name: string): string {
  return `option-${name}`;
}

/**
 * A spec's help as a control's label: without the list of methods it applies to, the command-line flag of listening
 * (`--audio`) named in the page's words, capitalised.
 * @example optionLabel(AUDIO_OPTIONS[2]) // "Share of the most relevant positions that listening counts as used"
 */
export function optionLabel(spec: OptionSpec): string {
  return spec.help
    .replace(/^[a-z-]+(, [a-z-]+)*: /, '')
    .replace(/--audio\b/g, 'listening')
    .replace(/^./, (c) => c.toUpperCase());
}

function control(spec: OptionSpec): HTMLElement[] {
  const [label, field] = labelledField(spec);
  field.dataset.option = spec.name;
  return [label, field];
}

function labelledField(spec: OptionSpec): [HTMLLabelElement, HTMLInputElement | HTMLSelectElement] {
  const label = document.createElement('label');
  label.htmlFor = controlId(spec.name);
  label.textContent = optionLabel(spec);
  if (spec.type === 'choice') {
    const select = document.createElement('select');
    select.id = controlId(spec.name);
    for (const choice of spec.choices ?? []) select.append(new Option(choice, choice, false, choice === spec.default));
    return [label, select];
  }
  const input = document.createElement('input');
  input.id = controlId(spec.name);
  if (spec.type === 'boolean') {
    input.type = 'checkbox';
    input.checked = spec.default === true;
    return [label, input];
  }
  if (spec.type === 'string') {
    // Empty: the method's own default (e.g. Grad-CAM's last convolution layer).
    input.type = 'text';
    input.placeholder = 'default';
    return [label, input];
  }
  input.type = 'number';
  if (spec.min !== undefined) input.min = String(spec.min);
  if (spec.max !== undefined) input.max = String(spec.max);
  input.step = spec.type === 'integer' ? '1' : 'any';
  input.value = String(spec.default ?? '');
  return [label, input];
}

/** Fills `container` with one control per offered spec (hidden when there is none). */
export function showOptionControls(container: HTMLElement, specs: readonly OptionSpec[]): void {
  container.replaceChildren(...specs.filter(offered).flatMap(control));
  container.hidden = container.childElementCount === 0;
}

/** The values of the offered `specs` read from their controls in `container`, checked against the specs. */
export function optionControlValues(container: HTMLElement, specs: readonly OptionSpec[]): Record<string, unknown> {
  const values: Record<string, unknown> = {};
  for (const spec of specs.filter(offered)) {
    const element = container.querySelector<HTMLInputElement | HTMLSelectElement>(`#${controlId(spec.name)}`);
    if (element === null) throw new WingbeatsError('INVALID_ARGUMENT', `The control of '${spec.name}' is missing.`);
    if (spec.type === 'boolean') values[spec.name] = (element as HTMLInputElement).checked;
    else if (element.value.trim() === '' && spec.default === undefined) continue;
    else values[spec.name] = parseOptionText(spec, element.value.trim(), `'${spec.name}'`);
  }
  return values;
}

/** Fills `container` with the controls of `method`'s options (empty for methods without options). */
export function showMethodControls(container: HTMLElement, method: AttributionMethodName): void {
  showOptionControls(container, attributionMethods[method].options);
}

/** The option values of `method` read from its controls, checked against the specs. */
export function methodControlValues(container: HTMLElement, method: AttributionMethodName): Record<string, unknown> {
  return optionControlValues(container, attributionMethods[method].options);
}

/**
 * Whether `method` needs a file the user gives and that has no default (the SHAP methods' background set): the page
 * offers such a method only once that file is picked.
 */
export function needsFile(method: AttributionMethodName): boolean {
  return (attributionMethods[method].options as readonly OptionSpec[]).some(
    (o) => o.type === 'file' && o.default === undefined,
  );
}
