/**
 * The fuzz cases: for each reader, mutated seed files (byte, text and structure mutations, hostile header fields,
 * special files such as /dev/zero and FIFOs) and, for the command line, hostile argument sets. Case `i` of a run is
 * a pure function of (run seed, i), so a failing case can be replayed alone (`npm run fuzz -- --only i`).
 */
import { createRng } from '../../src/util/rng.js';
import {
  choose,
  INTERESTING_U32,
  jsonText,
  mutateBytes,
  mutateIntegerFields,
  mutateJson,
  mutateText,
  pick,
  type Random,
} from './mutate.js';
import { unzipSync, zipSync } from 'fflate';
import { functionalWeights, kerasH5Bytes, type Seeds } from './seeds.js';

/** The readers (and the command line) the suite attacks, with their share of the cases. */
export const READERS = [
  'wav',
  'npy',
  'json',
  'baseline',
  'stats',
  'model-json',
  'h5',
  'cli',
  'keras',
  'manifest',
  'parquet',
  'settings',
] as const;
export type ReaderName = (typeof READERS)[number];
const WEIGHTS: Record<ReaderName, number> = {
  wav: 16,
  npy: 14,
  json: 12,
  baseline: 8,
  stats: 8,
  'model-json': 16,
  h5: 14,
  cli: 12,
  keras: 10,
  manifest: 8,
  parquet: 8,
  settings: 6,
};

/** A file of a case: bytes, or a special file made by the worker. */
export interface FuzzFile {
  name: string;
  bytes?: Uint8Array;
  special?: 'dev-zero' | 'dev-urandom' | 'fifo' | 'folder' | 'link-outside' | 'link-dev-zero' | 'copy-demo-weights';
}

/** One case: files to create in a fresh folder, the file given to the reader, or a command line (`{dir}` = the folder). */
export interface FuzzCase {
  index: number;
  reader: ReaderName;
  note: string;
  files: FuzzFile[];
  main: string;
  argv?: string[];
}

/** Which reader case `index` attacks (weighted round robin, the same for every run seed). */
export function readerOf(index: number): ReaderName {
  const total = Object.values(WEIGHTS).reduce((a, b) => a + b, 0);
  let slot = (index * 37) % total;
  for (const reader of READERS) {
    if (slot < WEIGHTS[reader]) return reader;
    slot -= WEIGHTS[reader];
  }
  return 'wav';
}

const SPECIALS: FuzzFile['special'][] = ['dev-zero', 'dev-urandom', 'fifo', 'folder'];

function specialCase(index: number, reader: ReaderName, random: Random, name: string): FuzzCase {
  const special = choose(random, SPECIALS);
  return { index, reader, note: `special file: ${special}`, files: [{ name, special }], main: name };
}

function text(value: string): Uint8Array {
  return new TextEncoder().encode(value);
}

/** A WAV seed with one header field set to a hostile value (rate, channels, block alignment, bits, sizes). */
function wavHeaderField(random: Random, seed: Uint8Array): { bytes: Uint8Array; note: string } {
  const bytes = Uint8Array.from(seed);
  const view = new DataView(bytes.buffer);
  const fields: [string, number, 2 | 4][] = [
    ['sampleRate', 24, 4],
    ['channels', 22, 2],
    ['blockAlign', 32, 2],
    ['bits', 34, 2],
    ['byteRate', 28, 4],
    ['dataSize', 40, 4],
    ['riffSize', 4, 4],
    ['fmtSize', 16, 4],
    ['format', 20, 2],
  ];
  const [field, at, width] = choose(random, fields);
  const value = choose(random, [...INTERESTING_U32, 3, 2 ** 24, 2 ** 32 - 1, 999983, 44101, 1_000_001]);
  if (width === 4) view.setUint32(at, value >>> 0, true);
  else view.setUint16(at, value & 0xffff, true);
  return { bytes, note: `header ${field} = ${value}` };
}

