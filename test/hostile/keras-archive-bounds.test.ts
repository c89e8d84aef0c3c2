/**
 * Issue 25, bounded `.keras` reading: entries whose declared inflated size is past the stated limits are refused before
 * inflating; a config nested 100,000 deep is refused in one line; the weights file's groups are visited once however
 * many hard links lead to them (a DAG of 2^40 paths, a cycle), in the worker with the `.h5` time limit.
 */
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { zipSync } from 'fflate';
import { KERAS_ARCHIVE_LIMITS, readKerasArchive } from '../../src/models/keras-archive.js';
import { readKerasVarsH5 } from '../../src/models/hdf5.js';
import { readKerasVarsH5Isolated } from '../../src/node/read-keras-h5-isolated.js';
import { linkedGroupsFile } from './hostile-h5.js';

test('a weights file of hard-linked groups (a DAG of 2^40 paths and a cycle) is walked once per group, on the main thread and in the worker', async () => {
  const bytes = await linkedGroupsFile();
  const started = performance.now();
  assert.equal((await readKerasVarsH5(bytes, 'links.h5')).size, 0);
  assert.ok(performance.now() - started < 10_000, `${performance.now() - started} ms`);
  // In the worker, within the time limit (which starts once the worker has loaded).
  assert.equal((await readKerasVarsH5Isolated(bytes, 'links.h5')).size, 0);
});

/** A zip of `entries` whose central directory declares `declared` inflated bytes for `entry`. */
function withDeclaredSize(entries: Record<string, Uint8Array>, entry: string, declared: number): Uint8Array {
  const zip = zipSync(entries, { level: 6 });
  const view = new DataView(zip.buffer, zip.byteOffset, zip.byteLength);
  const name = new TextEncoder().encode(entry);
  for (let at = 0; at + 46 < zip.length; at++) {
    if (view.getUint32(at, true) !== 0x02014b50) continue;
    const length = view.getUint16(at + 28, true);
    if (length === name.length && zip.subarray(at + 46, at + 46 + length).every((b, i) => b === name[i]))
      view.setUint32(at + 24, declared, true);
  }
  return zip;
}

test('archive entries declaring more than the stated inflated limits are refused before inflating', async () => {
  const config = new TextEncoder().encode('{"class_name": "Sequential", "config": {"layers": []}}');
  const weights = new Uint8Array(1000);
  const bomb = withDeclaredSize(
    { 'config.json': config, 'model.weights.h5': weights },
    'model.weights.h5',
    1.5 * 2 ** 30,
  );
  const before = process.memoryUsage().arrayBuffers;
  await assert.rejects(
    readKerasArchive(bomb, 'bomb.keras'),
    /'model\.weights\.h5' in 'bomb\.keras' declares 1610612736 bytes inflated, more than the limit of \d+ bytes/,
  );
  assert.ok(process.memoryUsage().arrayBuffers - before < 2 ** 28, 'nothing of the declared size allocated');
  const bigConfig = withDeclaredSize(
    { 'config.json': config, 'model.weights.h5': weights },
    'config.json',
    KERAS_ARCHIVE_LIMITS.config + 1,
  );
  await assert.rejects(readKerasArchive(bigConfig, 'c.keras'), /'config\.json' in 'c\.keras' declares/);
});

test('a .keras config nested 100,000 deep is refused in one line, without overflowing the stack', async () => {
  const deep = `${'['.repeat(100_000)}${']'.repeat(100_000)}`;
  const archive = zipSync({
    'config.json': new TextEncoder().encode(`{"config": ${deep}}`),
    'model.weights.h5': new Uint8Array(10),
  });
  await assert.rejects(readKerasArchive(archive, 'deep.keras'), (error: Error & { code?: string }) => {
    assert.equal(error.code, 'INVALID_FILE');
    assert.match(
      error.message,
      /'config\.json' in 'deep\.keras' is nested 100001 levels deep, more than the limit of 256/,
    );
    return true;
  });
});

/** `zip` with every header of `entry` (central directory and local) patched by `patch(view, headerOffset, local)`. */
function patchHeaders(
  zip: Uint8Array,
  entry: string,
  patch: (view: DataView, at: number, local: boolean) => void,
): Uint8Array {
  const view = new DataView(zip.buffer, zip.byteOffset, zip.byteLength);
  const name = new TextEncoder().encode(entry);
  for (let at = 0; at + 46 < zip.length; at++) {
    const signature = view.getUint32(at, true);
    const local = signature === 0x04034b50;
    if (!local && signature !== 0x02014b50) continue;
    const nameAt = at + (local ? 30 : 46);
    const length = view.getUint16(at + (local ? 26 : 28), true);
    if (length === name.length && zip.subarray(nameAt, nameAt + length).every((b, i) => b === name[i]))
      patch(view, at, local);
  }
  return zip;
}

test('an entry inflating past the size it declares is stopped at that size, in bounded time and memory', async () => {
  const config = new TextEncoder().encode('{"class_name": "Sequential", "config": {"layers": []}}');
  // 64 MB of zeros deflate to 64 KB; both headers claim 1000 bytes inflated.
  const lying = patchHeaders(
    zipSync({ 'config.json': config, 'model.weights.h5': new Uint8Array(64 * 2 ** 20) }, { level: 9 }),
    'model.weights.h5',
    (view, at, local) => view.setUint32(at + (local ? 22 : 24), 1000, true),
  );
  const before = process.memoryUsage().arrayBuffers;
  const started = performance.now();
  await assert.rejects(readKerasArchive(lying, 'lie.keras'), (error: Error & { code?: string }) => {
    assert.equal(error.code, 'INVALID_FILE');
    assert.equal(
      error.message,
      "'lie.keras' could not be read as a .keras (zip) file ('model.weights.h5' inflates to more than the 1000 bytes it declares); it is truncated or damaged.",
    );
    return true;
  });
  assert.ok(performance.now() - started < 5000, `${performance.now() - started} ms`);
  assert.ok(process.memoryUsage().arrayBuffers - before < 2 ** 26, 'at most one step of inflated output held');
});

test('a config.json listed twice, an unknown compression method and a truncated archive are refused in one line', async () => {
  const config = new TextEncoder().encode('{"class_name": "Sequential", "config": {"layers": []}}');
  const twice = patchHeaders(
    zipSync({ 'config.json': config, 'config.jsoX': config, 'model.weights.h5': new Uint8Array(10) }),
    'config.jsoX',
    (view, at, local) => view.setUint8(at + (local ? 30 : 46) + 10, 'n'.charCodeAt(0)),
  );
  await assert.rejects(
    readKerasArchive(twice, 'twice.keras'),
    /'twice\.keras' could not be .*'config\.json' is listed twice/,
  );
  const method = patchHeaders(
    zipSync({ 'config.json': config, 'model.weights.h5': new Uint8Array(10) }),
    'config.json',
    (view, at, local) => view.setUint16(at + (local ? 8 : 10), 14, true),
  );
  await assert.rejects(readKerasArchive(method, 'm.keras'), /'config\.json' uses compression method 14/);
  const whole = zipSync({ 'config.json': config, 'model.weights.h5': new Uint8Array(10) });
  await assert.rejects(
    readKerasArchive(whole.subarray(0, whole.length - 30), 't.keras'),
    /'t\.keras' could not be read as a \.keras \(zip\) file \(.*\); it is truncated or damaged\.$/,
  );
});
