/**
 * The whole program with every command built (for tools that inspect its commands and options, and for the fuzzer);
 * loads every command's modules. The command line itself ({@link main}) loads only the command it runs. Node only.
 */
import type { Command } from 'commander';
import { processIo, type CliIo } from './common.js';
import { addCommand, baseProgram } from './command-list.js';
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

/** Builds the program with every command; output goes to `io`. */
export function createProgram(io: CliIo = processIo): Command {
  const program = baseProgram(io);
  for (const build of [
    demoCommand,
    explainCommand,
    reportCommand,
    batchCommand,
    datasetCommand,
    featuresCommand,
    evaluateCommand,
    sanityCommand,
    uncertaintyCommand,
    statsCommand,
  ])
    addCommand(program, build(io));
  return program;
}