/** A .npy seed whose header text is mutated (the length fields kept consistent), or a hand-made broken header. */
function npyHeaderCase(random: Random, seed: Uint8Array): { bytes: Uint8Array; note: string } {
  const major = seed[6];
  const start = major === 1 ? 10 : 12;
  const view = new DataView(seed.buffer, seed.byteOffset, seed.byteLength);
  const length = major === 1 ? view.getUint16(8, true) : view.getUint32(8, true);
  const header = new TextDecoder().decode(seed.subarray(start, start + length));
  let mutated: string;
  let note: string;
  if (random() < 0.5) {
    const shape = choose(random, [
      '(-1,)',
      '(nan,)',
      '()',
      '(,)',
      '(3,,4)',
      '(99999999999, 9999999)',
      '(4294967296, 4294967296)',
      '(0,)',
      '(0, 129, 1)',
      '(1e3,)',
      '(129, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1)',
      '(\u001b[2J,)',
    ]);
    mutated = header.replace(/'shape':\s*\([^)]*\)/, `'shape': ${shape}`);
    note = `shape ${JSON.stringify(shape)}`;
  } else {
    mutated = mutateText(random, header);
    note = 'header text mutated';
  }
  const headerBytes = text(mutated);
  const version = choose(random, [1, 2, 3, major]);
  const prefix = version === 1 ? 10 : 12;
  const body = seed.subarray(start + length);
  const out = new Uint8Array(prefix + headerBytes.length + body.length);
  out.set(seed.subarray(0, 6));
  out[6] = version;
  out[7] = 0;
  const outView = new DataView(out.buffer);
  if (version === 1) outView.setUint16(8, Math.min(headerBytes.length, 0xffff), true);
  else outView.setUint32(8, headerBytes.length, true);
  out.set(headerBytes, prefix);
  out.set(body, prefix + headerBytes.length);
  if (random() < 0.2)
    return {
      bytes: out.subarray(0, pick(random, prefix + headerBytes.length)),
      note: `${note}, truncated version-${version} header`,
    };
  return { bytes: out, note: `${note}, version ${version}` };
}

function jsonCase(random: Random, value: unknown): { bytes: Uint8Array; note: string } {
  const roll = random();
  if (roll < 0.55)
    return {
      bytes: text((random() < 0.15 ? '\ufeff' : '') + jsonText(mutateJson(random, value))),
      note: 'json structure mutated',
    };
  if (roll < 0.85) return { bytes: text(mutateText(random, JSON.stringify(value))), note: 'json text mutated' };
  if (roll < 0.9) return { bytes: text(`${'['.repeat(100000)}${']'.repeat(100000)}`), note: 'nested 100000 deep' };
  return { bytes: mutateBytes(random, text(JSON.stringify(value))), note: 'json bytes mutated' };
}

/** Manifest attacks: absolute and escaping paths, links out of the folder, special files, malformed lists, huge shapes. */
function manifestCase(
  random: Random,
  modelJson: Record<string, unknown>,
): { json: Record<string, unknown>; files: FuzzFile[]; note: string } {
  const json = structuredClone(modelJson) as { weightsManifest: { paths: unknown; weights: { shape: number[] }[] }[] };
  const group = json.weightsManifest[0];
  const files: FuzzFile[] = [];
  const kind = pick(random, 9);
  const notes = [
    'absolute path',
    'escaping path',
    'link outside',
    'link to /dev/zero',
    'fifo',
    'paths not a list',
    'paths with a number',
    'huge declared shape',
    'URL path',
  ];
  switch (kind) {
    case 0:
      group.paths = ['/etc/hostname'];
      break;
    case 1:
      group.paths = [choose(random, ['../../etc/hostname', '../weights.bin', 'a/../../weights.bin', './../x.bin'])];
      break;
    case 2:
      group.paths = ['outside.bin'];
      files.push({ name: 'outside.bin', special: 'link-outside' });
      break;
    case 3:
      group.paths = ['zero.bin'];
      files.push({ name: 'zero.bin', special: 'link-dev-zero' });
      break;
    case 4:
      group.paths = ['pipe.bin'];
      files.push({ name: 'pipe.bin', special: 'fifo' });
      break;
    case 5:
      group.paths = choose(random, ['weights.bin', null, { 0: 'weights.bin' }, 7]);
      break;
    case 6:
      group.paths = ['weights.bin', choose(random, [3, null, ['x'], {}])];
      break;
    case 7:
      group.weights[pick(random, group.weights.length)].shape = choose(random, [
        [100000, 1000],
        [2 ** 31, 2],
        [-1, 3],
        [1.5],
        [Number.MAX_SAFE_INTEGER],
      ]);
      break;
    default:
      group.paths = [
        choose(random, ['file:///etc/hostname', 'https://example.invalid/w.bin', 'C:\\\\w.bin', 'w.bin\u0000x']),
      ];
  }
  return { json, files, note: `manifest: ${notes[kind]}` };
}

