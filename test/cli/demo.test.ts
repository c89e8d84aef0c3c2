/** `wingbeats-xai demo`: the main job on the shipped model and recordings, with no ../shared. */
import { before, test } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync, mkdtempSync, readFileSync, readdirSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { DEMO_METHODS } from '../../src/node/cli/demo.js';
import { useWasm } from '../helpers.js';
import { runCli } from './cli-helpers.js';

before(useWasm);

test('demo writes a self-contained report with every recording, prediction and explanation', async () => {
  const out = path.join(mkdtempSync(path.join(tmpdir(), 'wingbeats-demo-')), 'report-folder');
  const { code, stdout, stderr } = await runCli(['demo', '--out', out, '--json', '--quiet']);
  assert.equal(code, 0, stderr);
  const document = JSON.parse(stdout);
  assert.equal(document.report, path.resolve(out, 'report.html'));
  assert.deepEqual(readdirSync(out).sort(), ['.wingbeats-xai-output', 'demo.json', 'report.html']);
  const recordings = 6;
  assert.equal(document.results.length, recordings * DEMO_METHODS.length);
  // The demo model recognises its own synthetic species.
  for (const r of document.results)
    assert.ok(String(r.name).startsWith(String(r.targetName)), `${r.name} predicted as ${r.targetName}`);
  const html = readFileSync(path.join(out, 'report.html'), 'utf8');
  assert.equal(
    (html.match(/<img /g) ?? []).length,
    recordings * (DEMO_METHODS.length + 1),
    'features picture + one picture per method and recording',
  );
  assert.doesNotMatch(html, /(src|href)\s*=\s*["']?https?:/i, 'no network resources');
  assert.doesNotMatch(html, /<script[^>]+src=/i);
  for (const method of DEMO_METHODS) assert.match(html, new RegExp(method));
  assert.ok(existsSync(path.join(out, 'demo.json')));
});
