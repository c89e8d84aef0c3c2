/** The end every job command shares: the job's files written (staged) into `--out`, then its JSON or text summary. */
import type { OutputFile } from '../../pipeline/output-files.js';
import type { UnreadFile } from '../../pipeline/unread-files.js';
import { createLogger, writeJson, type CliIo, type CommonOptions } from './common.js';
import { writeOutputs } from '../output/staged-output.js';

/** `job` with the input files that could not be read added to its JSON document (`unreadFiles`), when there are any. */
export function withUnread<D extends object>(
  job: { document: D; files: readonly OutputFile[] },
  unread: readonly UnreadFile[],
): { document: D; files: readonly OutputFile[] } {
  return unread.length === 0 ? job : { ...job, document: { ...job.document, unreadFiles: unread } };
}

/**
 * Writes `job.files` into `options.out` (when given) through a staging folder, then prints `job.document` as the one
 * JSON document (`--json`) or `summary(job.document)` as text.
 * @example await emitJob(io, options, await evaluationJob(model, items, settings), evaluationSummary);
 */
export async function emitJob<D>(
  io: CliIo,
  options: CommonOptions & { out?: string },
  job: { document: D; files: readonly OutputFile[] },
  summary: (document: D) => string,
): Promise<void> {
  if (options.out !== undefined)
    createLogger(io, options).info(`wrote ${(await writeOutputs(options.out, job.files)).join(', ')}`);
  if (options.json) writeJson(io, job.document);
  else io.stdout(summary(job.document));
}
