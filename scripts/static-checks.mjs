// The static checks of `npm test` — the type check, eslint and prettier — run side by side (they are independent and
// each mostly uses one core), each one's output printed together when it ends; exits non-zero when any fails.
// Usage: node scripts/static-checks.mjs
import { spawn } from 'node:child_process';

const CHECKS = ['typecheck', 'lint', 'format:check'];
const npm = process.platform === 'win32' ? 'npm.cmd' : 'npm';

function run(script) {
  const started = Date.now();
  return new Promise((resolve) => {
    const child = spawn(npm, ['run', '--silent', script], { stdio: ['ignore', 'pipe', 'pipe'] });
    const output = [];
    child.stdout.on('data', (chunk) => output.push(chunk));
    child.stderr.on('data', (chunk) => output.push(chunk));
    child.on('close', (code) => resolve({ script, code, seconds: (Date.now() - started) / 1000, output }));
  });
}

const results = await Promise.all(CHECKS.map(run));
for (const { script, code, seconds, output } of results) {
  console.log(`${code === 0 ? 'ok  ' : 'FAIL'} npm run ${script}  (${seconds.toFixed(1)} s)`);
  if (code !== 0) process.stdout.write(Buffer.concat(output));
}
process.exit(results.every((r) => r.code === 0) ? 0 : 1);
