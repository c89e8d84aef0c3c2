/**
 * The `wingbeats-xai` program: runs one command line, loading only the command it names (so `--version`, `--help` and
 * a command's start do not pay for TensorFlow.js, the renderers, ONNX Runtime or Parquet they do not use). Node only.
 */
import { pathToFileURL } from 'node:url';
import { realpathSync } from 'node:fs';
import { CommanderError } from 'commander';
import { formatError, PROGRAM_NAME, processIo, type CliIo } from './common.js';
import { addCommand, addCommandStubs, baseProgram, commandOf, COMMANDS } from './command-list.js';
import { inUserWords } from './user-words.js';

export { packageVersion } from './command-list.js';

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
  const program = baseProgram(io);
  if (argv.length === 0) {
    io.stderr(
      `${PROGRAM_NAME}: no command given; one of ${COMMANDS.map((c) => c.name).join(', ')} is needed (see ${PROGRAM_NAME} --help).\n`,
    );
    return 1;
  }
  try {
    const entry = commandOf(argv);
    if (entry === undefined) addCommandStubs(program);
    else {
      addCommand(program, (await entry.load())(io));
      // Worker threads only for a command that runs: the pool module (piscina) is not loaded for help or errors.
      program.hook('preAction', async () => (await import('../parallel/thread-pool.js')).useWorkerThreads());
    }
    await program.parseAsync([...argv], { from: 'user' });
    return 0;
  } catch (error) {
    if (error instanceof CommanderError) {
      // Commander has already printed its one line (or the help/version text).
      return error.exitCode === 0 ? 0 : 1;
    }
    // The library names its arguments; the user typed flags.
    if (error instanceof Error) error.message = inUserWords(error.message, program.commands[0]);
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
