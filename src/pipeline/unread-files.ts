/** Input files a job could not read: carried next to the results, listed in reports. */
import type { ReportSection } from '../render/html-report.js';

/** An input file that could not be read, and the one-line reason. */
export interface UnreadFile {
  /** The path as found (a file given, or one found in a folder given). */
  file: string;
  /** Why it could not be read (the error message). */
  error: string;
}

/** The report section that lists the files that could not be read (one row each), or none when every file was read. */
export function unreadFilesSections(unread: readonly UnreadFile[] | undefined): ReportSection[] {
  if (unread === undefined || unread.length === 0) return [];
  return [
    {
      title: `Files that could not be read (${unread.length})`,
      text: 'These input files were skipped; every other file is explained above.',
      table: { columns: ['File', 'Why'], rows: unread.map((u) => [u.file, u.error]) },
    },
  ];
}
