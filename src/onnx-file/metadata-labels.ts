/**
 * Class names stored in an ONNX file's `metadata_props`. Keys read, in this order and case-insensitively: `labels`,
 * `classes`, `class_names`, `names`. A value may be a JSON list of names, a JSON object or Python dict from class
 * index to name (`{0: 'cat', 1: 'dog'}`, as Ultralytics writes), or a comma- or newline-separated list.
 */

/** The metadata keys read for class names, in order. */
export const LABEL_METADATA_KEYS = ['labels', 'classes', 'class_names', 'names'] as const;

function fromIndexMap(entries: [string, unknown][]): string[] | undefined {
  if (entries.length === 0 || !entries.every(([k, v]) => /^\d+$/.test(k.trim()) && typeof v === 'string'))
    return undefined;
  const byIndex = new Map(entries.map(([k, v]) => [Number(k.trim()), v as string]));
  const names = Array.from({ length: byIndex.size }, (_, i) => byIndex.get(i));
  return names.every((n) => n !== undefined) ? (names as string[]) : undefined;
}

/** Parses one metadata value into class names, or undefined when it holds none. */
export function parseLabelList(value: string): string[] | undefined {
  const text = value.trim();
  if (text === '') return undefined;
  try {
    const json: unknown = JSON.parse(text);
    if (Array.isArray(json)) return json.every((n) => typeof n === 'string') ? json : undefined;
    if (json !== null && typeof json === 'object') return fromIndexMap(Object.entries(json));
  } catch {
    // not JSON: a Python dict or a plain list
  }
  if (text.startsWith('{')) {
    const pairs = [...text.matchAll(/(\d+)\s*:\s*(?:'((?:[^'\\]|\\.)*)'|"((?:[^"\\]|\\.)*)")/g)];
    return fromIndexMap(pairs.map((m) => [m[1], m[2] ?? m[3]]));
  }
  const names = text.split(text.includes('\n') ? /\r?\n/ : ',').map((n) => n.trim());
  return names.length > 1 && names.every((n) => n !== '') ? names : undefined;
}

/** The class names of the first label key present in `metadata` that parses, with the key; undefined when none does. */
export function metadataLabels(metadata: ReadonlyMap<string, string>): { key: string; labels: string[] } | undefined {
  for (const wanted of LABEL_METADATA_KEYS) {
    for (const [key, value] of metadata) {
      if (key.toLowerCase() !== wanted) continue;
      const labels = parseLabelList(value);
      if (labels !== undefined) return { key, labels };
    }
  }
  return undefined;
}
