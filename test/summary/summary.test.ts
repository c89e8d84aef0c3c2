/** Readable numbers: the relative completeness gap and the ranking of frequency bands. */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { relativeCompletenessGap } from '../../src/summary/completeness.js';
import { formatFrequencyBands, rankFrequencyBands } from '../../src/summary/frequency-bands.js';

test('relativeCompletenessGap: |δ| over |f(x) − f(baseline)| = |Σ attributions − δ|', () => {
  // The example: attributions summing to −65.8 with a gap of 1.08 → f(x) − f(b) = −66.88.
  assert.ok(Math.abs(relativeCompletenessGap(1.08, -65.8) - 1.08 / 66.88) < 1e-15);
  assert.equal(relativeCompletenessGap(0, 0), 0);
  assert.equal(relativeCompletenessGap(0.5, 0.5), Infinity);
  assert.equal(relativeCompletenessGap(-0.1, 0.9), 0.1);
});

test('rankFrequencyBands: neighbouring top bins join into bands ranked by share; spectrograms sum over time', () => {
  const frequencyHz = [0, 100, 200, 300, 400, 500];
  // Bins 1 and 2 (neighbours) and bin 5 are the top three.
  const heatmap = [0, 0.5, 0.3, 0, 0.05, 0.15];
  const bands = rankFrequencyBands(heatmap, frequencyHz, { bins: 3 });
  assert.equal(bands.length, 2);
  assert.deepEqual(bands[0], { lowHz: 50, highHz: 250, share: 0.8 });
  assert.equal(bands[1].lowHz, 450);
  assert.equal(bands[1].highHz, 550);
  assert.ok(Math.abs(bands[1].share - 0.15) < 1e-12);
  assert.equal(formatFrequencyBands(bands), '50–250 Hz (80 %), 450–550 Hz (15 %)');
  // The same relevance as a [6, 2] spectrogram with descending rows gives the same bands.
  const descending = [...frequencyHz].reverse();
  const grid = [...heatmap].reverse().flatMap((v) => [v / 2, v / 2]);
  const fromGrid = rankFrequencyBands(grid, descending, { bins: 3 });
  assert.equal(fromGrid[0].lowHz, 50);
  assert.equal(fromGrid[0].highHz, 250);
  assert.ok(Math.abs(fromGrid[0].share - 0.8) < 1e-12);
  assert.deepEqual(rankFrequencyBands([0, 0, 0], [0, 1, 2]), []);
  assert.throws(
    () => rankFrequencyBands([1, 2, 3], [0, 1]),
    /Argument 'heatmap' passed to 'rankFrequencyBands' must be a multiple of 2 values/,
  );
});
