import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readdirSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { repoRoot } from './fixtures.js';

test('src/signal imports neither TensorFlow.js nor Node built-ins (except the Node-only read-wav-file.ts)', () => {
  const dir = path.join(repoRoot, 'src', 'signal');
  for (const file of readdirSync(dir).filter((f) => f.endsWith('.ts'))) {
    const imports = [...readFileSync(path.join(dir, file), 'utf8').matchAll(/^import[^'"]*['"]([^'"]+)['"]/gm)].map(
      (m) => m[1],
    );
    assert.ok(!imports.some((m) => m.startsWith('@tensorflow')), `${file} imports TensorFlow.js`);
    if (file !== 'read-wav-file.ts')
      assert.ok(!imports.some((m) => m.startsWith('node:')), `${file} imports a Node built-in`);
  }
});
