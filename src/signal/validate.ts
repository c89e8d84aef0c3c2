/** Internal argument checks shared by the signal functions (not part of the public surface). */
import { argumentError, described } from '../util/errors.js';
import { isFftSize } from './fft.js';

/** Throws unless `value` is an integer ≥ `min`. */
export function checkInteger(fn: string, name: string, value: unknown, min: number): number {
  if (typeof value !== 'number' || !Number.isInteger(value) || value < min) {
    throw argumentError(fn, name, `an integer >= ${min}`, value);
  }
  return value;
}

/** Throws unless `value` is a finite number > 0. */
export function checkPositive(fn: string, name: string, value: unknown): number {
  if (typeof value !== 'number' || !Number.isFinite(value) || value <= 0) {
    throw argumentError(fn, name, 'a finite number > 0', value);
  }
  return value;
}

/** Throws unless `value` is a power of two ≥ 4 (what the FFT accepts). */
export function checkFftLength(fn: string, name: string, value: unknown): number {
  if (typeof value !== 'number' || !isFftSize(value)) throw argumentError(fn, name, 'a power of two >= 4', value);
  return value;
}

/** Throws unless `signal` is an array-like of numbers. */
export function checkSignal(fn: string, signal: unknown): ArrayLike<number> {
  if (!(ArrayBuffer.isView(signal) || Array.isArray(signal)) || signal instanceof DataView) {
    throw argumentError(fn, 'signal', 'a Float32Array, Float64Array or number[]', signal);
  }
  return signal as unknown as ArrayLike<number>;
}

/** Throws unless the signal holds at least `min` samples. */
export function checkLength(fn: string, signal: ArrayLike<number>, min: number, why: string): void {
  if (signal.length < min) {
    throw argumentError(fn, 'signal', `at least ${min} samples long (${why})`, described(`${signal.length} samples`));
  }
}
