/** The method's option controls of the page, generated from the registry's option specs (one per option, same defaults as the CLI). */
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

function control(spec: OptionSpec): HTMLElement[] {
  const [label, field] = labelledField(spec);
  field.dataset.option = spec.name;
  return [label, field];
}

function labelledField(spec: OptionSpec): [HTMLLabelElement, HTMLInputElement | HTMLSelectElement] {
  const label = document.createElement('label');
  label.htmlFor = controlId(spec.name);
  label.textContent = spec.help.replace(/^[a-z-]+(, [a-z-]+)*: /, '').replace(/^./, (c) => c.toUpperCase());
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

/** Fills `container` with the controls of `method`'s options (empty for methods without options). */
export function showMethodControls(container: HTMLElement, method: AttributionMethodName): void {
  container.replaceChildren(...attributionMethods[method].options.filter(offered).flatMap(control));
  container.hidden = container.childElementCount === 0;
}

/** The option values of `method` read from its controls, checked against the specs. */
export function methodControlValues(container: HTMLElement, method: AttributionMethodName): Record<string, unknown> {
  const values: Record<string, unknown> = {};
  for (const spec of (attributionMethods[method].options as readonly OptionSpec[]).filter(offered)) {
    const element = container.querySelector<HTMLInputElement | HTMLSelectElement>(`#${controlId(spec.name)}`);
    if (element === null) throw new WingbeatsError('INVALID_ARGUMENT', `The control of '${spec.name}' is missing.`);
    if (spec.type === 'boolean') values[spec.name] = (element as HTMLInputElement).checked;
    else if (element.value.trim() === '' && spec.default === undefined) continue;
    else values[spec.name] = parseOptionText(spec, element.value.trim(), `'${spec.name}'`);
  }
  return values;
}
