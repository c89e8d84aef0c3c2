// Runs the test/**/*.test.ts files with Node's own test runner and prints a short summary: one line per file,
// failures in full (scripts/test-summary-reporter.mjs).
// The checkout is first compiled once to a JavaScript tree of the same layout (scripts/test-tree.mjs: esbuild, about
// two seconds), and the test files run from there on plain Node: tsx compiling the same sources again in every test
// process, worker and child process would cost 1–2 s of CPU each, a quarter of the suite's CPU.
// Files start longest first (by the wall time recorded in scripts/test-costs.json; a file not in the table counts as
// DEFAULT_COST_S), CONCURRENCY at a time, so the long files, and those that mostly wait for subprocesses, overlap the
// many short ones instead of ending the run alone (scripts/run-test-files.mjs: Node's run() API keeps the order, which
// `node --test` would sort by name). src/ is also compiled once to a temporary package, as npm ships it, that the
// tests starting the command line as a process of their own run (buildCli, `cliBin` in test/helpers.ts).
// With --static-checks (`npm test`) the type check, eslint and prettier (scripts/static-checks.mjs) run beside the test
// files instead of before them: they are three single-threaded processes of 20–30 s of CPU each, which the operating
// system fits into the test run, so that neither half ends alone on one core while the other core idles.
// Usage: node scripts/run-tests.mjs [--static-checks] [--quick] [--verbose] [--record-costs] [filter...]
//   filter          keeps files whose path contains one of the filters;
//   --static-checks also runs scripts/static-checks.mjs, at the same time; its lines follow the tests' summary and
//                   a failed check fails the run;
//   --quick         only the fast files (QUICK below: no real models, no browser, no subprocess-heavy CLI runs; under a minute);
//   --verbose       Node's own output, one line per test;
//   --record-costs  measures every file's wall and CPU time (its subprocesses included), stores them in
//                   scripts/test-costs.json and prints the CPU totals.
import {
  copyFileSync,
  openSync,
  existsSync,
  mkdirSync,
  mkdtempSync,
  readdirSync,
  readFileSync,
  realpathSync,
  rmSync,
  statSync,
  symlinkSync,
  writeFileSync,
} from 'node:fs';
import { join, relative, resolve } from 'node:path';
import { availableParallelism, tmpdir } from 'node:os';
import { spawn } from 'node:child_process';
import { buildTestTree, buildWithTfjsNamespace, compiledName, writeTfjsNamespace } from './test-tree.mjs';

/** Where the measured cost of every test file is kept (`--record-costs` updates it). */
const COST_TABLE = new URL('./test-costs.json', import.meta.url);
/** The wall time (s) assumed for a file the table does not know yet (a new file): about a typical real-model file's. */
const DEFAULT_COST_S = 10;
/**
 * Test files run at once: one more than the cores, so that a file waiting on npm, a cluster or a browser leaves no core
 * idle (package-install and slurm-cluster use a tenth of a core over their wall time).
 */
const CONCURRENCY = Math.min(availableParallelism(), 8) + 1;

/**
 * The edit-test loop's subset (`npm run test:quick`): library code on tiny models, signal code and the CLI's messages;
 * 45 s of CPU measured on the 2-core machine, the once-per-run CLI build included (about 25 s of wall time when idle).
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

/**
 * Builds the package as npm would ship it (the sources compiled to JavaScript in dist/, bin/, package.json, with
 * assets/ and node_modules/ linked) into `dir` and returns its bin/wingbeats-xai.js: the command-line program that the
 * tests starting it as a process of its own run (test/helpers.ts `cliBin`, through WINGBEATS_TEST_CLI). The same code
 * as bin/wingbeats-xai.js runs in a checkout, without tsx compiling it again in every process (1–2 s of CPU each).
 * esbuild transpiles file by file, as tsx does; about a second for the whole of src/. As in the test tree, its modules
 * import TensorFlow.js through a module of the same namespace loaded without Node's CommonJS lexer (writeTfjsNamespace
 * in scripts/test-tree.mjs: 0.55 s of CPU less in every process); test/cli/package-install.test.ts runs what npm ships.
 */
async function buildCli(dir) {
  const sources = (folder) =>
    readdirSync(folder, { withFileTypes: true }).flatMap((entry) => {
      const path = join(folder, entry.name);
      if (entry.isDirectory()) return sources(path);
      return /\.(ts|mjs)$/.test(entry.name) && !entry.name.endsWith('.d.ts') ? [path] : [];
    });
  const namespace = await writeTfjsNamespace(resolve('.'), join(dir, 'dist', '.tfjs-namespace.mjs'));
  await buildWithTfjsNamespace(
    {
      entryPoints: sources('src'),
      outdir: join(dir, 'dist'),
      outbase: 'src',
      format: 'esm',
      platform: 'node',
      target: 'node20',
      logLevel: 'warning',
    },
    namespace,
  );
  mkdirSync(join(dir, 'bin'));
  copyFileSync(join('bin', 'wingbeats-xai.js'), join(dir, 'bin', 'wingbeats-xai.js'));
  copyFileSync('package.json', join(dir, 'package.json'));
  symlinkSync(resolve('assets'), join(dir, 'assets'));
  symlinkSync(realpathSync('node_modules'), join(dir, 'node_modules'));
  return join(dir, 'bin', 'wingbeats-xai.js');
}

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
const recordCosts = args.includes('--record-costs');
const staticChecks = args.includes('--static-checks');
const filters = args.filter((a) => !a.startsWith('--'));

