/**
 * Hostile and broken files (issue 14): special files, sizes, WAV headers, .npy headers, JSON inputs, messages that
 * carry bytes from files. Each case fails with one typed WingbeatsError naming the problem, quickly, leaking nothing.
 */
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { after, before, test } from 'node:test';
import { MAX_MESSAGE_LENGTH, WingbeatsError, safeMessageText } from '../../src/util/errors.js';
import { ExplainableModel } from '../../src/execution/explainable-model.js';
import { jsonNestingDepth, parseJsonText } from '../../src/io/json-text.js';
import { decodeNpy } from '../../src/io/npy.js';
import { readNpy } from '../../src/node/npy-file.js';
import { readBaselineFile, readItems } from '../../src/node/cli/open-model.js';
import { formatError } from '../../src/node/cli/common.js';
import { readRegularFile } from '../../src/node/read-regular-file.js';
import { loadModel } from '../../src/models/load-model.js';
import { featuresFromRecording } from '../../src/signal/features.js';
import { readWavFile } from '../../src/node/read-wav-file.js';
import { decodeWav } from '../../src/signal/wav.js';
import { npyBytes, psdValues, toneWav } from '../../scripts/fuzz/seeds.js';
import { parseInputJson } from '../../src/io/input-files.js';
import { MAX_INPUT_DEPTH, listInputFiles } from '../../src/node/input-paths.js';
import { rejectsWithoutLeaks, useWasm } from '../helpers.js';

const dir = mkdtempSync(path.join(tmpdir(), 'wingbeats-hostile-files-'));
const fifo = path.join(dir, 'pipe');
after(() => rmSync(dir, { recursive: true, force: true }));
before(async () => {
  await useWasm();
  execFileSync('mkfifo', [fifo]);
  mkdirSync(path.join(dir, 'folder'));
});

const psdModel = ExplainableModel.from((x) => x, { inputShape: [129, 1] });
const oneItem = [{ name: 'x', data: new Float32Array(129), shape: [129, 1], warnings: [] }];

function expectCode(code: string, pattern: RegExp): (error: unknown) => boolean {
  return (error) => {
    assert.ok(error instanceof WingbeatsError, `expected a WingbeatsError, got ${String(error)}`);
    assert.equal(error.code, code, error.message);
    assert.match(error.message, pattern);
    return true;
  };
}

test('devices, FIFOs and folders are refused by every reader before a byte is read (no hang, no unbounded read)', async () => {
  const special: [string, RegExp][] = [
    ['/dev/zero', /is a character device, not a regular file/],
    ['/dev/urandom', /is a character device, not a regular file/],
    [fifo, /is a named pipe \(FIFO\), not a regular file/],
    [path.join(dir, 'folder'), /is a folder, not a regular file/],
  ];
  for (const [file, pattern] of special) {
    await assert.rejects(readWavFile(file), expectCode('IO', pattern));
    await assert.rejects(readNpy(file), expectCode('IO', pattern));
    await assert.rejects(readItems(psdModel, file, {}), (e: WingbeatsError) => e instanceof WingbeatsError);
    await rejectsWithoutLeaks(() => loadModel(file), new RegExp(`^The model '.*' ${pattern.source}`));
  }
  // By extension, as the CLI sees them: the message names the option the file came from.
  const link = path.join(dir, 'zero.json');
  execFileSync('ln', ['-sf', '/dev/zero', link]);
  await assert.rejects(
    readBaselineFile(psdModel, { baseline: link }, oneItem),
    expectCode('IO', /^The --baseline file '.*zero\.json' is a character device/),
  );
  await assert.rejects(
    readBaselineFile(psdModel, { baseline: path.join(dir, 'folder') }, oneItem),
    expectCode('IO', /^The --baseline file '.*folder' is a folder, not a regular file/),
  );
});

test('files larger than the cap are refused with the limit in the message, before reading', async () => {
  const file = path.join(dir, 'big.bin');
  writeFileSync(file, new Uint8Array(5000));
  await assert.rejects(
    readRegularFile(file, { what: 'File', maxBytes: 4096 }),
    expectCode('LIMIT_EXCEEDED', /^File '.*big\.bin' is 4\.9 kB, more than the limit of 4 kB\.$/),
  );
  assert.equal((await readRegularFile(file, { what: 'File', maxBytes: 5000 })).length, 5000);
});

