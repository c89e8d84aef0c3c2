/**
 * Conventions shared by every command (Node only):
 * - `--json`: stdout carries exactly one JSON document and nothing else; logs and progress go to stderr;
 * - errors: ONE line `wingbeats-xai: <message>` on stderr and exit code 1 (the stack only with `--verbose`);
 * - `--quiet` silences logs; `--verbose` adds detail and stack traces.
 */
import { Option, type Command } from 'commander';
import { safeMessageText } from '../../util/errors.js';
import { toJson } from '../../pipeline/json-values.js';

export { nestArray, toJson } from '../../pipeline/json-values.js';

/** Where a command writes; injectable so tests can run commands in-process. */
export interface CliIo {
  stdout: (text: string) => void;
  stderr: (text: string) => void;
}

/** The process's own streams. */
export const processIo: CliIo = {
  stdout: (text) => void process.stdout.write(text),
  stderr: (text) => void process.stderr.write(text),
};

/** Options every command accepts. */
export interface CommonOptions {
  json?: boolean;
  quiet?: boolean;
  verbose?: boolean;
}

/** The program's name, the prefix of every error line. */
export const PROGRAM_NAME = 'wingbeats-xai';

/** Adds `--json`, `--quiet` and `--verbose` to a command. */
export function addCommonOptions(command: Command): Command {
  return command
    .addOption(new Option('--json', 'write exactly one JSON document to stdout (logs go to stderr)'))
    .addOption(new Option('-q, --quiet', 'no progress or log lines on stderr').conflicts('verbose'))
    .addOption(new Option('-v, --verbose', 'more detail on stderr, and stack traces on errors'));
}

/** A logger honouring `--quiet`/`--verbose`; always writes to stderr so stdout stays clean for `--json`. */
export interface Logger {
  info(message: string): void;
  debug(message: string): void;
}

/** Creates the {@link Logger} of a command run (names in messages are data: control characters printed as escapes). */
export function createLogger(io: CliIo, options: CommonOptions): Logger {
  const line = (message: string): string => `${safeMessageText(message, Number.POSITIVE_INFINITY)}\n`;
  return {
    info: (message) => {
      if (!options.quiet) io.stderr(line(message));
    },
    debug: (message) => {
      if (options.verbose) io.stderr(line(message));
    },
  };
}

/** Writes one JSON document (and a newline) to stdout. Typed arrays become plain arrays. */
export function writeJson(io: CliIo, value: unknown): void {
  io.stdout(`${toJson(value)}\n`);
}

/** Writes each distinct warning of the inputs once to stderr (`wingbeats-xai warning: ...`), also with --quiet or --json. */
export function writeWarnings(io: CliIo, items: readonly { warnings: readonly string[] }[]): void {
  for (const warning of new Set(items.flatMap((i) => i.warnings)))
    io.stderr(`${PROGRAM_NAME} warning: ${safeMessageText(warning.replace(/\s*\n\s*/g, ' '))}\n`);
}

/** The one error line for `error` (with the stack when verbose). */
export function formatError(error: unknown, verbose: boolean): string {
  const message = error instanceof Error ? error.message : String(error);
  const line = `${PROGRAM_NAME}: ${safeMessageText(message.replace(/\s*\n\s*/g, ' '))}\n`;
  return verbose && error instanceof Error && error.stack ? `${line}${safeMessageText(error.stack, 20000)}\n` : line;
}
