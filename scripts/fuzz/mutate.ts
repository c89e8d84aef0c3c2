/** Deterministic mutators of bytes, text and JSON values for the fuzz suite (see scripts/fuzz/run.mts). */

/** A seeded source of random numbers in [0, 1). */
export type Random = () => number;

/** An integer in [0, n). */
export function pick(random: Random, n: number): number {
  return Math.floor(random() * n);
}

/** One element of a list. */
export function choose<T>(random: Random, list: readonly T[]): T {
  return list[pick(random, list.length)];
}

/** Integers that break size and count fields. */
export const INTERESTING_U32 = [
  0,
  1,
  2,
  3,
  7,
  0x7f,
  0x80,
  0xff,
  0x100,
  0x7fff,
  0x8000,
  0xffff,
  0x10000,
  2 ** 24,
  2 ** 31 - 1,
  2 ** 31,
  2 ** 32 - 1,
];

/** Numbers (and non-numbers) that break numeric JSON fields. */
export const INTERESTING_VALUES: unknown[] = [
  0,
  -1,
  1,
  2 ** 31,
  -(2 ** 31),
  2 ** 53,
  1e308,
  -1e308,
  1e-320,
  0.5,
  3.7,
  null,
  true,
  false,
  '',
  'x',
  '\u001b]0;pwned\u0007',
  '\u001b[2J',
  '../../etc/hostname',
  '/etc/hostname',
  'file:///etc/hostname',
  'https://example.invalid/w.bin',
  [],
  {},
  [null],
  [[[]]],
  { features: null },
  '\ufeff',
  'A'.repeat(5000),
];

/** Text fragments that break hand-written parsers (.npy headers, JSON). */
export const INTERESTING_TEXT = [
  '(-1,)',
  '(nan,)',
  '()',
  '(,)',
  '(3,,4)',
  '(99999999999, 9999999)',
  '(4294967296, 4294967296)',
  "'<f4'",
  "'>f8'",
  "'|b1'",
  "'<c16'",
  "'__proto__'",
  "'constructor'",
  'True',
  'False',
  '\u001b]0;title\u0007',
  '\u001b[2J\u001b[H',
  '\u202e',
  '\u0000',
  '"',
  "'",
  '\\',
  '{',
  '}',
  '[',
  ']',
  ',',
  ':',
  '1e999',
  '-0',
  'NaN',
  'Infinity',
];

/** Byte-level mutation: flips, overwrites with interesting values (8/16/32-bit, both byte orders), cuts, inserts, repeats. */
export function mutateBytes(random: Random, input: Uint8Array, rounds = 1 + pick(random, 4)): Uint8Array {
  let bytes = Uint8Array.from(input);
  for (let r = 0; r < rounds; r++) {
    const at = bytes.length === 0 ? 0 : pick(random, bytes.length);
    switch (pick(random, 8)) {
      case 0: // bit flip
        if (bytes.length > 0) bytes[at] ^= 1 << pick(random, 8);
        break;
      case 1: // random byte
        if (bytes.length > 0) bytes[at] = pick(random, 256);
        break;
      case 2: {
        // interesting 32-bit value (little or big endian)
        const value = choose(random, INTERESTING_U32);
        const little = random() < 0.7;
        for (let i = 0; i < 4 && at + i < bytes.length; i++)
          bytes[at + i] = (value >>> (8 * (little ? i : 3 - i))) & 0xff;
        break;
      }
      case 3: {
        // interesting 16-bit value
        const value = choose(random, INTERESTING_U32) & 0xffff;
        if (at + 1 < bytes.length) {
          bytes[at] = value & 0xff;
          bytes[at + 1] = value >>> 8;
        }
        break;
      }
      case 4: // truncate
        bytes = bytes.subarray(0, pick(random, bytes.length + 1));
        break;
      case 5: {
        // insert random bytes
        const extra = Uint8Array.from({ length: 1 + pick(random, 64) }, () => pick(random, 256));
        const out = new Uint8Array(bytes.length + extra.length);
        out.set(bytes.subarray(0, at));
        out.set(extra, at);
        out.set(bytes.subarray(at), at + extra.length);
        bytes = out;
        break;
      }
      case 6: {
        // repeat a block
        const length = Math.min(bytes.length - at, 1 + pick(random, 256));
        const out = new Uint8Array(bytes.length + length);
        out.set(bytes.subarray(0, at + length));
        out.set(bytes.subarray(at, at + length), at + length);
        out.set(bytes.subarray(at + length), at + 2 * length);
        bytes = out;
        break;
      }
      default: // zero a run
        bytes.fill(0, at, at + 1 + pick(random, 32));
    }
  }
  return bytes;
}

