/**
 * Progress on stderr for long work, per example with the time left: on a terminal one line redrawn in place; otherwise
 * (a pipe, a log file) at most one line per 10 %; nothing with --quiet, nothing for work done within a second.
 */
import type { CliIo } from './common.js';

/** Reports (done, total) of one task; `done` may be fractional (part of an example). */
export interface Progress {
  update(done: number, total: number): void;
  /** Ends the task (clears the bar, prints the elapsed time). */
  done(): void;
}

/** How a progress reporter writes: `tty` defaults to whether stderr is a terminal; `now` is the clock (ms). */
export interface ProgressOptions {
  quiet?: boolean;
  tty?: boolean;
  now?: () => number;
}

/** Shortest time between two redraws of the terminal line. */
const REDRAW_MS = 200;

/** Creates a progress reporter for `label` (see the module doc). */
export function createProgress(io: CliIo, label: string, options: ProgressOptions = {}): Progress {
  const tty = options.tty ?? Boolean(process.stderr.isTTY);
  const now = options.now ?? Date.now;
  const start = now();
  let lastDraw = -Infinity;
  let lastDecile = 0;
  let shown = false;
  if (options.quiet) return { update: () => undefined, done: () => undefined };
  return {
    update(done, total) {
      const time = now();
      if (time - start < 1000 || !(total > 0) || done >= total) return;
      const fraction = Math.min(1, Math.max(0, done / total));
      const eta = done > 0 ? `, ${formatDuration(((time - start) / done) * (total - done))} left` : '';
      const counts = `${Math.floor(done)}/${total}`;
      if (tty) {
        if (time - lastDraw < REDRAW_MS) return;
        lastDraw = time;
        const width = 24;
        const filled = Math.round(fraction * width);
        io.stderr(
          `\r${label} [${'#'.repeat(filled)}${'.'.repeat(width - filled)}] ${Math.floor(fraction * 100)}% ${counts}${eta}   `,
        );
        shown = true;
        return;
      }
      const decile = Math.floor(fraction * 10);
      if (decile <= lastDecile) return;
      lastDecile = decile;
      io.stderr(`${label}: ${decile * 10}% (${counts}${eta})\n`);
    },
    done() {
      const elapsed = now() - start;
      const seconds = (elapsed / 1000).toFixed(1);
      if (tty && shown) io.stderr(`\r${label} done in ${seconds} s${' '.repeat(40)}\n`);
      else if (elapsed >= 1000) io.stderr(`${label}: done in ${seconds} s\n`);
    },
  };
}

/** A duration for people: `42 s`, `7 min 05 s`, `3 h 12 min`. */
export function formatDuration(ms: number): string {
  const seconds = Math.max(0, Math.round(ms / 1000));
  if (seconds < 60) return `${seconds} s`;
  const minutes = Math.floor(seconds / 60);
  if (minutes < 60) return `${minutes} min ${String(seconds % 60).padStart(2, '0')} s`;
  return `${Math.floor(minutes / 60)} h ${String(minutes % 60).padStart(2, '0')} min`;
}
