/**
 * Parsing JSON that comes from files (inputs, baselines, statistics, model.json, an .h5 `model_config`): a UTF-8
 * byte-order mark is dropped, nesting deeper than a bound is refused before parsing (deep nesting overflows the
 * stack of every recursive walk that follows), and failures are one `INVALID_FILE` line naming the file.
 * Universal.
 */
import { WingbeatsError } from '../util/errors.js';

/** Deepest nesting of arrays and objects accepted in a JSON file (inputs are 4 deep, Keras configs about 20). */
export const MAX_JSON_DEPTH = 256;

/**
 * The deepest nesting of `[`/`{` in JSON text (brackets inside strings do not count). Linear, no recursion.
 *
 * @example jsonNestingDepth('[[1], {"a": [2]}]'); // 3
 */
export function jsonNestingDepth(text: string): number {
  let depth = 0;
  let deepest = 0;
  let inString = false;
  for (let i = 0; i < text.length; i++) {
    const c = text.charCodeAt(i);
    if (inString) {
      if (c === 0x5c /* \ */) i++;
      else if (c === 0x22 /* " */) inString = false;
    } else if (c === 0x22) inString = true;
    else if (c === 0x5b /* [ */ || c === 0x7b /* { */) {
      depth++;
      if (depth > deepest) deepest = depth;
    } else if (c === 0x5d /* ] */ || c === 0x7d /* } */) depth--;
  }
  return deepest;
}

/**
 * Parses the JSON text of a file.
 *
 * @param text - The text (a leading byte-order mark is ignored).
 * @param label - Starts the messages, e.g. `"Input 'x.json'"`.
 * @param maxDepth - Deepest nesting accepted (default {@link MAX_JSON_DEPTH}).
 * @returns The parsed value.
 * @throws WingbeatsError `INVALID_FILE` for text that is not JSON or is nested too deep.
 * @example parseJsonText('\ufeff[1, 2]', "Input 'x.json'"); // [1, 2]
 */
export function parseJsonText(text: string, label: string, maxDepth = MAX_JSON_DEPTH): unknown {
  const body = text.charCodeAt(0) === 0xfeff ? text.slice(1) : text;
  const depth = jsonNestingDepth(body);
  if (depth > maxDepth) {
    throw new WingbeatsError(
      'INVALID_FILE',
      `${label} is nested ${depth} levels deep, more than the limit of ${maxDepth}.`,
    );
  }
  try {
    return JSON.parse(body);
  } catch (error) {
    // V8 quotes the start of the text ('Unexpected token ..., "<bytes>" is not valid JSON'): a binary file's bytes
    // would reach the message, so only the parser's own words are kept.
    const reason = (error as Error).message.replace(/,\s*".*"\s+is not valid JSON$/s, '');
    throw new WingbeatsError('INVALID_FILE', `${label} is not valid JSON: ${reason}`, { cause: error });
  }
}

/**
 * Parses JSON from bytes (UTF-8, byte-order mark ignored); see {@link parseJsonText}.
 * @example parseJsonBytes(bytes, "'model.json'");
 */
export function parseJsonBytes(bytes: Uint8Array, label: string, maxDepth = MAX_JSON_DEPTH): unknown {
  return parseJsonText(new TextDecoder().decode(bytes), label, maxDepth);
}
