// A short report for `npm test` (node --test reporter): one line per test file, every failure in full (with the
// output the file printed), the reasons of skipped tests once each, and the totals. `node scripts/run-tests.mjs
// --verbose` keeps Node's own line-per-test output instead.

import { readFileSync } from 'node:fs';
import { SourceMap } from 'node:module';
import { relative as relativePath, resolve } from 'node:path';

/** The compiled tree the files run from (scripts/test-tree.mjs), or undefined. */
const tree = process.env.WINGBEATS_TEST_TREE;

const files = new Map();
const skipReasons = new Map();
const failures = [];
const start = Date.now();

function entry(file) {
  const key = file ?? '(no file)';
  if (!files.has(key)) files.set(key, { pass: 0, fail: 0, skip: 0, ms: 0, output: [], printed: false });
  return files.get(key);
}

/** A file as the reader knows it: relative to the checkout, the TypeScript name of a file of the compiled tree. */
function relative(file) {
  if (file === undefined) return '(no file)';
  if (tree !== undefined && file.startsWith(`${tree}/`))
    return relativePath(tree, file)
      .replace(/\.js$/, '.ts')
      .replace(/\.mjs$/, '.mts');
  return file.replace(`${process.cwd()}/`, '');
}

/** The inline source maps of the tree's files, read when a failure's stack names them. */
const sourceMaps = new Map();
function sourceMapOf(file) {
  if (!sourceMaps.has(file)) {
    let map;
    try {
      const data = /\/\/# sourceMappingURL=data:application\/json;base64,(\S+)\s*$/.exec(readFileSync(file, 'utf8'));
      if (data !== null) map = new SourceMap(JSON.parse(Buffer.from(data[1], 'base64').toString('utf8')));
    } catch {
      map = undefined;
    }
    sourceMaps.set(file, map);
  }
  return sourceMaps.get(file);
}

/** A position `/path/file.js:line:column` in a stack frame (a line `    at …`). */
const FRAME_POSITION = /(?:file:\/\/)?(\/[^\s():]+\.m?js):(\d+):(\d+)/g;

/**
 * A stack trace with every position in the compiled tree turned into the TypeScript file, line and column. Only stack
 * frame lines of ordinary length are looked at: a long line (a printed array, a data URL) is kept as it is.
 */
function originalPositions(text) {
  if (tree === undefined || typeof text !== 'string') return text;
  return text
    .split('\n')
    .map((line) => (/^\s*at /.test(line) && line.length < 1000 ? line.replace(FRAME_POSITION, originalPosition) : line))
    .join('\n');
}

/** One position of a stack frame as {@link originalPositions} rewrites it. */
function originalPosition(whole, file, line, column) {
  if (!file.startsWith(`${tree}/`)) return whole;
  try {
    const entry = sourceMapOf(file)?.findEntry(Number(line) - 1, Number(column) - 1);
    if (typeof entry?.originalSource !== 'string') return whole;
    const source = entry.originalSource.startsWith('file://')
      ? new URL(entry.originalSource).pathname
      : resolve(file, '..', entry.originalSource);
    return `${source.replace(`${process.cwd()}/`, '')}:${entry.originalLine + 1}:${entry.originalColumn + 1}`;
  } catch {
    // A position the map does not cover: kept as it is.
    return whole;
  }
}

function seconds(ms) {
  return `${(ms / 1000).toFixed(1)} s`;
}

function fileLine(file, e) {
  const counts = [`${e.pass} passed`];
  if (e.fail > 0) counts.push(`${e.fail} FAILED`);
  if (e.skip > 0) counts.push(`${e.skip} skipped`);
  return `${e.fail > 0 ? 'FAIL' : 'ok  '} ${relative(file)}  ${counts.join(', ')}  (${seconds(e.ms)})\n`;
}

function failureText(failure) {
  const error = failure.error ?? {};
  const cause = error.cause ?? error;
  const detail =
    typeof cause === 'object' && cause !== null ? (cause.stack ?? cause.message ?? String(cause)) : String(cause);
  return `\n--- FAILED: ${relative(failure.file)} › ${failure.name}\n${originalPositions(detail)}\n`;
}

function* flush(file) {
  const e = files.get(file);
  if (e === undefined || e.printed) return;
  e.printed = true;
  yield fileLine(file === '(no file)' ? undefined : file, e);
  const own = failures.filter((f) => (f.file ?? '(no file)') === file);
  for (const failure of own) yield failureText(failure);
  if (own.length > 0 && e.output.length > 0)
    yield `--- output of ${relative(file)}:\n${originalPositions(e.output.join(''))}\n`;
}

export default async function* summaryReporter(source) {
  let current;
  for await (const event of source) {
    const data = event.data ?? {};
    if (!['test:pass', 'test:fail', 'test:stdout', 'test:stderr'].includes(event.type)) continue;
    // The same file may be named relative (the file's own test) or absolute (the tests inside it).
    const file = data.file === undefined ? undefined : resolve(data.file);
    const e = entry(file);
    // Output comes as it is printed, from every file running at the time; results come file by file, in the order
    // the files started (a file's line waits for the files started before it).
    if (event.type === 'test:stdout' || event.type === 'test:stderr') {
      e.output.push(data.message);
      continue;
    }
    const key = file ?? '(no file)';
    if (current !== undefined && current !== key) yield* flush(current);
    current = key;
    if (data.nesting === 0) e.ms += data.details?.duration_ms ?? 0;
    if (data.details?.type === 'suite') continue;
    if (event.type === 'test:fail') {
      e.fail++;
      // A failure of the file's own test: it did not load, or its process ended badly (its output follows).
      const name = file !== undefined && resolve(data.name) === file ? '(the file itself)' : data.name;
      failures.push({ file, name, error: data.details?.error });
    } else if (data.skip !== undefined && data.skip !== false) {
      e.skip++;
      const reason = typeof data.skip === 'string' ? data.skip : 'skipped';
      skipReasons.set(reason, (skipReasons.get(reason) ?? 0) + 1);
    } else e.pass++;
  }
  if (current !== undefined) yield* flush(current);
  for (const key of files.keys()) yield* flush(key);
  const total = [...files.values()].reduce(
    (t, e) => ({ pass: t.pass + e.pass, fail: t.fail + e.fail, skip: t.skip + e.skip }),
    { pass: 0, fail: 0, skip: 0 },
  );
  for (const [reason, count] of skipReasons) yield `skipped ${count} test${count === 1 ? '' : 's'}: ${reason}\n`;
  if (failures.length > 0) {
    yield `\nFailed tests:\n`;
    for (const f of failures) yield `  ${relative(f.file)} › ${f.name}\n`;
  }
  yield `\n${files.size} files in ${seconds(Date.now() - start)}\n`;
  yield `tests: ${total.pass} passed, ${total.fail} failed, ${total.skip} skipped\n`;
  // The totals again in the TAP form that Node's default reporter ends with when its output is not a terminal: CI
  // systems read these lines to tell that tests ran and how many.
  const tests = total.pass + total.fail + total.skip;
  yield `# tests ${tests}\n# pass ${total.pass}\n# fail ${total.fail}\n# skipped ${total.skip}\n`;
  yield `# duration_ms ${Date.now() - start}\n`;
}
