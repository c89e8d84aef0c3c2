/**
 * Issue 25, results keyed on what made them at merge time: `dataset merge` never combines part files made with other
 * settings, by another model (its bytes) or version, or from recordings whose bytes changed after their shard ran. Each
 * is refused in one line naming the part files (and recordings) and what to do; nothing is written; running the named
 * shards again makes the merge succeed with rows from the current bytes.
 */
import assert from 'node:assert/strict';
import { cpSync, existsSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { after, before, test } from 'node:test';
import { repoRoot, useWasm } from '../helpers.js';
import { runCli } from '../cli/cli-helpers.js';
import { writeSyntheticDataset } from '../../scripts/synthetic-dataset.js';
import { inShard, shardFolderName } from '../../src/dataset/shard.js';
import { readTableRowGroups } from '../../src/node/dataset/table-file.js';

const work = mkdtempSync(path.join(tmpdir(), 'wingbeats-merge-mixed-'));
const data = path.join(work, 'data');
let relativePaths: string[] = [];

before(async () => {
  await useWasm();
  relativePaths = await writeSyntheticDataset(data, { perSpecies: 2, seed: 4, species: ['Ae_aegypti', 'Cu_pipiens'] });
});
after(() => rmSync(work, { recursive: true, force: true }));

/** A copy of the demo model in its own folder (its weights may be changed in place). */
function modelCopy(name: string): string {
  const dir = path.join(work, name);
  cpSync(path.join(repoRoot, 'assets', 'demo-model'), dir, { recursive: true });
  return path.join(dir, 'model.json');
}

async function shard(index: number, out: string, model: string, extra: string[] = []): Promise<void> {
  const run = await runCli([
    'dataset',
    '--model',
    model,
    '--input',
    data,
    '--out',
    out,
    '--methods',
    'saliency',
    '--shard',
    `${index}/2`,
    '--quiet',
    ...extra,
  ]);
  assert.equal(run.code, 0, run.stderr);
}

/** The merge's one line of failure; nothing of the table is written. */
async function refusedMerge(out: string): Promise<string> {
  const merge = await runCli(['dataset', 'merge', out]);
  assert.equal(merge.code, 1);
  const lines = merge.stderr.trim().split('\n');
  assert.equal(lines.length, 1, merge.stderr);
  assert.equal(existsSync(path.join(out, 'table.parquet')), false, 'no table written');
  assert.deepEqual(
    readdirSync(out).filter((n) => n.includes('.tmp')),
    [],
    'no temporary left',
  );
  return lines[0];
}

const partsOf = (out: string, index: number): string[] => {
  const folder = path.join(out, 'parts', shardFolderName({ index, count: 2 }));
  return readdirSync(folder)
    .filter((n) => n.endsWith('.parquet'))
    .map((n) => path.join(folder, n));
};

test('a recording changed in place after its shard ran: merge refuses naming it, its part and shard; re-running that shard merges the new bytes', async () => {
  const model = modelCopy('model-a');
  const out = path.join(work, 'changed-recording');
  await shard(0, out, model);
  await shard(1, out, model);
  const victim = relativePaths.find((p) => inShard(p, { index: 1, count: 2 })) as string;
  const donor = relativePaths.find((p) => p !== victim) as string;
  writeFileSync(path.join(data, victim), readFileSync(path.join(data, donor)));
  const line = await refusedMerge(out);
  assert.match(
    line,
    new RegExp(
      `Cannot merge '.*': 1 recording changed since its shard explained it: ${victim.replace(/[.]/g, '\\.')} \\(in '.*shard-0*1-of-0*2.chunk-000000\\.parquet'\\); run shard 1/2 again \\(same command and --out\\): it is explained again\\.`,
    ),
  );
  await shard(1, out, model);
  const merge = await runCli(['dataset', 'merge', out]);
  assert.equal(merge.code, 0, merge.stderr);
  const inputs = new Map<string, number[]>();
  for await (const rows of readTableRowGroups(path.join(out, 'table.parquet'), ['path', 'input']))
    for (const row of rows) inputs.set(row.path, row.input ?? []);
  assert.deepEqual(inputs.get(victim), inputs.get(donor), 'the new bytes were explained');
});

test('shards run with different model bytes: merge names the parts of the older model and the shard to run again', async () => {
  const model = modelCopy('model-b');
  const out = path.join(work, 'mixed-models');
  await shard(0, out, model);
  const weights = path.join(path.dirname(model), 'weights.bin');
  const bytes = readFileSync(weights);
  bytes[bytes.length - 1] ^= 0x01;
  writeFileSync(weights, bytes);
  await shard(1, out, model);
  const line = await refusedMerge(out);
  assert.match(
    line,
    /Cannot merge '.*': 1 part file was made by another model or version than the run's settings\.json names: '.*shard-0+-of-0*2.chunk-000000\.parquet': another model \(its bytes changed\); run shard 0\/2 again \(same command and --out\) to resume: its stale rows are recomputed\./,
  );
  await shard(0, out, model);
  assert.equal((await runCli(['dataset', 'merge', out])).code, 0);
});

test('a part file from a run with other settings among the parts: merge names it and what differs', async () => {
  const model = modelCopy('model-c');
  const out = path.join(work, 'mixed-settings');
  const other = path.join(work, 'other-settings');
  await shard(0, out, model);
  await shard(1, out, model);
  await shard(1, other, model, ['--methods', 'grad-cam']);
  const stranger = path.join(path.dirname(partsOf(out, 1)[0]), 'chunk-000007.parquet');
  cpSync(partsOf(other, 1)[0], stranger);
  const line = await refusedMerge(out);
  assert.match(
    line,
    /Cannot merge '.*': 1 part file comes from a run with other settings than its settings\.json: '.*chunk-000007\.parquet' \(methods\) differ; remove it or use their own output folder\./,
  );
  rmSync(stranger);
  assert.equal((await runCli(['dataset', 'merge', out])).code, 0);
});