/** A Functional layer graph that loops, or waits for a layer the config does not define. */
function layerGraphCase(
  random: Random,
  config: Record<string, unknown>,
): { config: Record<string, unknown>; note: string } {
  const copy = structuredClone(config) as { config: { layers: { inbound_nodes: unknown[] }[] } };
  const layers = copy.config.layers;
  const kind = pick(random, 3);
  if (kind === 0) layers[1].inbound_nodes = [[['out', 0, 0, {}]]];
  else if (kind === 1) layers[2].inbound_nodes = [[['out', 0, 0, {}]]];
  else layers[1].inbound_nodes = [[['ghost', 0, 0, {}]]];
  return {
    config: copy as unknown as Record<string, unknown>,
    note: ['loop dense_1 <- out', 'self loop', 'missing layer'][kind],
  };
}

const HOSTILE_VALUES = [
  '',
  '-1',
  '0',
  '1e9',
  '1000000000',
  'NaN',
  '99',
  '1.5',
  'abc',
  '\u001b[2J\u001b]0;x\u0007',
  'A'.repeat(10000),
  '/dev/zero',
  '/dev/urandom',
  '{dir}/pipe',
  '{dir}/folder',
  '/proc/self/x',
  '/proc',
  '{dir}/nope',
  '../../etc/passwd',
  '--json',
  '10001',
  '1001',
  '2000',
  '0x10',
  ' 5',
  '0.0000001',
  '-0',
  'Infinity',
  '9007199254740993',
];
const OPTIONS = [
  '--model',
  '--input',
  '--baseline',
  '--steps',
  '--samples',
  '--random-seeds',
  '--target',
  '--output',
  '--channel',
  '--out',
  '--batch-size',
  '--seed',
  '--fraction',
  '--step',
  '--quantiles',
  '--methods',
  '--method',
  '--preset',
  '--windows',
  '--stats',
  '--integration',
  '--scores',
  '--smooth-samples',
];

function baseCommand(random: Random): string[] {
  const M = '{dir}/model.json';
  const W = '{dir}/tone.wav';
  const J = '{dir}/input.json';
  const commands = [
    ['explain', '--model', M, '--input', W, '--json', '--quiet'],
    ['explain', '--model', M, '--input', J, '--method', 'integrated-gradients', '--steps', '8', '--json', '--quiet'],
    ['features', '--input', W, '--preset', 'potamitis-psd', '--json'],
    ['features', '--input', W, '--preset', 'potamitis-psd', '--out', '{dir}/out'],
    ['evaluate', '--model', M, '--input', J, '--random-seeds', '2', '--json', '--quiet'],
    ['uncertainty', '--model', M, '--input', J, '--samples', '3', '--json', '--quiet'],
    ['batch', '--model', M, '--input', J, '--out', '{dir}/out', '--json', '--quiet'],
    ['stats', '--input', J, '--preset', 'potamitis-psd', '--out', '{dir}/stats-out.json'],
    [],
    ['frobnicate', '--input', J],
  ];
  return [...choose(random, commands)];
}