test('WAV: implausible sampling rates are refused by name; channels must agree with the block alignment', () => {
  const wav = toneWav({ rate: 8000, seconds: 0.7, channels: 1, bits: 16 });
  const withRate = (rate: number): Uint8Array => {
    const bytes = Uint8Array.from(wav);
    new DataView(bytes.buffer).setUint32(24, rate >>> 0, true);
    return bytes;
  };
  for (const rate of [2 ** 32 - 1, 2 ** 24, 3, 999]) {
    assert.throws(
      () => decodeWav(withRate(rate), { name: 'r.wav' }),
      expectCode(
        'INVALID_FILE',
        new RegExp(`^File 'r\\.wav' declares a sampling rate of ${rate} Hz; expected 1000 to 1000000 Hz`),
      ),
    );
  }
  assert.equal(decodeWav(withRate(1000)).sampleRate, 1000);
  // A plausible but awkward rate whose ratio to 8 kHz does not reduce: refused instead of designing a giant filter.
  assert.throws(
    () => featuresFromRecording(decodeWav(withRate(999983)), 'potamitis-psd', { pad: true }),
    /ratio to 8000 Hz reduces to factors of at most 50000/,
  );
  const stereoClaim = Uint8Array.from(wav);
  new DataView(stereoClaim.buffer).setUint16(22, 2, true); // 2 channels, but block alignment still 2 bytes
  assert.throws(
    () => decodeWav(stereoClaim, { name: 'c.wav' }),
    expectCode(
      'INVALID_FILE',
      /^File 'c\.wav' is inconsistent: its block alignment is 2 bytes but 2 channel\(s\) of 16-bit samples take 4\.$/,
    ),
  );
  const manyChannels = Uint8Array.from(wav);
  new DataView(manyChannels.buffer).setUint16(22, 65535, true);
  assert.throws(
    () => decodeWav(manyChannels, { name: 'm.wav' }),
    expectCode('INVALID_FILE', /declares 65535 channels; expected 1 to 64/),
  );
});

test('.npy: negative, NaN, empty and enormous shapes, truncated version-3 headers, unknown versions', () => {
  const good = npyBytes(Float32Array.from(psdValues()), [129, 1]);
  const withShape = (shape: string): Uint8Array => {
    const header = new TextDecoder().decode(good.subarray(10, 10 + new DataView(good.buffer).getUint16(8, true)));
    const text = header.replace(/'shape': \([^)]*\)/, `'shape': ${shape}`).trimEnd();
    const padded = `${text}${' '.repeat(Math.max(0, header.length - text.length - 1))}\n`;
    const out = new Uint8Array(10 + padded.length + 129 * 4);
    out.set(good.subarray(0, 8));
    new DataView(out.buffer).setUint16(8, padded.length, true);
    out.set(new TextEncoder().encode(padded), 10);
    out.set(good.subarray(good.length - 129 * 4), 10 + padded.length);
    return out;
  };
  for (const shape of ['(-1,)', '(nan,)', '(,)', '(3,,4)', '(1.5,)']) {
    assert.throws(
      () => decodeNpy(withShape(shape), 'x.npy'),
      expectCode('INVALID_FILE', /^File 'x\.npy' declares the shape .* whose axes must be non-negative integers\.$/),
      shape,
    );
  }
  assert.throws(
    () => decodeNpy(withShape('(99999999999, 9999999)'), 'x.npy'),
    expectCode('INVALID_FILE', /more than the limit of 134217728 values/),
  );
  assert.deepEqual(decodeNpy(withShape('()'), 'x.npy').shape, [], 'a 0-d array is valid numpy');
  const v3 = npyBytes(Float32Array.from(psdValues()), [129, 1], 3);
  assert.throws(
    () => decodeNpy(v3.subarray(0, 11), 'x.npy'),
    expectCode('INVALID_FILE', /is truncated \(header length\)/),
  );
  assert.throws(
    () => decodeNpy(v3.subarray(0, 40), 'x.npy'),
    expectCode('INVALID_FILE', /is truncated: its header declares \d+ bytes but 28 follow/),
  );
  const v9 = Uint8Array.from(good);
  v9[6] = 9;
  assert.throws(
    () => decodeNpy(v9, 'x.npy'),
    expectCode('INVALID_FILE', /format version 9\.0, which is not supported/),
  );
  const proto = Uint8Array.from(good);
  proto.set(new TextEncoder().encode("'<__proto__'"), 10 + "{'descr': ".length); // overwrites the dtype and its neighbours
  assert.throws(
    () => decodeNpy(proto, 'x.npy'),
    (e: unknown) => e instanceof WingbeatsError,
  );
});