/** The cost table: test file → { wallS, cpuS } (empty when absent or unreadable). */
function readCosts() {
  try {
    return existsSync(COST_TABLE) ? JSON.parse(readFileSync(COST_TABLE, 'utf8')).files : {};
  } catch {
    return {};
  }
}
const costs = readCosts();
const costOf = (file) => costs[file]?.wallS ?? DEFAULT_COST_S;
const files = collect('test')
  .filter((f) => filters.length === 0 || filters.some((q) => f.includes(q)))
  .filter((f) => !quick || QUICK.some((q) => f.includes(q)))
  .map((f, index) => ({ f, index }))
  .sort((a, b) => costOf(b.f) - costOf(a.f) || a.index - b.index)
  .map(({ f }) => f);
if (files.length === 0) {
  console.error(`no test files match ${filters.join(', ')}`);
  process.exit(1);
}
if (!verbose)
  console.log(
    `running ${files.length} test files${quick ? ' (quick subset)' : ''}${staticChecks ? ' and the static checks' : ''} ...`,
  );
const work = mkdtempSync(join(tmpdir(), 'wingbeats-test-run-'));

/** Runs `command` with the given stdio; resolves to its exit status (1 when killed by a signal). */
function run(command, argv, options) {
  return new Promise((resolveStatus) => {
    const child = spawn(command, argv, options);
    child.on('error', () => resolveStatus(1));
    child.on('close', (code) => resolveStatus(code ?? 1));
  });
}
// The static checks' output goes to a file (read once both halves ended), so it never mixes with the test lines.
const staticLog = join(work, 'static-checks.txt');
const staticOutput = staticChecks ? openSync(staticLog, 'w') : undefined;
const staticStatus = staticChecks
  ? run(process.execPath, [new URL('./static-checks.mjs', import.meta.url).pathname], {
      stdio: ['ignore', staticOutput, staticOutput],
    })
  : Promise.resolve(0);
const log = recordCosts ? join(work, 'costs.jsonl') : undefined;
const checkout = process.cwd();
const [cli, tree] = await Promise.all([buildCli(join(work, 'package')), buildTestTree(checkout, join(work, 'repo'))]);
const hook = recordCosts ? ['--import', new URL('./record-test-cost.mjs', import.meta.url).href] : [];
// Node's run() API in a process of its own (scripts/run-test-files.mjs), started with the flags every test file's
// process inherits: `node --test` would sort the files by name and lose the longest-first order.
const testStatus = await run(
  process.execPath,
  [
    ...hook,
    new URL('./run-test-files.mjs', import.meta.url).pathname,
    `--concurrency=${CONCURRENCY}`,
    `--reporter=${verbose ? 'node' : 'summary'}`,
    ...files.map((f) => join(tree, compiledName(relative(checkout, resolve(f))))),
  ],
  {
    stdio: 'inherit',
    env: {
      ...process.env,
      WINGBEATS_TEST_CLI: cli,
      WINGBEATS_TEST_TREE: tree,
      ...(log === undefined ? {} : { WINGBEATS_TEST_COST_LOG: log }),
    },
  },
);
const checksStatus = await staticStatus;
if (staticChecks) process.stdout.write(readFileSync(staticLog, 'utf8'));
if (log !== undefined) {
  const measured = existsSync(log)
    ? readFileSync(log, 'utf8')
        .split('\n')
        .filter((line) => line !== '')
        .map((line) => JSON.parse(line))
    : [];
  const table = readCosts();
  for (const m of measured)
    table[m.file] = { wallS: +(m.wallMs / 1000).toFixed(1), cpuS: +(m.cpuMs / 1000).toFixed(1) };
  // One line per file (the form prettier keeps), sorted by path so that re-recording gives small diffs; files that no
  // longer exist (merged or removed) leave the table.
  const lines = Object.keys(table)
    .filter((file) => existsSync(file))
    .sort()
    .map(
      (file) => `    ${JSON.stringify(file)}: { "wallS": ${table[file].wallS}, "cpuS": ${table[file].cpuS ?? null} }`,
    );
  writeFileSync(
    COST_TABLE,
    `{\n  "note": "wall and CPU seconds per test file, written by node scripts/run-tests.mjs --record-costs",\n  "files": {\n${lines.join(',\n')}\n  }\n}\n`,
  );
  const cpu = measured.reduce((t, m) => t + m.cpuMs, 0) / 1000;
  const longest = measured.reduce((t, m) => Math.max(t, m.wallMs), 0) / 1000;
  console.error(
    `test files: ${cpu.toFixed(0)} s of CPU over ${measured.length} files (longest file ${longest.toFixed(0)} s of wall time); ` +
      `idle 2-core estimate max(CPU / 2, longest) = ${Math.max(cpu / 2, longest).toFixed(0)} s; costs in scripts/test-costs.json`,
  );
}
rmSync(work, { recursive: true, force: true });
process.exit(testStatus === 0 && checksStatus === 0 ? 0 : 1);
