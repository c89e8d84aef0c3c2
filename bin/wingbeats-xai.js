#!/usr/bin/env node
// Runs the wingbeats-xai command line: the TypeScript sources through tsx in a checkout (so a stale build is never
// used while developing), the built dist/ in an installed package (which ships no src/).
import { existsSync, readFileSync } from 'node:fs';
import { fileURLToPath, pathToFileURL } from 'node:url';

// A reader that stops early (`| head`) closes the pipe: end quietly instead of crashing with EPIPE.
process.stdout.on('error', (error) => {
  if (error.code === 'EPIPE') process.exit(0);
  throw error;
});

// `--version` alone needs nothing but package.json: answered before any compiler or library is loaded.
const argv = process.argv.slice(2);
if (argv.length === 1 && (argv[0] === '--version' || argv[0] === '-V')) {
  const pkg = JSON.parse(readFileSync(new URL('../package.json', import.meta.url), 'utf8'));
  process.stdout.write(`${pkg.version}\n`);
  process.exit(0);
}

// tsx is a development dependency: a checkout installed without it (`npm install --omit=dev`) runs dist/ when built.
const source = fileURLToPath(new URL('../src/node/cli/main.ts', import.meta.url));
const built = fileURLToPath(new URL('../dist/node/cli/main.js', import.meta.url));
async function loadTsx() {
  try {
    return await import('tsx/esm/api');
  } catch {
    return null;
  }
}
const tsx = existsSync(source) ? await loadTsx() : null;
let cli;
if (tsx !== null) {
  tsx.register();
  cli = await import(pathToFileURL(source).href);
} else if (existsSync(built)) {
  cli = await import(pathToFileURL(built).href);
} else {
  process.stderr.write(
    'wingbeats-xai: this checkout has neither its development dependencies nor a build: run `npm install` (or `npm run build`) first.\n',
  );
  process.exit(1);
}
process.exitCode = await cli.main(argv);
