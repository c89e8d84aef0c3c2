// Small synthetic inputs shared by the render tests.
export const BINS = 129;
export const frequencies = Float64Array.from({ length: BINS }, (_, i) => (4000 * i) / (BINS - 1));
/** A PSD (dB) with a wingbeat fundamental at 470 Hz and three harmonics. */
export const spectrum = Float64Array.from(frequencies, (f) => {
  let v = -65 - f / 400;
  for (let h = 1; h <= 4; h++) v += (40 / h) * Math.exp(-(((f - 470 * h) / 45) ** 2));
  return v;
});
export const saliency = Float64Array.from(frequencies, (f) => Math.exp(-(((f - 470) / 60) ** 2)));
export const signed = Float64Array.from(
  frequencies,
  (f) => Math.exp(-(((f - 470) / 60) ** 2)) - 0.5 * Math.exp(-(((f - 1410) / 60) ** 2)),
);
export const ROWS = 129;
export const COLS = 40;
export function spectrogramGrid(): { values: Float32Array; rows: number; cols: number } {
  const values = new Float32Array(ROWS * COLS);
  for (let r = 0; r < ROWS; r++)
    for (let c = 0; c < COLS; c++) values[r * COLS + c] = r === ROWS - 16 ? 1 : 0.1 * ((r * 7 + c * 3) % 5);
  return { values, rows: ROWS, cols: COLS };
}
