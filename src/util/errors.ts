/**
 * One error class for the whole library, with a stable machine-readable `code`.
 * Messages follow TensorFlow.js: they name the argument, the function, what was expected and what came.
 */

import { didYouMean } from './nearest-name.js';

/** Stable error codes; scripts may switch on them. */
export type WingbeatsErrorCode =
  | 'INVALID_ARGUMENT'
  | 'SHAPE_MISMATCH'
  | 'NON_FINITE_INPUT'
  | 'TARGET_OUT_OF_RANGE'
  | 'UNKNOWN_OUTPUT'
  | 'UNSUPPORTED_MODEL'
  | 'UNKNOWN_LAYER'
  | 'UNSAFE_LAYER'
  | 'INVALID_FILE'
  | 'WEIGHTS_MISMATCH'
  | 'BACKEND'
  | 'IO'
  | 'PRESET_MISMATCH'
  | 'LIMIT_EXCEEDED'
  | 'OUTPUT_EXISTS'
  | 'LOCKED'
  | 'WORKER_FAILED'
  | 'ABORTED';

/** The error every public function of wingbeats-xai throws for a problem it can name. */
export class WingbeatsError extends Error {
  /** Stable identifier of the kind of problem. */
  readonly code: WingbeatsErrorCode;

  constructor(code: WingbeatsErrorCode, message: string, options?: { cause?: unknown }) {
    super(safeMessageText(message), options);
    this.name = 'WingbeatsError';
    this.code = code;
  }
}

/** Longest message an error carries (longer ones are cut, saying how much was left out). */
export const MAX_MESSAGE_LENGTH = 2000;

// C0 controls (except newline and tab), DEL, C1 controls, and the Unicode bidirectional overrides and isolates.
const UNSAFE_CHARACTERS = /[\u0000-\u0008\u000b-\u001f\u007f-\u009f\u200e\u200f\u202a-\u202e\u2066-\u2069]/g;

/**
 * Text that is safe to print on a terminal: control characters (terminal escape sequences, bidirectional overrides)
 * written as visible escapes (`\x1b`, `\u202e`), cut to `maxLength` characters. Messages quote bytes from files, so
 * every error message goes through this.
 *
 * @param text - Any text.
 * @param maxLength - Longest result (default {@link MAX_MESSAGE_LENGTH}).
 * @returns The escaped, capped text.
 * @example
 * safeMessageText('bad \u001b]0;title\u0007'); // 'bad \\x1b]0;title\\x07'
 */
export function safeMessageText(text: string, maxLength = MAX_MESSAGE_LENGTH): string {
  const escaped = String(text).replace(UNSAFE_CHARACTERS, (c) => {
    const code = c.charCodeAt(0);
    return code <= 0xff ? `\\x${code.toString(16).padStart(2, '0')}` : `\\u${code.toString(16).padStart(4, '0')}`;
  });
  if (escaped.length <= maxLength) return escaped;
  const kept = escaped.slice(0, Math.max(0, maxLength - 40));
  return `${kept}… (${escaped.length - kept.length} more characters)`;
}

/** Short human description of a value for error messages ("a string 'abc'", "an array of length 3", ...). */
export function describeValue(value: unknown): string {
  if (value === null) return 'null';
  if (value === undefined) return 'undefined';
  if (typeof value === 'number') return Number.isNaN(value) ? 'NaN' : String(value);
  if (typeof value === 'string') return `'${value.length > 60 ? `${value.slice(0, 57)}...` : value}'`;
  if (typeof value === 'boolean' || typeof value === 'bigint') return String(value);
  if (Array.isArray(value)) return `an array of length ${value.length}`;
  if (ArrayBuffer.isView(value))
    return `a ${value.constructor.name} of length ${(value as unknown as ArrayLike<number>).length}`;
  if (typeof value === 'function') return 'a function';
  const shape = (value as { shape?: unknown }).shape;
  if (Array.isArray(shape)) return `a tensor of shape [${shape.join(',')}]`;
  return `an object of type ${(value as object).constructor?.name ?? 'Object'}`;
}

/**
 * Builds the standard argument error:
 * "Argument 'target' passed to 'integratedGradients' must be < 6 (number of classes) but got 12."
 * With `choices` (the names a string could have been), a near one is suggested: "… but got 'salency'. Did you mean
 * 'saliency'?"
 */
export function argumentError(
  functionName: string,
  argument: string,
  expected: string,
  got: unknown,
  code: WingbeatsErrorCode = 'INVALID_ARGUMENT',
  choices: readonly string[] = [],
): WingbeatsError {
  const gotText = typeof got === 'string' && got.startsWith('#') ? got.slice(1) : describeValue(got);
  const hint = typeof got === 'string' && !got.startsWith('#') ? didYouMean(got, choices) : '';
  return new WingbeatsError(
    code,
    `Argument '${argument}' passed to '${functionName}' must be ${expected} but got ${gotText}.${hint}`,
  );
}

/** Marks a pre-formatted description for {@link argumentError} (so it is not quoted as a string). */
export function described(text: string): string {
  return `#${text}`;
}
