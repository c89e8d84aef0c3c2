/**
 * Command start-up: wall time of whole `wingbeats-xai` processes that do no work (`--version`, `--help`, a command's
 * help), which is what loading costs; through the checkout's bin (TypeScript via tsx) and, when built, through dist/
 * (what an installed package runs). Which packages each start loads is checked by test/cli/startup.test.ts.
 */
import { spawnSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import { fileURLToPath } from 'node:url';

const root = fileURLToPath(new URL('..', import.meta.url));
const bin = fileURLToPath(new URL('../bin/wingbeats-xai.js', import.meta.url));
const built = fileURLToPath(new URL('../dist/node/cli/main.js', import.meta.url));

/** Median wall time in ms of `node <args>` over `repeats` runs (after one warm-up run that fills tsx's cache). */
function processMs(args: readonly string[], repeats: number): number {
  const run = (): number => {
    const start = performance.now();
    const result = spawnSync(process.execPath, args, { cwd: root, encoding: 'utf8' });
    if (result.status !== 0) throw new Error(`node ${args.join(' ')} failed: ${result.stderr}`);
    return performance.now() - start;
  };
  run();
  const times = Array.from({ length: repeats }, run).sort((a, b) => a - b);
  return Math.round(times[Math.floor(times.length / 2)]);
}

/** `node -e ''`: the floor every command pays. */
function nodeFloorMs(repeats: number): number {
  return processMs(['-e', ''], repeats);
}

/** Runs the start-up benchmark (about 40 process starts). */
export async function benchStartup(): Promise<Record<string, unknown>> {
  const repeats = 5;
  const rows: Record<string, number> = {
    'node -e ""': nodeFloorMs(repeats),
    'bin --version': processMs([bin, '--version'], repeats),
    'bin --help': processMs([bin, '--help'], repeats),
    'bin features --help': processMs([bin, 'features', '--help'], repeats),
    'bin explain --help': processMs([bin, 'explain', '--help'], repeats),
    'bin report --help': processMs([bin, 'report', '--help'], repeats),
    'bin dataset --help': processMs([bin, 'dataset', '--help'], repeats),
  };
  if (existsSync(built)) {
    rows['dist --version'] = processMs([built, '--version'], repeats);
    rows['dist --help'] = processMs([built, '--help'], repeats);
    rows['dist explain --help'] = processMs([built, 'explain', '--help'], repeats);
  }
  return { unit: 'ms (median wall time of a whole process)', repeats, rows, built: existsSync(built) };
}
