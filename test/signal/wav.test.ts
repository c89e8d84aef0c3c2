import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import * as wavefileModule from 'wavefile';
import { decodeWav } from '../../src/signal/wav.js';
import { readWavFile } from '../../src/node/read-wav-file.js';
import { WingbeatsError } from '../../src/util/errors.js';

const WaveFile = (wavefileModule as any).WaveFile ?? (wavefileModule as any).default.WaveFile;

/** A WAV in memory written by wavefile: `channels` arrays of raw values in the bit depth's own units. */
function makeWav(bitDepth: string, channels: number[][], rate = 22050): Uint8Array {
  const wav = new WaveFile();
  wav.fromScratch(channels.length, rate, bitDepth, channels.length === 1 ? channels[0] : channels);
  return wav.toBuffer();
}

function expectInvalid(fn: () => unknown, message: string | RegExp): void {
  assert.throws(fn, (e: unknown) => {
    assert.ok(e instanceof WingbeatsError, `expected a WingbeatsError, got ${String(e)}`);
    assert.equal(e.code, 'INVALID_FILE');
    if (typeof message === 'string') assert.equal(e.message, message);
    else assert.match(e.message, message);
    return true;
  });
}

const raw = [0, 1, -1, 2, -3];

test('PCM 8/16/24/32-bit and float 32/64 read back scaled to full scale 1', () => {
  const cases: [string, number[], number[], 'pcm' | 'float', number][] = [
    ['8', [128, 129, 127, 255, 0], [0, 1 / 128, -1 / 128, 127 / 128, -1], 'pcm', 8],
    ['16', [0, 1, -1, 32767, -32768], [0, 1 / 32768, -1 / 32768, 32767 / 32768, -1], 'pcm', 16],
    ['24', [0, 1, -1, 8388607, -8388608], [0, 2 ** -23, -(2 ** -23), 8388607 / 8388608, -1], 'pcm', 24],
    [
      '32',
      [0, 256, -256, 2147483647, -2147483648],
      [0, 2 ** -23, -(2 ** -23), Math.fround(2147483647 / 2147483648), -1],
      'pcm',
      32,
    ],
    ['32f', [0, 0.5, -0.25, 1.5, -3], [0, 0.5, -0.25, 1.5, -3], 'float', 32],
    ['64', [0, 0.1, -0.2, 1e-8, 2], [0, 0.1, -0.2, 1e-8, 2].map(Math.fround), 'float', 64],
  ];
  for (const [depth, values, want, encoding, bits] of cases) {
    const rec = decodeWav(makeWav(depth, [values]), { name: `t${depth}.wav` });
    assert.equal(rec.sampleRate, 22050, depth);
    assert.equal(rec.encoding, encoding, depth);
    assert.equal(rec.bitsPerSample, bits, depth);
    assert.equal(rec.channels, 1);
    assert.equal(rec.name, `t${depth}.wav`);
    assert.deepEqual(Array.from(rec.samples), want.map(Math.fround), depth);
  }
});

test('stereo is averaged by default, or one channel is chosen; any rate', () => {
  const bytes = makeWav(
    '16',
    [
      [1000, 2000, -4000],
      [3000, 0, 4000],
    ],
    96000,
  );
  const mix = decodeWav(bytes);
  assert.equal(mix.channels, 2);
  assert.equal(mix.channel, 'mix');
  assert.equal(mix.sampleRate, 96000);
  assert.deepEqual(
    Array.from(mix.samples),
    [2000, 1000, 0].map((v) => Math.fround(v / 32768)),
  );
  assert.deepEqual(
    Array.from(decodeWav(bytes, { channel: 1 }).samples),
    [3000, 0, 4000].map((v) => Math.fround(v / 32768)),
  );
  assert.equal(decodeWav(bytes).duration, 3 / 96000);
  assert.throws(
    () => decodeWav(bytes, { channel: 2 }),
    /Argument 'options.channel' passed to 'decodeWav' must be 'mix' or an integer in \[0, 1\] \(the file has 2 channel\(s\)\) but got 2\./,
  );
});

/** Rewrites a plain 'fmt ' chunk of 16 bytes as WAVE_FORMAT_EXTENSIBLE (40 bytes) with the given sub-format. */
function toExtensible(bytes: Uint8Array, subFormat: number): Uint8Array {
  const fmtAt = 12;
  assert.equal(String.fromCharCode(...bytes.subarray(fmtAt, fmtAt + 4)), 'fmt ');
  const oldFmt = bytes.subarray(fmtAt + 8, fmtAt + 8 + 16);
  const rest = bytes.subarray(fmtAt + 8 + 16);
  const out = new Uint8Array(12 + 8 + 40 + rest.length);
  const view = new DataView(out.buffer);
  out.set(bytes.subarray(0, 12));
  out.set([0x66, 0x6d, 0x74, 0x20], 12);
  view.setUint32(16, 40, true);
  out.set(oldFmt, 20);
  view.setUint16(20, 0xfffe, true);
  view.setUint16(36, 22, true); // cbSize
  view.setUint16(38, view.getUint16(34, true), true); // valid bits
  view.setUint32(40, 4, true); // channel mask
  view.setUint32(44, subFormat, true); // GUID's first 4 bytes = format code
  out.set([0x00, 0x00, 0x00, 0x00, 0x10, 0x00, 0x80, 0x00, 0x00, 0xaa, 0x00, 0x38, 0x9b, 0x71], 46);
  out.set(rest, 60);
  view.setUint32(4, out.length - 8, true);
  return out;
}

