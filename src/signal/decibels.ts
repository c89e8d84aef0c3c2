/** Decibels against a reference with a floor and a dynamic-range limit, as librosa's `power_to_db` defines them. */
import { argumentError } from '../util/errors.js';

/** Options of {@link toDecibels}. */
export interface DecibelOptions {
  /** 10 for power values (default), 20 for magnitudes. */
  multiplier?: 10 | 20;
  /** Reference that maps to 0 dB: a positive number (default 1) or `'max'` (the largest value of this input). */
  ref?: number | 'max';
  /** Floor of values and reference before the logarithm. Default 1e-10 for power, 1e-5 for magnitudes. */
  amin?: number;
  /** Keep only this many dB below the loudest value (larger values clip to `max − topDb`); default: no limit. */
  topDb?: number;
}

/**
 * `multiplier · log10(max(amin, x)) − multiplier · log10(max(amin, ref))`, then clipped below at `max − topDb` when
 * `topDb` is given (librosa `power_to_db`; `amplitude_to_db` with `multiplier: 20`, `amin: 1e-5`).
 *
 * @param values - Power (or magnitude) values ≥ 0.
 * @param options - {@link DecibelOptions}: multiplier 10, ref 1, amin 1e-10 (1e-5 for 20), no topDb.
 * @returns A new Float64Array of dB values.
 * @throws WingbeatsError `INVALID_ARGUMENT` for a bad ref, amin or topDb.
 * @example toDecibels([1, 0.1, 0], { ref: 'max', topDb: 80 }); // [0, -10, -80]
 */
export function toDecibels(values: ArrayLike<number>, options: DecibelOptions = {}): Float64Array {
  const fn = 'toDecibels';
  const multiplier = options.multiplier ?? 10;
  if (multiplier !== 10 && multiplier !== 20) throw argumentError(fn, 'options.multiplier', '10 or 20', multiplier);
  const amin = options.amin ?? (multiplier === 10 ? 1e-10 : 1e-5);
  if (!(amin > 0) || !Number.isFinite(amin)) throw argumentError(fn, 'options.amin', 'a finite number > 0', amin);
  const ref = options.ref ?? 1;
  if (ref !== 'max' && (typeof ref !== 'number' || !(ref > 0) || !Number.isFinite(ref)))
    throw argumentError(fn, 'options.ref', "a finite number > 0 or 'max'", ref);
  if (options.topDb !== undefined && !(options.topDb >= 0 && Number.isFinite(options.topDb)))
    throw argumentError(fn, 'options.topDb', 'a finite number >= 0', options.topDb);
  let reference = ref === 'max' ? 0 : ref;
  if (ref === 'max') for (let i = 0; i < values.length; i++) reference = Math.max(reference, values[i]);
  const offset = multiplier * Math.log10(Math.max(amin, reference));
  const out = new Float64Array(values.length);
  let loudest = -Infinity;
  for (let i = 0; i < values.length; i++) {
    out[i] = multiplier * Math.log10(Math.max(amin, values[i])) - offset;
    loudest = Math.max(loudest, out[i]);
  }
  if (options.topDb !== undefined) {
    const floor = loudest - options.topDb;
    for (let i = 0; i < out.length; i++) out[i] = Math.max(out[i], floor);
  }
  return out;
}