/** A hostile command line: a working one with 1–3 values replaced, options removed, duplicated or invented. */
function cliCase(index: number, random: Random, seeds: Seeds): FuzzCase {
  const argv = baseCommand(random);
  const notes: string[] = [];
  for (let r = argv.length === 0 ? 0 : choose(random, [0, 1, 1, 1, 2, 2, 3]); r > 0; r--) {
    const kind = choose(random, [0, 0, 1, 2, 2, 2, 3, 4]);
    const optionAt = argv.findIndex((a, i) => i > 0 && a.startsWith('--') && random() < 0.4);
    if (kind <= 1) {
      const option = choose(random, OPTIONS);
      const value = choose(random, HOSTILE_VALUES);
      argv.push(option, value);
      notes.push(`${option} ${JSON.stringify(value.slice(0, 20))}`);
    } else if (kind === 2 && optionAt > 0 && argv[optionAt + 1] !== undefined && !argv[optionAt + 1].startsWith('--')) {
      const value = choose(random, HOSTILE_VALUES);
      notes.push(`${argv[optionAt]} = ${JSON.stringify(value.slice(0, 20))}`);
      argv[optionAt + 1] = value;
    } else if (kind === 3 && optionAt > 0) {
      notes.push(`removed ${argv[optionAt]}`);
      argv.splice(optionAt, argv[optionAt + 1]?.startsWith('--') === false ? 2 : 1);
    } else {
      const flag = choose(random, ['--bogus', '-x', '--json=1', '--', '-', '--no-json']);
      argv.push(flag);
      notes.push(`added ${flag}`);
    }
  }
  const files: FuzzFile[] = [
    { name: 'model.json', bytes: text(JSON.stringify(seeds.modelJson)) },
    { name: 'weights.bin', special: 'copy-demo-weights' },
    { name: 'tone.wav', bytes: seeds.wav[0] },
    { name: 'input.json', bytes: text(JSON.stringify(seeds.jsonInputs[0])) },
    { name: 'pipe', special: 'fifo' },
    { name: 'folder', special: 'folder' },
  ];
  return {
    index,
    reader: 'cli',
    note: `${argv.slice(0, 1).join('') || '(no command)'}: ${notes.join('; ')}`,
    files,
    main: '',
    argv,
  };
}

/** A `.keras` archive attack: bytes mutated, an entry rebuilt mutated, a declared size patched, a deep config. */
function kerasCase(random: Random, seed: Uint8Array): { bytes: Uint8Array; note: string } {
  const roll = random();
  if (roll < 0.3) return { bytes: mutateBytes(random, seed), note: 'archive bytes mutated' };
  const entries: Record<string, Uint8Array> = unzipSync(seed);
  if (roll < 0.5) {
    const config = JSON.parse(new TextDecoder().decode(entries['config.json'])) as unknown;
    entries['config.json'] = text(jsonText(mutateJson(random, config)));
    return { bytes: zipSync(entries), note: 'config.json mutated' };
  }
  if (roll < 0.65) {
    entries['model.weights.h5'] = mutateBytes(random, entries['model.weights.h5']);
    return { bytes: zipSync(entries), note: 'model.weights.h5 mutated' };
  }
  if (roll < 0.75) {
    entries['config.json'] = text(`{"config": ${'['.repeat(100000)}${']'.repeat(100000)}}`);
    return { bytes: zipSync(entries), note: 'config nested 100000 deep' };
  }
  if (roll < 0.85) {
    const drop = choose(random, ['config.json', 'model.weights.h5', 'metadata.json']);
    delete entries[drop];
    return { bytes: zipSync(entries), note: `without ${drop}` };
  }
  // A declared inflated size (central directory) set to a hostile value.
  const bytes = Uint8Array.from(seed);
  const view = new DataView(bytes.buffer);
  const value = choose(random, [0, 1, 2 ** 31, 2 ** 32 - 1, 1_500_000_000, 65_536]);
  for (let at = 0; at + 46 < bytes.length; at++)
    if (view.getUint32(at, true) === 0x02014b50 && random() < 0.6) view.setUint32(at + 24, value >>> 0, true);
  return { bytes, note: `declared inflated size ${value}` };
}

