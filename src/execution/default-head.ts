/**
 * Which head a multi-output model is explained on when the caller names none: the finest classifier head. A head
 * named `species` first, else one named `genus`, else the first head with class labels, else the first head. An
 * embedding head (no labels) is never the default while a classifier head exists.
 */

/**
 * The index of the default head.
 *
 * @param outputNames - Head names in output order.
 * @param hasLabels - Whether head `i` carries class labels.
 * @returns The index of `species`, else `genus`, else the first labelled head, else 0.
 * @example
 * defaultHeadIndex(['embedding', 'genus', 'species'], () => true); // 2
 * defaultHeadIndex(['embedding', 'output'], (i) => i === 1);        // 1
 */
export function defaultHeadIndex(outputNames: readonly string[], hasLabels: (index: number) => boolean): number {
  for (const name of ['species', 'genus']) {
    const index = outputNames.indexOf(name);
    if (index >= 0) return index;
  }
  const labelled = outputNames.findIndex((_, i) => hasLabels(i));
  return labelled >= 0 ? labelled : 0;
}
