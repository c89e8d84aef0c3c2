/**
 * The commands of the program by name, each with its one-line summary and a loader, and the program's own settings
 * (version, error line). Light on purpose: nothing here imports TensorFlow.js, the renderers, ONNX Runtime or Parquet, so
 * `--version`, `--help` and a command's start load only what that command uses. Node only.
 */
import { readFileSync } from 'node:fs';
import { Command } from 'commander';
import { safeMessageText } from '../../util/errors.js';
import { PROGRAM_NAME, type CliIo } from './common.js';
import { choiceErrorInUserWords } from './user-words.js';
import { commandSummary } from './command-summaries.js';

/** Builds one command (its flags, help and action) writing to `io`. */
export type CommandBuilder = (io: CliIo) => Command;

/** One command of the program: its name, its summary for the help, and how to load its builder. */
export interface CommandEntry {
  readonly name: string;
  readonly summary: string;
  readonly load: () => Promise<CommandBuilder>;
}

/** Every command, in help order. */
export const COMMANDS: readonly CommandEntry[] = [
  { name: 'demo', summary: commandSummary('demo'), load: async () => (await import('./demo.js')).demoCommand },
  {
    name: 'explain',
    summary: commandSummary('explain'),
    load: async () => (await import('./explain.js')).explainCommand,
  },
  { name: 'report', summary: commandSummary('report'), load: async () => (await import('./report.js')).reportCommand },
  { name: 'batch', summary: commandSummary('batch'), load: async () => (await import('./batch.js')).batchCommand },
  {
    name: 'dataset',
    summary: commandSummary('dataset'),
    load: async () => (await import('./dataset.js')).datasetCommand,
  },
  {
    name: 'features',
    summary: commandSummary('features'),
    load: async () => (await import('./features.js')).featuresCommand,
  },
  {
    name: 'evaluate',
    summary: commandSummary('evaluate'),
    load: async () => (await import('./evaluate.js')).evaluateCommand,
  },
  { name: 'sanity', summary: commandSummary('sanity'), load: async () => (await import('./sanity.js')).sanityCommand },
  {
    name: 'uncertainty',
    summary: commandSummary('uncertainty'),
    load: async () => (await import('./uncertainty.js')).uncertaintyCommand,
  },
  { name: 'stats', summary: commandSummary('stats'), load: async () => (await import('./stats.js')).statsCommand },
];

/** The command `argv` starts with (or asks help for: `help explain`), if it is one of {@link COMMANDS}. */
export function commandOf(argv: readonly string[]): CommandEntry | undefined {
  const name = argv[0] === 'help' ? argv[1] : argv[0];
  return COMMANDS.find((c) => c.name === name);
}

/** The package's version (from package.json, beside src/ and dist/). */
export function packageVersion(): string {
  return (JSON.parse(readFileSync(new URL('../../../package.json', import.meta.url), 'utf8')) as { version: string })
    .version;
}

/** The program without its commands: name, version, and error lines in the program's one-line form. */
export function baseProgram(io: CliIo): Command {
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
          choiceErrorInUserWords(
            text
              .replace(/^error: /, '')
              .trim()
              .replace(/\s*\n\s*/g, ' '),
          ),
        )}\n`,
      ),
  });
  return program;
}

/** Adds `command` to `program` with the program's error handling and output. */
export function addCommand(program: Command, command: Command): void {
  command.exitOverride();
  command.configureOutput(program.configureOutput());
  program.addCommand(command);
}

/** Adds every command as a stub (name and summary only), for the program's own help and its "did you mean". */
export function addCommandStubs(program: Command): void {
  for (const entry of COMMANDS) addCommand(program, new Command(entry.name).description(entry.summary));
}
