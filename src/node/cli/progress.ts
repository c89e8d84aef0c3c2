/** Progress on stderr for long work: a bar on a terminal, plain lines (at most one a second) otherwise; nothing with --quiet. */
import type { CliIo } from './common.js';

/** Reports (done, total) of one task. */
export interface Progress {
  update(done: number, total: number): void;
  /** Ends the task (clears the bar, prints the elapsed time). */
  done(): void;
}

/** Creates a progress reporter for `label`. `tty` defaults to whether stderr is a terminal. */
export function createProgress(io: CliIo, label: string, options: { quiet?: boolean; tty?: boolean } = {}): Progress {
  const tty = options.tty ?? Boolean(process.stderr.isTTY);
  const start = Date.now();
  let lastLine = 0;
  let shown = false;
  if (options.quiet) return { update: () => undefined, done: () => undefined };
  return {
    update(done, total) {
      const now = Date.now();
      if (now - start < 1000 && done < total) return;
      const fraction = total > 0 ? Math.min(1, done / total) : 1;
      const eta = done > 0 && done < total ? `, ${formatDuration(((now - start) / done) * (total - done))} left` : '';
      if (tty) {
        const width = 24;
        const filled = Math.round(fraction * width);
        io.stderr(
          `\r${label} [${'#'.repeat(filled)}${'.'.repeat(width - filled)}] ${Math.round(fraction * 100)}%${eta}   `,
        );
        shown = true;
      } else if (now - lastLine >= 1000) {
        io.stderr(`${label}: ${Math.round(fraction * 100)}% (${done}/${total}${eta})\n`);
        lastLine = now;
      }
    },
    done() {
      const seconds = ((Date.now() - start) / 1000).toFixed(1);
      if (tty && shown) io.stderr(`\r${label} done in ${seconds} s${' '.repeat(30)}\n`);
      else if (Date.now() - start >= 1000) io.stderr(`${label}: done in ${seconds} s\n`);
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
