/** The published package: the built dist/ needs no development tool at run time. */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readdirSync, readFileSync, statSync } from 'node:fs';
import path from 'node:path';
import { repoRoot } from '../helpers.js';

function sourceFiles(dir: string): string[] {
  return readdirSync(dir).flatMap((name) => {
    const file = path.join(dir, name);
    return statSync(file).isDirectory() ? sourceFiles(file) : file.endsWith('.ts') ? [file] : [];
  });
}

test('tsx and esbuild are development dependencies; no library source imports them; the Node version is stated', () => {
  const pkg = JSON.parse(readFileSync(path.join(repoRoot, 'package.json'), 'utf8'));
  for (const tool of ['tsx', 'esbuild', 'typescript', 'playwright-core']) {
    assert.equal(pkg.dependencies[tool], undefined, `${tool} must not be a runtime dependency`);
    assert.ok(pkg.devDependencies[tool] !== undefined, `${tool} is a development dependency`);
  }
  assert.equal(pkg.engines.node, '>=20');
  for (const file of sourceFiles(path.join(repoRoot, 'src'))) {
    assert.doesNotMatch(
      readFileSync(file, 'utf8'),
      /from ['"](tsx|esbuild)[/'"]/,
      `${path.relative(repoRoot, file)} imports a development tool`,
    );
  }
  const readme = readFileSync(path.join(repoRoot, 'README.md'), 'utf8');
  assert.match(readme, /Node\.js 20/);
  assert.match(readme, /npm pack/);
});
