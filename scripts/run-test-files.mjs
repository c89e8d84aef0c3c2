// The inner half of scripts/run-tests.mjs: runs the test files it is given in the order given, `--concurrency` at a
// time, through Node's run() API, and writes one reporter's output to stdout. Started by run-tests.mjs as
// `node [--import record-test-cost.mjs] run-test-files.mjs ... FILE...` on the compiled test files
// (scripts/test-tree.mjs): every test file's process inherits those flags. `node --test` itself sorts the files by
// name (Node 20), which would lose the cost table's longest-first order.
// Usage: node scripts/run-test-files.mjs --concurrency=N --reporter=summary|node FILE...
//   --reporter=summary  scripts/test-summary-reporter.mjs; node: Node's own (spec on a terminal, TAP when piped).
import { run } from 'node:test';
import { spec, tap } from 'node:test/reporters';
import summaryReporter from './test-summary-reporter.mjs';

const args = process.argv.slice(2);
const option = (name, fallback) => args.find((a) => a.startsWith(`--${name}=`))?.slice(name.length + 3) ?? fallback;
const files = args.filter((a) => !a.startsWith('--'));
const concurrency = Number(option('concurrency', '2'));
const reporter =
  option('reporter', 'summary') === 'summary' ? summaryReporter : process.stdout.isTTY ? new spec() : tap;

const stream = run({ files, concurrency });
// Any failed test (or a file that did not load) fails the run, as with `node --test`.
stream.on('test:fail', (data) => {
  if (data.todo === undefined || data.todo === false) process.exitCode = 1;
});
stream.compose(reporter).pipe(process.stdout);
