/** The `wingbeats-xai` program: builds the commander program and runs one command line (Node only). */
import { pathToFileURL } from 'node:url';
import { readFileSync, realpathSync } from 'node:fs';
import { Command, CommanderError } from 'commander';
import { formatError, PROGRAM_NAME, processIo, type CliIo } from './common.js';
import { safeMessageText } from '../../util/errors.js';
import { featuresCommand } from './features.js';
import { explainCommand } from './explain.js';
import { demoCommand } from './demo.js';
import { evaluateCommand } from './evaluate.js';
import { uncertaintyCommand } from './uncertainty.js';
import { statsCommand } from './stats.js';
import { reportCommand } from './report.js';
import { batchCommand } from './batch.js';
import { sanityCommand } from './sanity.js';
import { datasetCommand } from './dataset.js';
import { useWorkerThreads } from '../parallel/thread-pool.js';

/** The package's version (from package.json, beside src/ and dist/). */
export function packageVersion(): string {
  return (JSON.parse(readFileSync(new URL('../../../package.json', import.meta.url), 'utf8')) as { version: string })
    .version;
}

/** Builds the program with every command; output goes to `io`. */
export function createProgram(io: CliIo = processIo): Command {
  const program = new Command(PROGRAM_NAME)
    .description('Explain TensorFlow.js classifiers of insect wingbeat recordings.')
    .version(packageVersion(), '-V, --version', 'print the version')
    .showHelpAfterError(false)
    .enablePositionalOptions()
    .exitOverride();
  program.configureOutput({
    writeOut: (text) => io.stdout(text),
    writeErr: (text) => io.stderr(text),
    outputError: (text, write) =>
      write(
        `${PROGRAM_NAME}: ${safeMessageText(
          text
            .replace(/^error: /, '')
            .trim()
            .replace(/\s*\n\s*/g, ' '),
        )}\n`,
      ),
  });
  for (const command of [
    demoCommand(io),
    explainCommand(io),
    reportCommand(io),
    batchCommand(io),
    datasetCommand(io),
    featuresCommand(io),
    evaluateCommand(io),
    sanityCommand(io),
    uncertaintyCommand(io),
    statsCommand(io),
  ]) {
    command.exitOverride();
    command.configureOutput(program.configureOutput());
    program.addCommand(command);
  }
  return program;
}

/**
 * Runs one command line in-process and returns the exit code (0 success, 1 error); never calls `process.exit`.
 *
 * @param argv - The arguments after the program name, e.g. `['features', '--input', 'a.wav', '--preset', 'potamitis-psd', '--json']`.
 * @param io - Where to write (default: the process's stdout/stderr).
 * @returns The exit code.
 * @example
 * process.exitCode = await main(process.argv.slice(2));
 */
export async function main(argv: readonly string[], io: CliIo = processIo): Promise<number> {
  useWorkerThreads();
  const program = createProgram(io);
  if (argv.length === 0) {
    io.stderr(
      `${PROGRAM_NAME}: no command given; one of ${program.commands.map((c) => c.name()).join(', ')} is needed (see ${PROGRAM_NAME} --help).\n`,
    );
    return 1;
  }
  try {
    await program.parseAsync([...argv], { from: 'user' });
    return 0;
  } catch (error) {
    if (error instanceof CommanderError) {
      // Commander has already printed its one line (or the help/version text).
      return error.exitCode === 0 ? 0 : 1;
    }
    io.stderr(formatError(error, argv.includes('--verbose') || argv.includes('-v')));
    return 1;
  }
}

const invokedDirectly = (() => {
  try {
    return process.argv[1] !== undefined && import.meta.url === pathToFileURL(realpathSync(process.argv[1])).href;
  } catch {
    return false;
  }
})();
if (invokedDirectly) process.exitCode = await main(process.argv.slice(2));