test('WAVE_FORMAT_EXTENSIBLE with PCM and float sub-formats', () => {
  const pcm = decodeWav(toExtensible(makeWav('24', [raw]), 1));
  assert.equal(pcm.encoding, 'pcm');
  assert.deepEqual(
    Array.from(pcm.samples),
    raw.map((v) => Math.fround(v / 2 ** 23)),
  );
  const float = decodeWav(toExtensible(makeWav('32f', [[0.5, -0.5, 0.25]]), 3));
  assert.equal(float.encoding, 'float');
  assert.deepEqual(Array.from(float.samples), [0.5, -0.5, 0.25]);
});

test('error: an MP4/M4A renamed to .wav is named as such', () => {
  const m4a = new Uint8Array(64);
  m4a.set([0, 0, 0, 0x20], 0);
  m4a.set(
    Array.from('ftypM4A ', (c) => c.charCodeAt(0)),
    4,
  );
  expectInvalid(
    () => decodeWav(m4a, { name: 'bee.wav' }),
    "File 'bee.wav' is not a WAV file: it is an MP4/M4A/MOV file ('ftyp' box). Convert it to WAV first (e.g. ffmpeg -i input output.wav).",
  );
  expectInvalid(
    () => decodeWav(new TextEncoder().encode('hello, this is text')),
    'The WAV data is not a WAV file: it does not start with a RIFF/WAVE header.',
  );
});

test('error: truncated files', () => {
  const bytes = makeWav('16', [[1, 2, 3, 4, 5, 6, 7, 8]]);
  expectInvalid(
    () => decodeWav(bytes.subarray(0, bytes.length - 4), { name: 'cut.wav' }),
    "File 'cut.wav' is truncated: its 'data' chunk declares 16 bytes but only 12 are present.",
  );
  expectInvalid(
    () => decodeWav(bytes.subarray(0, 8), { name: 'cut.wav' }),
    "File 'cut.wav' is truncated or empty: 8 bytes, less than a WAV header.",
  );
  expectInvalid(
    () => decodeWav(bytes.subarray(0, 30), { name: 'cut.wav' }),
    /^File 'cut.wav' is truncated or damaged: /,
  );
});

test('error: zero samples, NaN samples, unsupported encodings', () => {
  expectInvalid(
    () => decodeWav(makeWav('16', [[]]), { name: 'empty.wav' }),
    "File 'empty.wav' has no audio samples (its data chunk is empty).",
  );
  expectInvalid(
    () => decodeWav(makeWav('32f', [[0, 0.5, NaN, 1]]), { name: 'nan.wav' }),
    "File 'nan.wav' has NaN samples (first at frame 2 of 4).",
  );
  expectInvalid(
    () => decodeWav(makeWav('64', [[0, Infinity]]), { name: 'inf.wav' }),
    "File 'inf.wav' has infinite samples (first at frame 1 of 2).",
  );
  expectInvalid(
    () => decodeWav(makeWav('8m', [[0, 1, 2]]), { name: 'mulaw.wav' }),
    "File 'mulaw.wav' uses WAV format code 7 (mu-law), which is not supported: only PCM and IEEE float.",
  );
});

test('readWavFile reads from disk, names the file in errors, and reports a missing file', async () => {
  const dir = mkdtempSync(path.join(tmpdir(), 'wbx-wav-'));
  try {
    const file = path.join(dir, 'tone.wav');
    writeFileSync(file, makeWav('16', [[0, 16384]]));
    const rec = await readWavFile(file);
    assert.equal(rec.name, 'tone.wav');
    assert.deepEqual(Array.from(rec.samples), [0, 0.5]);
    const bad = path.join(dir, 'song.wav');
    writeFileSync(bad, Uint8Array.from([0, 0, 0, 24, ...Array.from('ftypmp42', (c) => c.charCodeAt(0)), 0, 0, 0, 0]));
    await assert.rejects(
      readWavFile(bad),
      /^WingbeatsError: File 'song.wav' is not a WAV file: it is an MP4\/M4A\/MOV file/,
    );
    await assert.rejects(readWavFile(path.join(dir, 'missing.wav')), (e: unknown) => {
      assert.ok(e instanceof WingbeatsError);
      assert.equal(e.code, 'IO');
      assert.equal(e.message, `File '${path.join(dir, 'missing.wav')}' does not exist.`);
      return true;
    });
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});
