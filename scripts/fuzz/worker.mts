/**
 * Fuzz worker: a child process that runs a stream of cases sent by scripts/fuzz/run.mts over IPC, each in a fresh
 * folder, and reports per case whether the reader accepted the input, failed with a typed WingbeatsError (clean),
 * threw anything else, or leaked tensors. Hangs, crashes and memory blowups are judged by the parent's watchdog.
 */
import * as tf from '@tensorflow/tfjs';
import { CommanderError } from 'commander';
import { execFileSync } from 'node:child_process';
import { mkdirSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { setupBackend } from '../../src/execution/backend.js';
import { MAX_MESSAGE_LENGTH, WingbeatsError } from '../../src/util/errors.js';
import { ExplainableModel } from '../../src/execution/explainable-model.js';
import { splitIntoInputs } from '../../src/io/input-files.js';
import { readNpy } from '../../src/node/npy-file.js';
import { main } from '../../src/node/cli/main.js';
import { createProgram } from '../../src/node/cli/program.js';
import { readBaselineFile, readItems } from '../../src/node/cli/open-model.js';
import { loadPixelStatistics } from '../../src/node/pixel-statistics-file.js';
import { loadModelFile } from '../../src/node/load-model-file.js';
import { featuresFromRecording } from '../../src/signal/features.js';
import { readWavFile } from '../../src/node/read-wav-file.js';
import { listDataset } from '../../src/node/dataset/listing.js';
import { readTableMetadata, readTableRowGroups } from '../../src/node/dataset/table-file.js';
import { readSettingsFile } from '../../src/node/dataset/run.js';
import { makeCase, type FuzzCase, type ReaderName } from './cases.js';
import { buildSeeds, type Seeds } from './seeds.js';

/** What the worker reports for one case. */
export interface CaseResult {
  index: number;
  reader: ReaderName;
  note: string;
  outcome: 'accepted' | 'clean' | 'other' | 'leak';
  message?: string;
}

const psdModel = ExplainableModel.from((x) => x, { inputShape: [129, 1], name: 'identity [129, 1]' });

const RUNNERS: Record<Exclude<ReaderName, 'cli'>, (file: string) => Promise<unknown>> = {
  wav: async (file) => featuresFromRecording(await readWavFile(file), 'potamitis-psd', { windows: 'all', pad: true }),
  npy: async (file) => {
    const array = await readNpy(file);
    return splitIntoInputs(file, { data: Float32Array.from(array.data), shape: array.shape }, [129, 1]);
  },
  json: (file) => readItems(psdModel, file, {}),
  baseline: (file) =>
    readBaselineFile(psdModel, { baseline: file }, [
      { name: 'x', data: new Float32Array(129), shape: [129, 1], warnings: [] },
    ]),
  stats: (file) => loadPixelStatistics(file),
  'model-json': async (file) => (await loadModelFile(file)).dispose(),
  h5: async (file) => (await loadModelFile(file)).dispose(),
  keras: async (file) => (await loadModelFile(file)).dispose(),
  manifest: (file) => listDataset(file),
  parquet: async (file) => {
    await readTableMetadata(file);
    let rows = 0;
    for await (const group of readTableRowGroups(file)) rows += group.length;
    return rows;
  },
  settings: (file) => readSettingsFile(file),
};

const UNSAFE = /[\u0000-\u0008\u000b-\u001f\u007f-\u009f\u202a-\u202e\u2066-\u2069]/;

/** A message that may reach a terminal: no raw control characters, capped. */
function unsafeMessage(message: string): string | undefined {
  if (UNSAFE.test(message)) return 'message carries raw control characters';
  if (message.length > MAX_MESSAGE_LENGTH + 100) return `message of ${message.length} characters`;
  return undefined;
}

function materialise(dir: string, testCase: FuzzCase, seeds: Seeds): void {
  for (const file of testCase.files) {
    const target = path.join(dir, file.name);
    mkdirSync(path.dirname(target), { recursive: true });
    if (file.bytes !== undefined) writeFileSync(target, file.bytes);
    else if (file.special === 'copy-demo-weights') writeFileSync(target, seeds.weightsBin);
    else if (file.special === 'dev-zero' || file.special === 'link-dev-zero') symlinkSync('/dev/zero', target);
    else if (file.special === 'dev-urandom') symlinkSync('/dev/urandom', target);
    else if (file.special === 'link-outside') symlinkSync('/etc/hostname', target);
    else if (file.special === 'folder') mkdirSync(target);
    else if (file.special === 'fifo') execFileSync('mkfifo', [target]);
  }
}

async function runCli(argv: string[]): Promise<{ outcome: CaseResult['outcome']; message?: string }> {
  let stderr = '';
  const io = { stdout: () => undefined, stderr: (t: string) => void (stderr += t) };
  if (argv.length === 0) {
    const code = await main(argv, io);
    return code === 1 && stderr.split('\n').filter(Boolean).length === 1
      ? { outcome: 'clean', message: stderr.trim() }
      : { outcome: 'other', message: `no command: ${stderr}` };
  }
  const program = createProgram(io);
  try {
    await program.parseAsync(argv, { from: 'user' });
    return { outcome: 'accepted' };
  } catch (error) {
    if (!(error instanceof WingbeatsError || error instanceof CommanderError))
      return { outcome: 'other', message: `${(error as Error).name}: ${(error as Error).message}` };
    const lines = stderr.split('\n').filter((l) => l.startsWith('wingbeats-xai:'));
    if (argv[0] !== 'batch' && lines.length > 1)
      return { outcome: 'other', message: `${lines.length} error lines: ${stderr.slice(0, 300)}` };
    // What reaches the terminal: commander's own line, or the message of a WingbeatsError.
    const shown = error instanceof CommanderError ? stderr : error.message;
    const unsafe = unsafeMessage(shown);
    return unsafe === undefined
      ? { outcome: 'clean', message: shown.trim() }
      : { outcome: 'other', message: `${unsafe}: ${JSON.stringify(shown.slice(0, 200))}` };
  }
}

async function runCase(testCase: FuzzCase, base: string, seeds: Seeds): Promise<CaseResult> {
  const dir = path.join(base, `case-${testCase.index}`);
  mkdirSync(dir, { recursive: true });
  const before = tf.memory().numTensors;
  let result: Pick<CaseResult, 'outcome' | 'message'>;
  try {
    materialise(dir, testCase, seeds);
    if (testCase.reader === 'cli') {
      process.chdir(dir);
      result = await runCli((testCase.argv ?? []).map((a) => a.replaceAll('{dir}', dir)));
    } else {
      try {
        await RUNNERS[testCase.reader](path.join(dir, testCase.main));
        result = { outcome: 'accepted' };
      } catch (error) {
        const unsafe = error instanceof WingbeatsError ? unsafeMessage(error.message) : undefined;
        if (error instanceof WingbeatsError && unsafe === undefined)
          result = { outcome: 'clean', message: error.message };
        else
          result = {
            outcome: 'other',
            message: `${unsafe ?? (error as Error)?.name}: ${String((error as Error)?.message ?? error).slice(0, 300)}`,
          };
      }
    }
  } finally {
    process.chdir(base);
    rmSync(dir, { recursive: true, force: true });
  }
  const leaked = tf.memory().numTensors - before;
  if (leaked !== 0)
    result = { outcome: 'leak', message: `${leaked} tensors left behind (${result.outcome}: ${result.message ?? ''})` };
  return { index: testCase.index, reader: testCase.reader, note: testCase.note, ...result };
}

const base = path.join(tmpdir(), `wingbeats-fuzz-${process.pid}`);
mkdirSync(base, { recursive: true });
process.on('exit', () => rmSync(base, { recursive: true, force: true }));
await setupBackend({ backend: 'wasm', warn: () => undefined });
const seeds = await buildSeeds();
const runSeed = Number(process.env.WINGBEATS_FUZZ_SEED ?? '1');
process.on('message', (message: { index: number }) => {
  void (async () => {
    let result: CaseResult;
    try {
      result = await runCase(await makeCase(message.index, runSeed, seeds), base, seeds);
    } catch (error) {
      result = {
        index: message.index,
        reader: 'cli',
        note: 'the worker itself failed',
        outcome: 'other',
        message: String((error as Error)?.stack ?? error),
      };
    }
    process.send?.(result);
  })();
});
process.send?.({ ready: true });
