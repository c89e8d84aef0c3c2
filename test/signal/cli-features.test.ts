import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import * as wavefileModule from 'wavefile';
import { main } from '../../src/node/cli/main.js';
import { decodeNpy, encodeNpy, readNpy } from '../../src/node/npy-file.js';
import { WingbeatsError } from '../../src/util/errors.js';
import { repoRoot } from './fixtures.js';
import { cliBin } from '../helpers.js';

const WaveFile = (wavefileModule as any).WaveFile ?? (wavefileModule as any).default.WaveFile;
const bin = cliBin;

/** A 1-s 44.1 kHz stereo 16-bit WAV of a 600 Hz tone with an envelope peaking at 0.6 s over a quiet floor. */
function writeToneWav(file: string): void {
  const rate = 44100;
  const left: number[] = [];
  for (let n = 0; n < rate; n++) {
    const t = n / rate;
    left.push(Math.round((300 + 20000 * Math.exp(-(((t - 0.6) / 0.15) ** 2))) * Math.sin(2 * Math.PI * 600 * t)));
  }
  const wav = new WaveFile();
  wav.fromScratch(2, rate, '16', [left, left.map((v) => Math.round(v / 2))]);
  writeFileSync(file, wav.toBuffer());
}

function capture(): { io: { stdout: (t: string) => void; stderr: (t: string) => void }; out: string[]; err: string[] } {
  const out: string[] = [];
  const err: string[] = [];
  return { io: { stdout: (t) => void out.push(t), stderr: (t) => void err.push(t) }, out, err };
}

