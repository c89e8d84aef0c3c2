/** Progress lines: per example with the time left; one line redrawn on a terminal, at most one per 10 % otherwise. */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { createProgress, formatDuration } from '../../src/node/cli/progress.js';

/** A progress reporter on a fake clock, with everything it wrote. */
function fake(tty: boolean): {
  progress: ReturnType<typeof createProgress>;
  tick: (ms: number) => void;
  text: () => string;
} {
  let time = 0;
  let text = '';
  const progress = createProgress({ stdout: () => undefined, stderr: (t) => void (text += t) }, 'uncertainty', {
    tty,
    now: () => time,
  });
  return { progress, tick: (ms) => void (time += ms), text: () => text };
}

test('not a terminal: 33 updates make at most one line per 10 %, each with counts and the time left', () => {
  const { progress, tick, text } = fake(false);
  for (let done = 1; done <= 33; done++) {
    tick(500);
    progress.update(done, 33);
  }
  progress.done();
  const lines = text().trim().split('\n');
  assert.ok(lines.length <= 11, text());
  assert.equal(lines.at(-1), 'uncertainty: done in 16.5 s');
  assert.match(lines[0], /^uncertainty: \d0% \(\d+\/33, \d+ s left\)$/);
  const percents = lines.slice(0, -1).map((l) => Number(/: (\d+)%/.exec(l)?.[1]));
  assert.deepEqual(
    percents,
    [...new Set(percents)].sort((a, b) => a - b),
    'each 10 % step once, in order',
  );
});

test('on a terminal: one line redrawn in place (no newline until done), at most five redraws a second', () => {
  const { progress, tick, text } = fake(true);
  tick(1000);
  for (let done = 1; done <= 100; done++) {
    tick(10);
    progress.update(done, 101);
  }
  assert.equal(text().includes('\n'), false, 'no newline while running');
  const redraws = text().split('\r').length - 1;
  assert.ok(redraws >= 4 && redraws <= 6, `${redraws} redraws in one second`);
  assert.match(text(), /\runcertainty \[#+\.*\] \d+% \d+\/101, \d+ s left {3}$/);
  progress.done();
  assert.match(text(), /\runcertainty done in 2\.0 s {40}\n$/);
});

test('work done within a second prints nothing; --quiet prints nothing', () => {
  const quick = fake(false);
  quick.progress.update(1, 2);
  quick.tick(300);
  quick.progress.done();
  assert.equal(quick.text(), '');
  let text = '';
  const quiet = createProgress({ stdout: () => undefined, stderr: (t) => void (text += t) }, 'x', { quiet: true });
  quiet.update(1, 2);
  quiet.done();
  assert.equal(text, '');
});

test('formatDuration', () => {
  assert.equal(formatDuration(42_000), '42 s');
  assert.equal(formatDuration(425_000), '7 min 05 s');
  assert.equal(formatDuration(3 * 3600_000 + 12 * 60_000), '3 h 12 min');
});
