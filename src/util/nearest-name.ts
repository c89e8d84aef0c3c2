/** "Did you mean …?": the registered name nearest to a mistyped one (plain string code, used by every layer). */

/** Optimal-string-alignment distance: insertions, deletions, substitutions and swaps of neighbours cost 1 each. */
export function editDistance(a: string, b: string): number {
  const rows = a.length + 1;
  const cols = b.length + 1;
  const d: number[][] = Array.from({ length: rows }, (_, i) =>
    Array.from({ length: cols }, (_, j) => (i === 0 ? j : j === 0 ? i : 0)),
  );
  for (let i = 1; i < rows; i++) {
    for (let j = 1; j < cols; j++) {
      const cost = a[i - 1] === b[j - 1] ? 0 : 1;
      d[i][j] = Math.min(d[i - 1][j] + 1, d[i][j - 1] + 1, d[i - 1][j - 1] + cost);
      if (i > 1 && j > 1 && a[i - 1] === b[j - 2] && a[i - 2] === b[j - 1])
        d[i][j] = Math.min(d[i][j], d[i - 2][j - 2] + 1);
    }
  }
  return d[rows - 1][cols - 1];
}

/**
 * The choice nearest to `word` (case and `-`/`_`/`.`/space ignored), when it is close enough to be a typo: at most one
 * edit per three characters (and at least one), or `word` is a prefix of exactly one choice.
 * @example nearestName('salency', ['saliency', 'gradients']); // 'saliency'
 */
export function nearestName(word: string, choices: readonly string[]): string | undefined {
  const plain = (s: string): string => s.toLowerCase().replace(/[-_.\s]/g, '');
  const target = plain(word);
  if (target === '') return undefined;
  let best: string | undefined;
  let bestDistance = Infinity;
  for (const choice of choices) {
    const distance = editDistance(target, plain(choice));
    if (distance < bestDistance) [best, bestDistance] = [choice, distance];
  }
  if (best !== undefined && bestDistance <= Math.max(1, Math.floor(target.length / 3))) return best;
  const prefixed = choices.filter((c) => plain(c).startsWith(target));
  return prefixed.length === 1 ? prefixed[0] : undefined;
}

/** `" Did you mean 'x'?"` for {@link nearestName}, or `''` when no choice is near. */
export function didYouMean(word: string, choices: readonly string[]): string {
  const near = nearestName(word, choices);
  return near === undefined ? '' : ` Did you mean '${near}'?`;
}