/** A manifest attack: text mutated, or lines escaping the folder, repeated in other spellings, or linked out. */
function manifestCaseFiles(random: Random, seeds: Seeds): { files: FuzzFile[]; note: string } {
  const files: FuzzFile[] = seeds.manifestFiles.map((name) => ({
    name,
    bytes: name.endsWith('.npy') ? seeds.npy[0] : seeds.wav[0],
  }));
  const roll = random();
  let manifest = seeds.manifest;
  let note: string;
  if (roll < 0.45) {
    manifest = mutateText(random, manifest);
    note = 'manifest text mutated';
  } else if (roll < 0.9) {
    const line = choose(random, [
      '../outside.wav,Aedes',
      '/etc/hostname.wav,Aedes',
      './a/x.wav,Aedes',
      'a//x.wav,Aedes',
      '//a/x.wav,Aedes',
      'a/../a/x.wav,Aedes',
      'a/link.wav,Aedes',
      'a/zero.wav,Aedes',
      'a/pipe.wav,Aedes',
      '"a/x.wav[2J",Aedes',
      ',Aedes',
      'a/x.wav,Aedes,train,extra,columns',
    ]);
    if (line.startsWith('a/link')) files.push({ name: 'a/link.wav', special: 'link-outside' });
    if (line.startsWith('a/zero')) files.push({ name: 'a/zero.wav', special: 'link-dev-zero' });
    if (line.startsWith('a/pipe')) files.push({ name: 'a/pipe.wav', special: 'fifo' });
    manifest = `${manifest}${line}\n`;
    note = `line ${JSON.stringify(line)}`;
  } else {
    manifest = `path,label\n${'a/x.wav,Aedes\n'.repeat(1 + pick(random, 3))}`;
    note = 'one file listed several times';
  }
  files.push({ name: 'manifest.csv', bytes: text(manifest) });
  return { files, note };
}

/**
 * Case `index` of the run seeded `runSeed` (`reader` overrides the reader of the index: a case found before readers
 * were added is rebuilt from its index and its reader).
 * @example const c = await makeCase(17, 1, seeds); // a mutated .npy, say
 */
