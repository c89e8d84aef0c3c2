/**
 * The packed package as a user installs it: `npm pack`, then `npm install <tarball> --omit=dev` in an empty folder
 * (packages from the npm registry only, no other download, no extra step), and the installed command explains the
 * shipped demo model on ONNX Runtime by default — no fallback line, `engine: 'onnx'` in the JSON — and so does a
 * library call through the main entry.
 * The package's prepack script (`npm run build`: `tsc -p tsconfig.build.json`, asserted below) is run here as the same
 * tsc build with `--noCheck`, then `npm pack --ignore-scripts`: the tarball holds the same files, the same JavaScript
 * and source maps (declarations the same up to the order of union members), for 12 s of CPU instead of 20 s. The type
 * check it skips is the static checks' `tsc -p tsconfig.json --noEmit`, which covers src/ as well. Like prepack, the
 * build writes the checkout's dist/, which npm packs; no test reads it (they run the sources or the run's own build).
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { repoRoot } from '../helpers.js';

/** The environment without the outer npm's per-run variables (they would steer the inner npm). */
function cleanEnv(): NodeJS.ProcessEnv {
  return Object.fromEntries(
    Object.entries(process.env).filter(
      ([key]) => !key.startsWith('npm_') || key === 'npm_config_cache' || key === 'npm_config_userconfig',
    ),
  );
}

function run(command: string, args: string[], cwd: string, timeoutMs: number): string {
  const result = spawnSync(command, args, { cwd, env: cleanEnv(), encoding: 'utf8', timeout: timeoutMs });
  assert.equal(
    result.status,
    0,
    `${command} ${args.join(' ')} failed (${result.status ?? result.signal}):\n${result.stderr}\n${result.stdout}`,
  );
  return result.stdout;
}

test('npm install of the packed tarball explains on ONNX Runtime with no extra step', { timeout: 600_000 }, () => {
  const work = mkdtempSync(path.join(tmpdir(), 'wingbeats-package-'));
  try {
    const { scripts } = JSON.parse(readFileSync(path.join(repoRoot, 'package.json'), 'utf8'));
    assert.deepEqual([scripts.prepack, scripts.build], ['npm run build', 'tsc -p tsconfig.build.json']);
    const tsc = path.join(repoRoot, 'node_modules', 'typescript', 'bin', 'tsc');
    run(process.execPath, [tsc, '-p', 'tsconfig.build.json', '--noCheck'], repoRoot, 300_000);
    run('npm', ['pack', '--ignore-scripts', '--silent', '--pack-destination', work], repoRoot, 300_000);
    const tarball = readdirSync(work).find((name) => name.endsWith('.tgz'));
    assert.ok(tarball !== undefined, 'npm pack wrote a tarball');
    const project = path.join(work, 'project');
    mkdirSync(project);
    writeFileSync(path.join(project, 'package.json'), JSON.stringify({ name: 'user-project', private: true }));
    run(
      'npm',
      ['install', path.join(work, tarball), '--omit=dev', '--prefer-offline', '--no-audit', '--no-fund'],
      project,
      300_000,
    );
    const bin = path.join(project, 'node_modules', '.bin', 'wingbeats-xai');
    const assets = path.join(project, 'node_modules', 'wingbeats-xai', 'assets');
    const recording = readdirSync(path.join(assets, 'demo-recordings')).find((name) => name.endsWith('.wav'));
    assert.ok(recording !== undefined);
    const result = spawnSync(
      bin,
      [
        'explain',
        '--model',
        path.join(assets, 'demo-model', 'model.json'),
        '--input',
        path.join(assets, 'demo-recordings', recording),
        '--method',
        'integrated-gradients',
        '--json',
        '--quiet',
      ],
      { cwd: project, env: cleanEnv(), encoding: 'utf8', timeout: 120_000 },
    );
    assert.equal(result.status, 0, result.stderr);
    assert.equal(result.stderr, '', 'no fallback line: the native engine is there');
    const document = JSON.parse(result.stdout) as { results: { engine: string }[] };
    assert.ok(document.results.length > 0);
    for (const r of document.results) assert.equal(r.engine, 'onnx');
    // A library user in Node imports the main entry only: its calls run on ONNX Runtime by default too.
    writeFileSync(
      path.join(project, 'library-call.mjs'),
      [
        "import * as tf from '@tensorflow/tfjs';",
        "import { setupBackend, saliency, disposeAttribution } from 'wingbeats-xai';",
        'await setupBackend();',
        'const model = tf.sequential({ layers: [tf.layers.dense({ inputShape: [4], units: 3 })] });',
        'const x = tf.ones([2, 4]);',
        'const result = await saliency(model, x);',
        'console.log(JSON.stringify({ engine: result.engine }));',
        'disposeAttribution(result);',
        'process.exit(0);',
      ].join('\n'),
    );
    const library = spawnSync(process.execPath, ['library-call.mjs'], {
      cwd: project,
      env: cleanEnv(),
      encoding: 'utf8',
      timeout: 120_000,
    });
    assert.equal(library.status, 0, library.stderr);
    assert.deepEqual(JSON.parse(library.stdout.trim().split('\n').at(-1) as string), { engine: 'onnx' });
  } finally {
    rmSync(work, { recursive: true, force: true });
  }
});
