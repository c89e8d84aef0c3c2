/**
 * Node only: reading a labels file (`--labels FILE`): class names for a model whose file does not name its classes.
 * A `.json` file holds a list of names (the model's last head) or an object `{head: [names]}`; any other file holds
 * one name per line (blank lines at the end ignored).
 */
import { extname } from 'node:path';
import { WingbeatsError } from '../util/errors.js';
import { parseJsonBytes } from '../io/json-text.js';
import { FILE_SIZE_LIMITS, readRegularFile } from './read-regular-file.js';

function isNameList(value: unknown): value is string[] {
  return Array.isArray(value) && value.length > 0 && value.every((name) => typeof name === 'string');
}

/**
 * The class names in `path`, as `loadModel`'s `labels` option takes them (their count is checked against the model's
 * heads when it is loaded).
 * @throws WingbeatsError `IO`/`LIMIT_EXCEEDED` when it cannot be read, `INVALID_FILE` when it holds no names or JSON of
 *   another form.
 * @example await readLabelsFile('classes.txt'); // ['yes', 'no', 'noise']
 */
export async function readLabelsFile(path: string): Promise<string[] | Record<string, string[]>> {
  const bytes = await readRegularFile(path, { what: 'The --labels file', maxBytes: FILE_SIZE_LIMITS.json });
  const source = `The --labels file '${path}'`;
  if (extname(path).toLowerCase() === '.json') {
    const value = parseJsonBytes(bytes, source);
    if (isNameList(value)) return value;
    if (typeof value === 'object' && value !== null && !Array.isArray(value)) {
      const entries = Object.entries(value);
      if (entries.length > 0 && entries.every(([, list]) => isNameList(list)))
        return Object.fromEntries(entries) as Record<string, string[]>;
    }
    throw new WingbeatsError(
      'INVALID_FILE',
      `${source} must hold a list of class names (["yes", "no"]) or one list per head ({"species": [...]}).`,
    );
  }
  const lines = new TextDecoder()
    .decode(bytes)
    .replace(/^\uFEFF/, '')
    .split(/\r?\n/);
  while (lines.length > 0 && lines[lines.length - 1].trim() === '') lines.pop();
  if (lines.length === 0)
    throw new WingbeatsError('INVALID_FILE', `${source} is empty; it needs one class name per line.`);
  return lines.map((line) => line.trim());
}