export async function makeCase(
  index: number,
  runSeed: number,
  seeds: Seeds,
  reader: ReaderName = readerOf(index),
): Promise<FuzzCase> {
  const rng = createRng(`${runSeed}:${index}`);
  const random: Random = () => rng.uniform();
  const special = random() < 0.06;
  switch (reader) {
    case 'wav': {
      if (special) return specialCase(index, reader, random, 'x.wav');
      const seed = choose(random, seeds.wav);
      const roll = random();
      const { bytes, note } =
        roll < 0.35
          ? wavHeaderField(random, seed)
          : roll < 0.55
            ? {
                bytes: mutateIntegerFields(random, seed, [8000, 44100, 16000, 22050, 1, 2, 16, 24, 32]),
                note: 'integer fields',
              }
            : { bytes: mutateBytes(random, seed), note: 'bytes mutated' };
      return { index, reader, note, files: [{ name: 'x.wav', bytes }], main: 'x.wav' };
    }
    case 'npy': {
      if (special) return specialCase(index, reader, random, 'x.npy');
      const seed = choose(random, seeds.npy);
      const { bytes, note } =
        random() < 0.5 ? npyHeaderCase(random, seed) : { bytes: mutateBytes(random, seed), note: 'bytes mutated' };
      return { index, reader, note, files: [{ name: 'x.npy', bytes }], main: 'x.npy' };
    }
    case 'json': {
      if (special) return specialCase(index, reader, random, 'x.json');
      const { bytes, note } = jsonCase(random, choose(random, seeds.jsonInputs));
      return { index, reader, note, files: [{ name: 'x.json', bytes }], main: 'x.json' };
    }
    case 'baseline': {
      const asNpy = random() < 0.5;
      const name = asNpy ? 'b.npy' : 'b.json';
      if (special) return specialCase(index, reader, random, name);
      const { bytes, note } = asNpy
        ? npyHeaderCase(random, choose(random, seeds.npy))
        : jsonCase(random, choose(random, seeds.jsonInputs));
      return { index, reader, note, files: [{ name, bytes }], main: name };
    }
    case 'stats': {
      if (special) return specialCase(index, reader, random, 's.json');
      const { bytes, note } = jsonCase(random, seeds.stats);
      return { index, reader, note, files: [{ name: 's.json', bytes }], main: 's.json' };
    }
    case 'model-json': {
      if (special) return specialCase(index, reader, random, 'model.json');
      const roll = random();
      const weights: FuzzFile = { name: 'weights.bin', special: 'copy-demo-weights' };
      if (roll < 0.25) {
        const { json, files, note } = manifestCase(random, seeds.modelJson);
        return {
          index,
          reader,
          note,
          files: [{ name: 'model.json', bytes: text(JSON.stringify(json)) }, weights, ...files],
          main: 'model.json',
        };
      }
      if (roll < 0.35) {
        return {
          index,
          reader,
          note: 'weights.bin mutated',
          files: [
            { name: 'model.json', bytes: text(JSON.stringify(seeds.modelJson)) },
            { name: 'weights.bin', bytes: mutateBytes(random, seeds.weightsBin) },
          ],
          main: 'model.json',
        };
      }
      if (roll < 0.45) {
        const { config, note } = layerGraphCase(random, seeds.h5Config);
        return {
          index,
          reader,
          note: `model.json ${note}`,
          files: [
            { name: 'model.json', bytes: text(JSON.stringify({ format: 'layers-model', modelTopology: config })) },
          ],
          main: 'model.json',
        };
      }
      const { bytes, note } = jsonCase(random, seeds.modelJson);
      return { index, reader, note, files: [{ name: 'model.json', bytes }, weights], main: 'model.json' };
    }
    case 'h5': {
      if (special) return specialCase(index, reader, random, 'm.h5');
      const roll = random();
      if (roll < 0.35) {
        const seed = choose(random, seeds.h5);
        const bytes = random() < 0.5 ? mutateIntegerFields(random, seed, [129, 3, 2, 387]) : mutateBytes(random, seed);
        return { index, reader, note: 'h5 bytes mutated', files: [{ name: 'm.h5', bytes }], main: 'm.h5' };
      }
      const layers = functionalWeights();
      let config: unknown = seeds.h5Config;
      let note: string;
      if (roll < 0.5) {
        ({ config, note } = layerGraphCase(random, seeds.h5Config));
      } else if (roll < 0.8) {
        config = mutateJson(random, seeds.h5Config);
        note = 'model_config mutated';
        if (jsonText(config).length > 200_000) config = JSON.parse(jsonText(seeds.h5Config));
      } else {
        const [layerName, list] = layers[1];
        const kind = pick(random, 4);
        if (kind === 0) list[0].shape = choose(random, [[129, 4], [3, 129], [129], [1, 129, 3]]);
        if (kind === 1) layers[1] = [`${layerName}\u001b]0;pwned\u0007\u001b[2J`, list];
        if (kind === 2) list.pop();
        if (kind === 3) list.push({ name: 'dense_1/extra:0', shape: [2], values: Float32Array.of(1, 2) });
        note = ['weight shape changed', 'escape sequences in a layer name', 'weight missing', 'extra weight'][kind];
        if (kind === 0) list[0].values = new Float32Array(list[0].shape.reduce((a, b) => a * b, 1));
      }
      const configText = jsonText(config);
      const bytes = await kerasH5Bytes(layers, configText.length > 1_000_000 ? seeds.h5Config : configText);
      return { index, reader, note, files: [{ name: 'm.h5', bytes }], main: 'm.h5' };
    }
    case 'keras': {
      if (special) return specialCase(index, reader, random, 'm.keras');
      const { bytes, note } = kerasCase(random, seeds.keras);
      return { index, reader, note, files: [{ name: 'm.keras', bytes }], main: 'm.keras' };
    }
    case 'manifest': {
      if (special) return specialCase(index, reader, random, 'manifest.csv');
      const { files, note } = manifestCaseFiles(random, seeds);
      return { index, reader, note, files, main: 'manifest.csv' };
    }
    case 'parquet': {
      if (special) return specialCase(index, reader, random, 'chunk-000000.parquet');
      const roll = random();
      const { bytes, note } =
        roll < 0.4
          ? { bytes: mutateBytes(random, seeds.part), note: 'part bytes mutated' }
          : roll < 0.75
            ? {
                bytes: mutateIntegerFields(random, seeds.part, [1, 2, 129, 258, 17]),
                note: 'part integer fields',
              }
            : { bytes: seeds.part.subarray(0, pick(random, seeds.part.length)), note: 'part truncated' };
      return { index, reader, note, files: [{ name: 'chunk-000000.parquet', bytes }], main: 'chunk-000000.parquet' };
    }
    case 'settings': {
      if (special) return specialCase(index, reader, random, 'settings.json');
      const { bytes, note } = jsonCase(random, seeds.settings);
      return { index, reader, note, files: [{ name: 'settings.json', bytes }], main: 'settings.json' };
    }
    default:
      return cliCase(index, random, seeds);
  }
}