/** Replaces the little-endian encodings of `values` (32- and 64-bit) found in `bytes` by interesting integers. */
export function mutateIntegerFields(random: Random, input: Uint8Array, values: readonly number[]): Uint8Array {
  const bytes = Uint8Array.from(input);
  const view = new DataView(bytes.buffer);
  const hits: { at: number; width: 4 | 8 }[] = [];
  for (let at = 0; at + 8 <= bytes.length; at++) {
    const v32 = view.getUint32(at, true);
    if (values.includes(v32)) hits.push({ at, width: view.getUint32(at + 4, true) === 0 ? 8 : 4 });
  }
  if (hits.length === 0) return mutateBytes(random, input);
  for (let n = 1 + pick(random, 2); n > 0; n--) {
    const { at, width } = choose(random, hits);
    const value = choose(random, [...INTERESTING_U32, 100000, 1000, 2 ** 40]);
    if (width === 8) view.setBigUint64(at, BigInt(value), true);
    else view.setUint32(at, value >>> 0, true);
  }
  return bytes;
}

/** Text-level mutation: inserts, replaces or deletes fragments. */
export function mutateText(random: Random, text: string): string {
  let out = text;
  for (let r = 1 + pick(random, 3); r > 0; r--) {
    const at = pick(random, out.length + 1);
    const span = pick(random, 12);
    switch (pick(random, 4)) {
      case 0:
        out = out.slice(0, at) + choose(random, INTERESTING_TEXT) + out.slice(at);
        break;
      case 1:
        out = out.slice(0, at) + choose(random, INTERESTING_TEXT) + out.slice(at + span);
        break;
      case 2:
        out = out.slice(0, at) + out.slice(at + span);
        break;
      default:
        out = out.slice(0, at);
    }
  }
  return out;
}

/** Every path to a value inside a JSON value (arrays and objects), breadth-limited. */
function valuePaths(value: unknown, limit = 4000): (string | number)[][] {
  const paths: (string | number)[][] = [];
  const queue: { v: unknown; p: (string | number)[] }[] = [{ v: value, p: [] }];
  while (queue.length > 0 && paths.length < limit) {
    const { v, p } = queue.shift() as { v: unknown; p: (string | number)[] };
    paths.push(p);
    if (Array.isArray(v)) v.forEach((item, i) => queue.push({ v: item, p: [...p, i] }));
    else if (v !== null && typeof v === 'object')
      for (const [k, item] of Object.entries(v)) queue.push({ v: item, p: [...p, k] });
  }
  return paths;
}

function getAt(root: unknown, path: (string | number)[]): unknown {
  return path.reduce<unknown>((v, k) => (v as Record<string | number, unknown>)[k], root);
}

function setAt(root: unknown, path: (string | number)[], value: unknown): unknown {
  if (path.length === 0) return value;
  const parent = getAt(root, path.slice(0, -1)) as Record<string | number, unknown>;
  parent[path[path.length - 1]] = value;
  return root;
}

/** A marker for a value nested `depth` levels deep, expanded by {@link jsonText} (a real one would overflow the stack here). */
export function deepMarker(depth: number, objects: boolean): string {
  return `__DEEP_${depth}_${objects ? 'O' : 'A'}__`;
}

/** JSON text of a (mutated) value, with deep-nesting markers expanded into text. */
export function jsonText(value: unknown): string {
  return JSON.stringify(value).replace(/"__DEEP_(\d+)_([OA])__"/g, (_m, depth: string, kind: string) => {
    const n = Number(depth);
    return kind === 'O' ? `${'{"a":'.repeat(n)}0${'}'.repeat(n)}` : `${'['.repeat(n)}0${']'.repeat(n)}`;
  });
}

/** Structure-level JSON mutation: replace a value, delete a key, duplicate an element, nest deeply, swap types. */
export function mutateJson(random: Random, input: unknown): unknown {
  let root = structuredClone(input);
  for (let r = 1 + pick(random, 3); r > 0; r--) {
    const paths = valuePaths(root);
    const path = choose(random, paths);
    const current = getAt(root, path);
    switch (pick(random, 6)) {
      case 0:
        root = setAt(root, path, structuredClone(choose(random, INTERESTING_VALUES)));
        break;
      case 1:
        if (path.length > 0) {
          const parent = getAt(root, path.slice(0, -1));
          if (Array.isArray(parent)) parent.splice(Number(path[path.length - 1]), 1);
          else delete (parent as Record<string, unknown>)[path[path.length - 1]];
        }
        break;
      case 2:
        if (Array.isArray(current) && current.length > 0)
          current.push(structuredClone(current[pick(random, current.length)]));
        else root = setAt(root, path, [current, current]);
        break;
      case 3:
        root = setAt(root, path, deepMarker(choose(random, [50, 300, 3000, 100000]), random() < 0.5));
        break;
      case 4:
        if (typeof current === 'number')
          root = setAt(
            root,
            path,
            choose(random, [-current, current * 1e6, current + 0.5, String(current), [current]]),
          );
        else root = setAt(root, path, choose(random, INTERESTING_VALUES));
        break;
      default:
        if (path.length > 0 && random() < 0.5) {
          // the value of another path at this one (loops in layer graphs: a node naming a later layer)
          const other = getAt(root, choose(random, paths));
          root = setAt(root, path, structuredClone(other));
        }
    }
  }
  return root;
}
