// Runs the test/**/*.test.ts files with Node's own test runner (tsx compiles TypeScript on the fly) and prints a short
// summary: one line per file, failures in full (scripts/test-summary-reporter.mjs).
// Usage: node scripts/run-tests.mjs [--quick] [--verbose] [filter...]
//   filter     keeps files whose path contains one of the filters;
//   --quick    only the fast files (QUICK below: no real models, no browser, no subprocess-heavy CLI runs; under a minute);
//   --verbose  Node's own output, one line per test.
import { readdirSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { spawnSync } from 'node:child_process';

/**
 * The edit-test loop's subset (`npm run test:quick`): library code on tiny models, signal code and the CLI's messages;
 * 41 s of CPU measured on the 2-core machine (about 30 s of wall time when idle).
 */
const QUICK = [
  'test/attribution/hand-derived',
  'test/attribution/invariants',
  'test/attribution/errors-and-leaks',
  'test/attribution/smooth-grad-rows',
  'test/evaluation/pixel-statistics',
  'test/execution/execution-settings',
  'test/execution/default-head',
  'test/signal/feature-axes',
  'test/signal/features',
  'test/signal/resample',
  'test/signal/spectrogram',
  'test/signal/wav',
  'test/signal/welch',
  'test/summary/',
  'test/uncertainty/quantile-maps',
  'test/demo/synthesize',
  'test/cli/messages',
];

function collect(dir) {
  const out = [];
  for (const name of readdirSync(dir).sort()) {
    const path = join(dir, name);
    if (statSync(path).isDirectory()) out.push(...collect(path));
    else if (name.endsWith('.test.ts')) out.push(path);
  }
  return out;
}

const args = process.argv.slice(2);
const quick = args.includes('--quick');
const verbose = args.includes('--verbose');
const filters = args.filter((a) => !a.startsWith('--'));
const files = collect('test')
  .filter((f) => filters.length === 0 || filters.some((q) => f.includes(q)))
  .filter((f) => !quick || QUICK.some((q) => f.includes(q)));
if (files.length === 0) {
  console.error(`no test files match ${filters.join(', ')}`);
  process.exit(1);
}
const reporter = verbose
  ? []
  : [
      `--test-reporter=${new URL('./test-summary-reporter.mjs', import.meta.url).pathname}`,
      '--test-reporter-destination=stdout',
    ];
if (!verbose) console.log(`running ${files.length} test files${quick ? ' (quick subset)' : ''} ...`);
const result = spawnSync(
  process.execPath,
  ['--import', 'tsx', '--test', '--test-concurrency=2', ...reporter, ...files],
  { stdio: 'inherit' },
);
process.exit(result.status ?? 1);