test('JSON inputs: byte-order mark, null among feature documents, ragged lists, nesting 100000 deep', async () => {
  const psd = psdValues();
  const write = (name: string, text: string): string => {
    const file = path.join(dir, name);
    writeFileSync(file, text);
    return file;
  };
  const bom = await readItems(psdModel, write('bom.json', `\ufeff${JSON.stringify(psd)}`), {});
  assert.equal(bom.length, 1);
  await assert.rejects(
    readItems(psdModel, write('null.json', JSON.stringify([{ features: psd }, null])), {}),
    expectCode('INVALID_FILE', /is a list of feature documents but item 1 is not one/),
  );
  await assert.rejects(
    readItems(
      psdModel,
      write(
        'ragged.json',
        JSON.stringify([
          [1, 2],
          [3, [4]],
        ]),
      ),
      {},
    ),
    expectCode('INVALID_FILE', /rectangular nested array/),
  );
  await assert.rejects(
    readItems(psdModel, write('deep.json', `${'['.repeat(100000)}${']'.repeat(100000)}`), {}),
    expectCode('INVALID_FILE', /is nested 100000 levels deep, more than the limit of 256/),
  );
  assert.equal(jsonNestingDepth('["[[[", {"a": [1]}]'), 3, 'brackets inside strings do not count');
  assert.throws(() => parseJsonText('{"a": [1, }', "'x'"), expectCode('INVALID_FILE', /^'x' is not valid JSON/));
});

test('messages never carry terminal escape sequences from files, and are capped', () => {
  const header = "{'descr': '<f4', 'fortran_order': False, 'shape': (\u001b]0;pwned\u0007\u001b[2J,), }";
  const bytes = new Uint8Array(10 + header.length + 1);
  bytes.set([0x93, 0x4e, 0x55, 0x4d, 0x50, 0x59, 1, 0]);
  new DataView(bytes.buffer).setUint16(8, header.length + 1, true);
  bytes.set(new TextEncoder().encode(`${header}\n`), 10);
  assert.throws(
    () => decodeNpy(bytes, 'evil.npy'),
    (e: WingbeatsError) => {
      assert.doesNotMatch(e.message, /[\u0000-\u0008\u000b-\u001f\u007f]/);
      assert.match(e.message, /\\x1b\]0;pwned\\x07\\x1b\[2J/);
      return true;
    },
  );
  assert.equal(safeMessageText('a\u202eb\u0000c'), 'a\\u202eb\\x00c');
  const long = new WingbeatsError('IO', 'x'.repeat(10_000));
  assert.ok(long.message.length <= MAX_MESSAGE_LENGTH);
  assert.match(long.message, /… \(\d+ more characters\)$/);
  // Errors from elsewhere (not WingbeatsError) are escaped by the CLI's one line as well.
  assert.equal(formatError(new Error('bad \u001b[2J name'), false), 'wingbeats-xai: bad \\x1b[2J name\n');
});

test('input folders: an unreadable folder and runaway nesting are refused in one typed line', async () => {
  const deep = path.join(dir, 'deep');
  let folder = deep;
  for (let i = 0; i <= MAX_INPUT_DEPTH + 1; i++) folder = path.join(folder, 'd');
  mkdirSync(folder, { recursive: true });
  writeFileSync(path.join(folder, 'x.json'), '[1]');
  await assert.rejects(listInputFiles([deep]), expectCode('LIMIT_EXCEEDED', /lies more than 64 folders deep/));
  // /proc holds folders even root may not list (found by the fuzz suite): a typed IO error, never a raw EACCES.
  await assert.rejects(listInputFiles(['/proc']), (error: unknown) => {
    assert.ok(error instanceof WingbeatsError, String(error));
    assert.match(
      error.message,
      /^Input folder '\/proc\/.*' cannot be read \(E[A-Z]+\)\.$|names no \.wav, \.npy or \.json file/,
    );
    return true;
  });
});

test('a small ragged .json input that declares a huge shape is refused before allocating', () => {
  const row = `[${new Array(20000).fill(0).join(',')}]`;
  const text = `[${[row, ...new Array(20000).fill('[]')].join(',')}]`;
  assert.throws(
    () => parseInputJson(text, 'ragged.json'),
    expectCode('INVALID_FILE', /declare shape \[20001,20000\], more numbers than the file holds/),
  );
});
