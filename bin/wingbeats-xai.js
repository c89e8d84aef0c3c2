#!/usr/bin/env node
// Runs the wingbeats-xai command line: the TypeScript sources through tsx in a checkout (so a stale build is never
// used while developing), the built dist/ in an installed package (which ships no src/).
import { existsSync } from 'node:fs';
import { fileURLToPath, pathToFileURL } from 'node:url';

// A reader that stops early (`| head`) closes the pipe: end quietly instead of crashing with EPIPE.
process.stdout.on('error', (error) => {
  if (error.code === 'EPIPE') process.exit(0);
  throw error;
});

const source = fileURLToPath(new URL('../src/node/cli/main.ts', import.meta.url));
const built = fileURLToPath(new URL('../dist/node/cli/main.js', import.meta.url));
let cli;
if (existsSync(source)) {
  const { register } = await import('tsx/esm/api');
  register();
  cli = await import(pathToFileURL(source).href);
} else {
  cli = await import(pathToFileURL(built).href);
}
process.exitCode = await cli.main(process.argv.slice(2));
