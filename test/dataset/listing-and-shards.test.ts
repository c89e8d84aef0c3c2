/** Data-set listing (folders, manifests) and the stable-hash shards. */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { examplesFromFolder, examplesFromManifest } from '../../src/dataset/examples.js';
import { inShard, parseShard, resolveShard, shardOfPath, stableHash } from '../../src/dataset/shard.js';

test('a folder is labelled by its first sub-folder; top-level files have no label; other files are ignored', () => {
  const examples = examplesFromFolder(['b/x.wav', 'a/deep/y.NPY', 'z.json', 'a/notes.txt', 'a\\w.wav']);
  assert.deepEqual(examples, [
    { path: 'a/deep/y.NPY', label: 'a', split: null },
    { path: 'a/w.wav', label: 'a', split: null },
    { path: 'b/x.wav', label: 'b', split: null },
    { path: 'z.json', label: null, split: null },
  ]);
});

test('a manifest is read with or without header, with quoted fields, empty labels and splits', () => {
  const withHeader = examplesFromManifest('path,label,split\n"b, c.wav",Culex,test\na.wav,,train\n', 'm.csv');
  assert.deepEqual(withHeader, [
    { path: 'a.wav', label: null, split: 'train' },
    { path: 'b, c.wav', label: 'Culex', split: 'test' },
  ]);
  assert.deepEqual(examplesFromManifest('x/1.wav,Aedes\n', 'm.csv'), [
    { path: 'x/1.wav', label: 'Aedes', split: null },
  ]);
  assert.throws(
    () => examplesFromManifest('path,label\na.wav,A\na.wav,B\n', 'm.csv'),
    /Manifest 'm\.csv' line 3: 'a\.wav' is listed twice/,
  );
  assert.throws(() => examplesFromManifest('path,label\n', 'm.csv'), /lists no example/);
});

test('stableHash is 32-bit FNV-1a of the UTF-8 bytes', () => {
  assert.equal(stableHash(''), 0x811c9dc5);
  assert.equal(stableHash('a'), 0xe40c292c);
  assert.equal(stableHash('foobar'), 0xbf9cf968);
  assert.equal(stableHash('é'), stableHash('\u00e9'));
});

test('shards partition the examples, and adding files moves none of the existing ones', () => {
  const paths = Array.from({ length: 500 }, (_, i) => `class${i % 7}/rec-${i}.wav`);
  const count = 4;
  const sizes = [0, 1, 2, 3].map((index) => paths.filter((p) => inShard(p, { index, count })).length);
  assert.equal(
    sizes.reduce((a, b) => a + b, 0),
    paths.length,
    'every example in exactly one shard',
  );
  for (const size of sizes) assert.ok(size > 80 && size < 170, `balanced enough: ${sizes}`);
  const before = new Map(paths.map((p) => [p, shardOfPath(p, count)]));
  const more = [...paths, ...Array.from({ length: 100 }, (_, i) => `class0/new-${i}.wav`)];
  for (const p of paths) assert.equal(shardOfPath(p, count), before.get(p));
  assert.equal(more.length, 600);
});

test('the shard comes from --shard, Slurm array variables or a Kubernetes Indexed Job', () => {
  assert.deepEqual(parseShard('2/5'), { index: 2, count: 5 });
  assert.throws(() => parseShard('5/5'), /Option '--shard': the shard index must be an integer in 0\.\.4 but got '5'/);
  assert.throws(() => parseShard('two'), /Option '--shard' must be i\/n/);
  assert.deepEqual(resolveShard({}, {}), { index: 0, count: 1 });
  assert.deepEqual(resolveShard({}, { SLURM_ARRAY_TASK_ID: '3', SLURM_ARRAY_TASK_COUNT: '8' }), { index: 3, count: 8 });
  assert.deepEqual(
    resolveShard({}, { SLURM_ARRAY_TASK_ID: '4', SLURM_ARRAY_TASK_MIN: '1', SLURM_ARRAY_TASK_COUNT: '4' }),
    { index: 3, count: 4 },
  );
  assert.deepEqual(resolveShard({ shardCount: 6 }, { JOB_COMPLETION_INDEX: '5' }), { index: 5, count: 6 });
  assert.deepEqual(
    resolveShard({ shard: '1/2' }, { JOB_COMPLETION_INDEX: '5' }),
    { index: 1, count: 2 },
    '--shard wins',
  );
  assert.throws(
    () => resolveShard({}, { JOB_COMPLETION_INDEX: '0' }),
    /JOB_COMPLETION_INDEX is set .* pass --shard-count N/,
  );
  assert.throws(
    () => resolveShard({ shardCount: 2 }, { JOB_COMPLETION_INDEX: '2' }),
    /JOB_COMPLETION_INDEX: the shard index must be an integer in 0\.\.1 but got '2'/,
  );
  assert.throws(() => resolveShard({ shardCount: 3 }, {}), /'--shard-count' needs a shard index/);
});
