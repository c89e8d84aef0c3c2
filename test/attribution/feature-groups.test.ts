/** Feature groups: the counting rules of bands, time segments and tiles, masks with names, and harmonic groups. */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { groupMaskFromJson, positionGroups, resolveGroups } from '../../src/attribution/feature-groups.js';
import { computeFeatures } from '../../src/signal/features.js';

const psdHz = Array.from({ length: 129 }, (_, i) => i * 31.25);

test("bands:N: floor(L/N) positions each, the last takes the remainder; Hz ranges from 'frequencyHz'", () => {
  const [{ groups }] = resolveGroups('f', 'bands:8', [129], new Float32Array(129), 1, 1, psdHz);
  assert.deepEqual(
    groups.map((g) => g.positions.length),
    [16, 16, 16, 16, 16, 16, 16, 17],
  );
  assert.deepEqual(
    groups[7].positions,
    Array.from({ length: 17 }, (_, i) => 112 + i),
  );
  assert.deepEqual([groups[0].name, groups[0].lowHz, groups[0].highHz], ['band 0', 0, 468.75]);
  assert.equal(groups[7].highHz, 4000);
});

test('time:N and tiles:FxT on a [6, 5] spectrogram: rows × frames, row-major tiles', () => {
  const [{ groups: time }] = resolveGroups('f', 'time:2', [6, 5], new Float32Array(30), 1, 1);
  // 5 frames in 2 segments: frames 0-1 and 2-4.
  assert.deepEqual(time[0].positions, [0, 1, 5, 6, 10, 11, 15, 16, 20, 21, 25, 26]);
  assert.equal(time[1].positions.length, 18);
  const [{ groups: tiles }] = resolveGroups('f', 'tiles:3×2', [6, 5], new Float32Array(30), 1, 1);
  assert.equal(tiles.length, 6);
  assert.deepEqual(tiles[3].positions, [12, 13, 14, 17, 18, 19]); // band 1 (rows 2-3), segment 1 (frames 2-4)
  assert.equal(tiles[3].name, 'tile 1,1');
});

test('a mask: nested in the non-channel shape or flat, optional names; the JSON forms', () => {
  const mask = groupMaskFromJson({ mask: [[0], [0], [1], [2]], names: ['low', 'mid', 'high'] }, 'm');
  const [{ groups }] = resolveGroups('f', mask, [4, 1], new Float32Array(4), 1, 1);
  assert.deepEqual(
    groups.map((g) => [g.name, g.positions]),
    [
      ['low', [0, 1]],
      ['mid', [2]],
      ['high', [3]],
    ],
  );
  assert.deepEqual(groupMaskFromJson([0, 1], 'm'), { mask: [0, 1] });
  assert.throws(() => groupMaskFromJson({ names: [] }, "Option '--groups' file 'm.json'"), /must hold an array/);
  assert.equal(positionGroups([3], 2)[1].groups.length, 3);
});

test('harmonics: per example f0 (JSON key f0Hz), then below f0, f0, 2f0, ... and the bins between', () => {
  const tone = (f0: number): Float32Array =>
    computeFeatures(
      Float64Array.from({ length: 5000 }, (_, t) =>
        [1, 0.5, 0.3].reduce((s, a, k) => s + a * Math.sin((2 * Math.PI * (k + 1) * f0 * t) / 8000), 0),
      ),
      'potamitis-psd',
    ).data;
  const data = new Float32Array(258);
  data.set(tone(500), 0);
  data.set(tone(730), 129);
  const [a, b] = resolveGroups('f', 'harmonics', [129], data, 2, 1, psdHz);
  assert.ok(Math.abs((a.f0Hz ?? 0) - 500) < 5 && Math.abs((b.f0Hz ?? 0) - 730) < 7.3);
  assert.deepEqual(
    a.groups.map((g) => g.name),
    ['below f0', 'f0', '2f0', '3f0', '4f0', '5f0', '6f0', '7f0', '8f0', 'between harmonics'],
  );
  // The f0 group: the bins within one bin width (31.25 Hz) of the estimated f0, 500 Hz among them.
  assert.ok(a.groups[1].positions.includes(16));
  a.groups[1].positions.forEach((p) => assert.ok(Math.abs(psdHz[p] - (a.f0Hz ?? 0)) <= 31.25));
  assert.equal(b.groups.length, 7); // 5 harmonics of 730 Hz below 4000 Hz
  const all = a.groups.flatMap((g) => g.positions).sort((p, q) => p - q);
  assert.deepEqual(
    all,
    Array.from({ length: 129 }, (_, i) => i),
  ); // a partition
  const [c] = resolveGroups('f', 'harmonics:10', [129], data, 1, 1, psdHz);
  assert.deepEqual(c.groups[1].positions, [16]);
});
