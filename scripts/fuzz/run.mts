/**
 * `npm run fuzz [-- --cases N --seed S --workers W --timeout-ms T --memory-mb M --only i,j,...]`: runs the fuzz suite
 * (mutated files for every reader, hostile command lines) and prints a table per reader on stderr and the report as
 * JSON on stdout. Exits 1 when any case crashed, hung, blew up memory, leaked tensors or threw an untyped error.
 */
import { parseArgs } from 'node:util';
import { runFuzz, type ReaderTally } from './fuzz-run.js';

const { values } = parseArgs({
  options: {
    cases: { type: 'string', default: '10000' },
    start: { type: 'string', default: '0' },
    seed: { type: 'string', default: '1' },
    workers: { type: 'string', default: '2' },
    'timeout-ms': { type: 'string', default: '30000' },
    'memory-mb': { type: 'string', default: '1536' },
    only: { type: 'string' },
  },
});
let lastShown = 0;
const report = await runFuzz({
  cases: Number(values.cases),
  start: Number(values.start),
  seed: Number(values.seed),
  workers: Number(values.workers),
  timeoutMs: Number(values['timeout-ms']),
  memoryMb: Number(values['memory-mb']),
  only: values.only?.split(',').map(Number),
  onCase: (done, total) => {
    if (Date.now() - lastShown > 2000 || done === total) {
      process.stderr.write(`fuzz: ${done}/${total} cases\n`);
      lastShown = Date.now();
    }
  },
});
const columns: (keyof ReaderTally)[] = [
  'tried',
  'accepted',
  'clean',
  'other',
  'crashes',
  'hangs',
  'memoryBlowups',
  'leaks',
];
const row = (name: string, t: ReaderTally): string =>
  `${name.padEnd(11)}${columns.map((c) => String(t[c]).padStart(c.length + 2)).join('')}`;
process.stderr.write(`${''.padEnd(11)}${columns.map((c) => c.padStart(c.length + 2)).join('')}\n`);
for (const [name, tally] of Object.entries(report.readers)) process.stderr.write(`${row(name, tally)}\n`);
process.stderr.write(
  `${row('total', report.total)}\n${report.cases} cases in ${report.seconds.toFixed(1)} s on ${report.workers} workers (seed ${report.seed})\n`,
);
for (const p of report.problems.slice(0, 20))
  process.stderr.write(`  case ${p.index} (${p.reader}, ${p.note}): ${p.outcome}: ${p.message ?? ''}\n`);
process.stdout.write(`${JSON.stringify(report, null, 1)}\n`);
const { other, crashes, hangs, memoryBlowups, leaks } = report.total;
process.exitCode = other + crashes + hangs + memoryBlowups + leaks > 0 ? 1 : 0;
