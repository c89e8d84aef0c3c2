/**
 * One error class for the whole library, with a stable machine-readable `code`.
 * Messages follow TensorFlow.js: they name the argument, the function, what was expected and what came.
 */

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
  | 'PRESET_MISMATCH';

/** The error every public function of wingbeats-xai throws for a problem it can name. */
export class WingbeatsError extends Error {
  /** Stable identifier of the kind of problem. */
  readonly code: WingbeatsErrorCode;

  constructor(code: WingbeatsErrorCode, message: string, options?: { cause?: unknown }) {
    super(message, options);
    this.name = 'WingbeatsError';
    this.code = code;
  }
}

/** Short human description of a value for error messages ("a string 'abc'", "an array of length 3", ...). */
export function describeValue(value: unknown): string {
  if (value === null) return 'null';
  if (value === undefined) return 'undefined';
  if (typeof value === 'number') return Number.isNaN(value) ? 'NaN' : String(value);
  if (typeof value === 'string') return `'${value.length > 60 ? `${value.slice(0, 57)}...` : value}'`;
  if (typeof value === 'boolean' || typeof value === 'bigint') return String(value);
  if (Array.isArray(value)) return `an array of length ${value.length}`;
  if (ArrayBuffer.isView(value)) return `a ${value.constructor.name} of length ${(value as unknown as ArrayLike<number>).length}`;
  if (typeof value === 'function') return 'a function';
  const shape = (value as { shape?: unknown }).shape;
  if (Array.isArray(shape)) return `a tensor of shape [${shape.join(',')}]`;
  return `an object of type ${(value as object).constructor?.name ?? 'Object'}`;
}

/**
 * Builds the standard argument error:
 * "Argument 'target' passed to 'integratedGradients' must be < 6 (number of classes) but got 12."
 */
export function argumentError(
  functionName: string,
  argument: string,
  expected: string,
  got: unknown,
  code: WingbeatsErrorCode = 'INVALID_ARGUMENT',
): WingbeatsError {
  const gotText = typeof got === 'string' && got.startsWith('#') ? got.slice(1) : describeValue(got);
  return new WingbeatsError(code, `Argument '${argument}' passed to '${functionName}' must be ${expected} but got ${gotText}.`);
}

/** Marks a pre-formatted description for {@link argumentError} (so it is not quoted as a string). */
export function described(text: string): string {
  return `#${text}`;
}
