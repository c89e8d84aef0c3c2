/**
 * The one-machine recipes of docs/dataset.md (GNU parallel and `xargs -P`), taken from the documentation as written and
 * run through a shell with `wingbeats-xai` on the PATH: the merged table equals a one-process run byte for byte.
 * Each recipe is skipped when its tool is not installed.
 */
import { before, test } from 'node:test';
import assert from 'node:assert/strict';
import { spawn, spawnSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, readFileSync, symlinkSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { cliBin, repoRoot } from '../helpers.js';
import { writeSyntheticDataset } from '../../scripts/synthetic-dataset.js';

const work = mkdtempSync(path.join(tmpdir(), 'wingbeats-recipes-'));
const input = path.join(work, 'recordings');
const model = path.join(repoRoot, 'assets', 'demo-model', 'model.json');
const bin = path.join(work, 'bin');
const env = { ...process.env, PATH: `${bin}:${path.dirname(process.execPath)}:${process.env.PATH ?? ''}` };

function sh(script: string): Promise<{ code: number | null; output: string }> {
  return new Promise((resolve) => {
    const child = spawn('sh', ['-c', script], { env, cwd: work });
    let output = '';
    child.stdout.on('data', (d) => (output += d));
    child.stderr.on('data', (d) => (output += d));
    child.on('close', (code) => resolve({ code, output }));
  });
}

const missing = (tool: string): string | false =>
  spawnSync('sh', ['-c', `command -v ${tool}`]).status === 0 ? false : `'${tool}' is not installed`;

/** The recipe's two lines from docs/dataset.md (the shard line starting with `start`, then the merge), for `out`. */
function recipe(start: string, out: string): string {
  const lines = readFileSync(path.join(repoRoot, 'docs', 'dataset.md'), 'utf8')
    .split('\n')
    .map((l) => l.trim());
  const at = lines.findIndex((l) => l.startsWith(start));
  assert.ok(
    at >= 0 && lines[at + 1].startsWith('wingbeats-xai dataset merge'),
    `docs/dataset.md has the ${start} recipe`,
  );
  const quote = (p: string): string => `'${p}'`;
  return ['N=2', lines[at], lines[at + 1]]
    .join('\n')
    .replaceAll('M.h5', quote(model))
    .replaceAll('Wingbeats/', quote(`${input}/`))
    .replaceAll('explained/', quote(`${out}/`));
}

before(async () => {
  await writeSyntheticDataset(input, { perSpecies: 3, seed: 31, species: ['Ae_aegypti', 'An_gambiae', 'Cu_pipiens'] });
  mkdirSync(bin);
  symlinkSync(cliBin, path.join(bin, 'wingbeats-xai'));
  const one = await sh(`wingbeats-xai dataset --model '${model}' --input '${input}/' --out '${work}/one' --quiet`);
  assert.equal(one.code, 0, one.output);
});

for (const [tool, start] of [
  ['xargs', 'seq 0 $((N - 1)) | xargs -P'],
  ['parallel', 'parallel -j'],
] as const) {
  test(
    `the ${tool} recipe of docs/dataset.md: two shards at once, merged, equal one process byte for byte`,
    { skip: missing(tool) },
    async () => {
      const out = path.join(work, tool);
      const result = await sh(recipe(start, out));
      assert.equal(result.code, 0, result.output);
      assert.ok(
        readFileSync(path.join(out, 'table.parquet')).equals(readFileSync(path.join(work, 'one', 'table.parquet'))),
        'same table bytes',
      );
      assert.equal(
        readFileSync(path.join(out, 'summary.json'), 'utf8'),
        readFileSync(path.join(work, 'one', 'summary.json'), 'utf8'),
      );
    },
  );
}
