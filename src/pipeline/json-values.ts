/** Plain JSON values of typed arrays: flat row-major data nested in a shape, and JSON text with typed arrays as arrays. */

/** JSON text of a value, with typed arrays written as arrays and non-finite numbers as null. */
export function toJson(value: unknown): string {
  return JSON.stringify(value, (_key, v) =>
    ArrayBuffer.isView(v) && !(v instanceof DataView) ? Array.from(v as unknown as ArrayLike<number>) : v,
  );
}

/** Nests a flat row-major array into arrays of `shape` (e.g. [129, 1] → [[v], [v], ...]). */
export function nestArray(data: ArrayLike<number>, shape: readonly number[]): unknown {
  if (shape.length === 0) return data[0];
  const build = (offset: number, axis: number): unknown => {
    const size = shape[axis];
    if (axis === shape.length - 1) return Array.from({ length: size }, (_, i) => data[offset + i]);
    const stride = shape.slice(axis + 1).reduce((a, b) => a * b, 1);
    return Array.from({ length: size }, (_, i) => build(offset + i * stride, axis + 1));
  };
  return build(0, 0);
}