test('CLI features --json (spawned bin): one JSON document on stdout in the input layout', () => {
  const dir = mkdtempSync(path.join(tmpdir(), 'wbx-cli-'));
  try {
    const wav = path.join(dir, 'tone.wav');
    writeToneWav(wav);
    const run = spawnSync(process.execPath, [bin, 'features', '--input', wav, '--preset', 'potamitis-psd', '--json'], {
      encoding: 'utf8',
      cwd: repoRoot,
    });
    assert.equal(run.status, 0, run.stderr);
    const doc = JSON.parse(run.stdout);
    assert.equal(doc.preset, 'potamitis-psd');
    assert.equal(doc.sampleRate, 8000);
    assert.deepEqual(doc.shape, [129, 1]);
    assert.equal(doc.features.length, 129);
    assert.ok(doc.features.every((row: number[]) => row.length === 1 && Number.isFinite(row[0])));
    // The loudest 5000-sample window (0.625 s) is centred on the envelope's peak at 0.6 s.
    assert.ok(Math.abs(doc.start / 8000 + 0.3125 - 0.6) < 0.01, `window starts at ${doc.start}`);
    const peakBin = doc.features.reduce(
      (best: number, row: number[], k: number) => (row[0] > doc.features[best][0] ? k : best),
      0,
    );
    assert.ok(Math.abs(peakBin * 31.25 - 600) <= 31.25, `PSD peak at bin ${peakBin}`);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});

test('CLI bad arguments: non-zero exit and exactly one line on stderr', () => {
  const run = spawnSync(process.execPath, [bin, 'features', '--input', 'x.wav', '--preset', 'nope', '--json'], {
    encoding: 'utf8',
    cwd: repoRoot,
  });
  assert.notEqual(run.status, 0);
  assert.equal(run.stdout, '');
  assert.equal(
    run.stderr,
    "wingbeats-xai: Option '--preset' must be one of potamitis-psd, potamitis-spectrogram, keogh-psd, keogh-spectrogram but got 'nope'.\n",
  );
});

test('CLI in-process: --windows all, --out writes features.json and features.npy; errors are one line', async () => {
  const dir = mkdtempSync(path.join(tmpdir(), 'wbx-cli-'));
  try {
    const wav = path.join(dir, 'tone.wav');
    writeToneWav(wav);
    const out = path.join(dir, 'out');
    const c = capture();
    const code = await main(
      ['features', '-i', wav, '-p', 'keogh-spectrogram', '--windows', 'all', '--out', out, '--json', '--quiet'],
      c.io,
    );
    assert.equal(code, 0, c.err.join(''));
    assert.deepEqual(c.err, []);
    const doc = JSON.parse(c.out.join(''));
    assert.equal(doc.length, Math.floor(16000 / 1680));
    assert.deepEqual(doc[1].shape, [129, 33, 3]);
    assert.equal(doc[1].start, 1680);
    assert.equal(doc[1].features.length, 129);
    assert.equal(doc[1].features[0].length, 33);
    assert.equal(doc[1].features[0][0].length, 3);
    assert.deepEqual(JSON.parse(readFileSync(path.join(out, 'features.json'), 'utf8')), doc);
    const npy = await readNpy(path.join(out, 'features.npy'));
    assert.deepEqual(npy.shape, [doc.length, 129, 33, 3]);
    assert.equal(npy.dtype, '<f4');
    assert.equal(npy.data[129 * 33 * 3 + 5 * 3], Math.fround(doc[1].features[0][5][0]));

    const missing = capture();
    assert.equal(
      await main(['features', '-i', path.join(dir, 'none.wav'), '-p', 'potamitis-psd', '--json'], missing.io),
      1,
    );
    assert.deepEqual(missing.out, []);
    assert.deepEqual(missing.err, [`wingbeats-xai: Input '${path.join(dir, 'none.wav')}' does not exist.\n`]);

    const short = path.join(dir, 'short.wav');
    const w = new WaveFile();
    w.fromScratch(
      1,
      8000,
      '16',
      Array.from({ length: 800 }, (_, i) => Math.round(1000 * Math.sin(i))),
    );
    writeFileSync(short, w.toBuffer());
    const tooShort = capture();
    assert.equal(await main(['features', '-i', short, '-p', 'potamitis-psd'], tooShort.io), 1);
    assert.equal(tooShort.err.length, 1);
    assert.match(
      tooShort.err[0],
      /^wingbeats-xai: Recording 'short.wav' is too short for preset 'potamitis-psd': 800 samples/,
    );
    const padded = capture();
    assert.equal(await main(['features', '-i', short, '-p', 'potamitis-psd', '--pad'], padded.io), 0);
    assert.match(
      padded.out.join(''),
      /^potamitis-psd: shape \[129, 1\] at 8000 Hz from short.wav, window at sample 0 \(0.000 s\), 4200 zeros padded\n$/,
    );
    assert.ok(!existsSync(path.join(dir, 'features.json')));
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});

test('npy: encode/decode round trip, dtypes, and errors', () => {
  const data = Float32Array.from({ length: 6 }, (_, i) => i - 2.5);
  const bytes = encodeNpy(data, [2, 3]);
  assert.equal((10 + new DataView(bytes.buffer).getUint16(8, true)) % 64, 0);
  const back = decodeNpy(bytes);
  assert.deepEqual(back.shape, [2, 3]);
  assert.deepEqual(Array.from(back.data), Array.from(data));
  assert.deepEqual(decodeNpy(encodeNpy(Float32Array.of(7), [1])).shape, [1]);
  assert.throws(
    () => encodeNpy(data, [4, 2]),
    (e: unknown) => e instanceof WingbeatsError && e.code === 'SHAPE_MISMATCH',
  );
  assert.throws(() => decodeNpy(new Uint8Array(20), 'x.npy'), /^WingbeatsError: File 'x.npy' is not a .npy file/);
  assert.throws(
    () => decodeNpy(bytes.subarray(0, bytes.length - 1), 'x.npy'),
    /File 'x.npy' is truncated: shape \[2, 3\] needs 24 data bytes but 23 are present\./,
  );
  // A big-endian int16 array written by hand.
  const header = "{'descr': '>i2', 'fortran_order': False, 'shape': (2,), }";
  const h = header + ' '.repeat((64 - ((10 + header.length + 1) % 64)) % 64) + '\n';
  const raw = new Uint8Array(10 + h.length + 4);
  raw.set([0x93, 0x4e, 0x55, 0x4d, 0x50, 0x59, 1, 0]);
  new DataView(raw.buffer).setUint16(8, h.length, true);
  raw.set(
    Array.from(h, (ch) => ch.charCodeAt(0)),
    10,
  );
  new DataView(raw.buffer).setInt16(10 + h.length, -3, false);
  new DataView(raw.buffer).setInt16(12 + h.length, 300, false);
  assert.deepEqual(Array.from(decodeNpy(raw).data), [-3, 300]);
});
