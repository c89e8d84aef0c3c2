/**
 * Harmonic profiles: a heatmap read on the f0-normalised axis (textbook: a heatmap linear in Hz gives h·f0 / top
 * exactly), the same on a spectrogram's reversed rows, per-class means that line up two species with different f0
 * at the same harmonic, and the report's section.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { heatmapAxis } from '../../src/dataset/axis.js';
import {
  MAX_HARMONIC,
  exampleFundamental,
  exampleHarmonicProfile,
  harmonicGrid,
  harmonicProfile,
} from '../../src/dataset/harmonic-profile.js';
import { summarizeTable, type HarmonicProfileSummary } from '../../src/dataset/summarize.js';
import { harmonicProfileSections } from '../../src/dataset/harmonic-profile-report.js';
import type { DatasetRow } from '../../src/dataset/table.js';
import { assertClose } from '../helpers.js';

const psdAxis = heatmapAxis('potamitis-psd', [129, 1]);
const hz = Array.from({ length: 129 }, (_, k) => k * 31.25);

/** A wingbeat-like spectrum in dB: harmonics of f0 as 30 dB peaks over −60 dB. */
function spectrumDb(f0: number): number[] {
  return hz.map(
    (f) =>
      -60 +
      Array.from({ length: 7 }, (_, k) => 30 * Math.exp(-(((f - (k + 1) * f0) / 40) ** 2))).reduce((a, b) => a + b),
  );
}

function row(path: string, label: string, method: string, input: number[], heatmap: number[]): DatasetRow {
  return {
    path,
    index: 0,
    label,
    split: null,
    method,
    predicted: label,
    predictedIndex: 0,
    target: 0,
    targetName: null,
    probabilities: null,
    scores: null,
    heads: null,
    input,
    attributions: heatmap,
    heatmap,
    delta: null,
    error: null,
    warnings: [],
  };
}

test('harmonicProfile: a heatmap linear in Hz reads h·f0 / 4000 on the grid, NaN above the axis; PSD and spectrogram agree', () => {
  const grid = harmonicGrid();
  assert.equal(grid.length, MAX_HARMONIC / 0.05 + 1);
  assert.deepEqual([grid[0], grid[20], grid[40]], [0, 1, 2]);
  const f0 = exampleFundamental(spectrumDb(500), psdAxis) as number;
  assert.ok(Math.abs(f0 - 500) < 2, `f0 ${f0}`);
  const linear = hz.map((f) => f / 4000);
  const profile = harmonicProfile(linear, psdAxis, f0);
  grid.forEach((h, i) => {
    if (h * f0 > 4000 + 1e-9) assert.ok(Number.isNaN(profile[i]), `h ${h} lies above 4 kHz`);
    else assertClose([profile[i]], [(h * f0) / 4000], 1e-12, 0, `h ${h}`);
  });
  // A spectrogram: rows from the highest bin down, 4 frames, 3 channels in the input.
  const axis = heatmapAxis('potamitis-spectrogram', [129, 4]);
  const frames = 4;
  const image = [...spectrumDb(500)].reverse().flatMap((v) => Array(frames * 3).fill(v) as number[]);
  const heatmap = [...linear].reverse().flatMap((v) => Array(frames).fill(v) as number[]);
  const fromImage = exampleHarmonicProfile(image, heatmap, axis);
  assert.ok(fromImage !== undefined);
  assertClose([fromImage.f0Hz], [f0], 1e-9);
  assertClose(
    Array.from(fromImage.profile, (v) => (Number.isNaN(v) ? -1 : v)),
    Array.from(profile, (v) => (Number.isNaN(v) ? -1 : v)),
    1e-12,
  );
  assert.equal(exampleFundamental(new Array(129).fill(-40), psdAxis), undefined, 'a flat spectrum has no f0');
});

test('summary: two species with different f0 whose relevance sits on 2f0 line up at harmonic 2; textbook means', async () => {
  const rows: DatasetRow[] = [];
  const examples: { label: string; f0: number }[] = [
    { label: 'slow', f0: 400 },
    { label: 'slow', f0: 440 },
    { label: 'fast', f0: 650 },
    { label: 'fast', f0: 700 },
  ];
  for (const [i, { label, f0 }] of examples.entries()) {
    // Relevance: a bump on the second harmonic of this example.
    const heatmap = hz.map((f) => Math.exp(-(((f - 2 * f0) / 60) ** 2)));
    rows.push(row(`${label}/${i}.npy`, label, 'saliency', spectrumDb(f0), heatmap));
  }
  rows.push(row('slow/flat.npy', 'slow', 'saliency', new Array(129).fill(-40), new Array(129).fill(0.5)));
  const summary = await summarizeTable(async (visit) => rows.forEach(visit), {
    heatmapShape: [129, 1],
    axis: psdAxis,
  });
  const harmonics = summary.harmonics;
  assert.ok(harmonics !== null);
  const grid = harmonics.grid;
  for (const label of ['slow', 'fast']) {
    const profile: HarmonicProfileSummary | undefined = harmonics.profiles.find(
      (p) => p.by === 'label' && p.label === label,
    );
    assert.ok(profile !== undefined);
    assert.equal(profile.examples, 2);
    assert.equal(profile.withoutF0, label === 'slow' ? 1 : 0);
    // Textbook: the mean of the examples' own profiles where they reach.
    const members = rows.filter((r) => r.label === label && r.path !== 'slow/flat.npy');
    const own = members.map((r) => {
      const f0 = exampleFundamental(r.input as number[], psdAxis) as number;
      return { f0, profile: harmonicProfile(r.heatmap as number[], psdAxis, f0) };
    });
    grid.forEach((_, i) => {
      const values = own.map((o) => o.profile[i]).filter((v) => !Number.isNaN(v));
      assert.equal(profile.counts[i], values.length);
      if (values.length === 0) assert.equal(profile.mean[i], null);
      else assertClose([profile.mean[i] as number], [values.reduce((a, b) => a + b) / values.length], 1e-12);
    });
    assertClose([profile.meanF0Hz as number], [(own[0].f0 + own[1].f0) / 2], 1e-9);
    // The bump on 2f0 lines up at harmonic 2 for both species.
    const best = profile.atHarmonics.indexOf(Math.max(...(profile.atHarmonics.filter((v) => v !== null) as number[])));
    assert.equal(best + 1, 2, `${label}: strongest at harmonic ${best + 1}`);
    assert.ok((profile.atHarmonics[1] as number) > 0.9);
  }
  const sections = await harmonicProfileSections(summary);
  assert.equal(sections.length, 1);
  assert.match(sections[0].title, /Harmonic profiles · saliency · per true class/);
  assert.match(JSON.stringify(sections[0].figures?.[0].image), /<svg/);
  assert.deepEqual(
    sections[0].table?.rows.map((r) => r.slice(0, 3)),
    [
      ['fast', 2, 0],
      ['slow', 2, 1],
    ],
  );
  // No frequency axis: no harmonic profiles.
  const plain = await summarizeTable(async (visit) => rows.forEach(visit), {
    heatmapShape: [129],
    axis: { kind: 'index' },
  });
  assert.equal(plain.harmonics, null);
});
