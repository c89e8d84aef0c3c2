/**
 * Issue 25, inputs refused before they are read whole: a recording whose header declares more frames than can be
 * decoded (a two-hour WAV at 44.1 kHz, stored sparse), and a manifest of more lines than the stated limit.
 */
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync, truncateSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { after, test } from 'node:test';
import { readFileBytes } from '../../src/node/read-files.js';
import { inputFingerprint } from '../../src/node/resumption-key.js';
import { listDataset } from '../../src/node/dataset/listing.js';
import { MAX_MANIFEST_EXAMPLES } from '../../src/dataset/examples.js';
import { MAX_WAV_FRAMES, wavDeclaredFrames } from '../../src/signal/wav.js';

const work = mkdtempSync(path.join(tmpdir(), 'wingbeats-long-'));
after(() => rmSync(work, { recursive: true, force: true }));

/** A 16-bit mono WAV header declaring `frames` frames at `rate` Hz. */
function wavHeader(frames: number, rate: number): Uint8Array {
  const header = new Uint8Array(44);
  const view = new DataView(header.buffer);
  const text = (at: number, s: string) => [...s].forEach((c, i) => (header[at + i] = c.charCodeAt(0)));
  text(0, 'RIFF');
  view.setUint32(4, 36 + frames * 2, true);
  text(8, 'WAVE');
  text(12, 'fmt ');
  view.setUint32(16, 16, true);
  view.setUint16(20, 1, true);
  view.setUint16(22, 1, true);
  view.setUint32(24, rate, true);
  view.setUint32(28, rate * 2, true);
  view.setUint16(32, 2, true);
  view.setUint16(34, 16, true);
  text(36, 'data');
  view.setUint32(40, frames * 2, true);
  return header;
}

test('a two-hour recording is refused from its header, before its 635 MB are read', async () => {
  const frames = 2 * 3600 * 44_100;
  const file = path.join(work, 'two-hours.wav');
  writeFileSync(file, wavHeader(frames, 44_100));
  truncateSync(file, 44 + frames * 2); // sparse: no disk used
  assert.equal(wavDeclaredFrames(wavHeader(frames, 44_100), 44 + frames * 2), frames);
  const before = process.memoryUsage().arrayBuffers;
  for (const read of [() => readFileBytes(file), () => inputFingerprint(file)])
    await assert.rejects(read(), (error: Error & { code?: string }) => {
      assert.equal(error.code, 'INVALID_FILE');
      assert.match(
        error.message,
        new RegExp(`holds ${frames} frames, more than the limit of ${MAX_WAV_FRAMES} frames`),
      );
      return true;
    });
  assert.ok(process.memoryUsage().arrayBuffers - before < 2 ** 26, 'the file was not read whole');
  const short = path.join(work, 'short.wav');
  writeFileSync(short, wavHeader(8000, 8000));
  truncateSync(short, 44 + 16_000);
  assert.equal((await readFileBytes(short)).length, 16_044);
});

test('a manifest of more lines than the limit is refused in one line before it is parsed', async () => {
  const manifest = path.join(work, 'huge.csv');
  const line = 'Aedes/rec.wav,Aedes\n';
  writeFileSync(manifest, `path,label\n${line.repeat(MAX_MANIFEST_EXAMPLES + 1)}`);
  const started = performance.now();
  await assert.rejects(listDataset(manifest), new RegExp(`has more than ${MAX_MANIFEST_EXAMPLES} lines; split it`));
  assert.ok(performance.now() - started < 10_000);
});
