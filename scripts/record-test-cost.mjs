// Loaded (--import) into every test file's process by scripts/run-tests.mjs --record-costs: appends one JSON line
// {file, wallMs, cpuMs} per test file (wall time from the process's start) to the file named by WINGBEATS_TEST_COST_LOG when the process exits, so the
// runner can keep its cost table (scripts/test-costs.json) up to date. CPU time counts the processes the file started
// and waited for (the CLI tests' subprocesses) where Linux's /proc tells it, else the file's own process only.

/** CPU ms of this process and its waited-for children (/proc/self/stat utime+stime+cutime+cstime), or of this process. */
function cpuMs() {
  try {
    const fields = readFileSync('/proc/self/stat', 'utf8').split(') ')[1].split(' ');
    // After "pid (comm) ": state is field 3, so utime..cstime (fields 14–17) are at 11–14; clock ticks of 10 ms.
    return fields.slice(11, 15).reduce((sum, v) => sum + Number(v), 0) * 10;
  } catch {
    const usage = process.resourceUsage();
    return Math.round((usage.userCPUTime + usage.systemCPUTime) / 1000);
  }
}
import { appendFileSync, readFileSync } from 'node:fs';
import { relative } from 'node:path';

const log = process.env.WINGBEATS_TEST_COST_LOG;
const file = process.argv[1];
// A test file of the checkout, or its compiled twin in the runner's tree (scripts/test-tree.mjs): named as the former.
const tree = process.env.WINGBEATS_TEST_TREE;
const name =
  file === undefined
    ? undefined
    : tree !== undefined && file.startsWith(`${tree}/`)
      ? relative(tree, file).replace(/\.test\.js$/, '.test.ts')
      : relative(process.cwd(), file);
if (log !== undefined && name !== undefined && name.endsWith('.test.ts')) {
  process.on('exit', () => {
    const line = { file: name, wallMs: Math.round(performance.now()), cpuMs: cpuMs() };
    appendFileSync(log, `${JSON.stringify(line)}\n`);
  });
}
