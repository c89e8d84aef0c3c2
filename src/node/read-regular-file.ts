/**
 * Reading a file the user named, safely (Node only): regular files only (never a device such as `/dev/zero`, a FIFO
 * that blocks forever, or a folder), at most a stated number of bytes, and every failure as one `IO` or
 * `LIMIT_EXCEEDED` line naming the file and what it is for.
 */
import { constants } from 'node:fs';
import { open, type FileHandle } from 'node:fs/promises';
import { WingbeatsError } from '../util/errors.js';

const MiB = 1024 * 1024;

/** Size caps of the files wingbeats-xai reads, in bytes (one table, quoted in messages). */
export const FILE_SIZE_LIMITS = {
  /** A Keras `.h5` or a `model.json`. */
  model: 1024 * MiB,
  /** All weight files of one `model.json` manifest together. */
  weights: 1024 * MiB,
  /** A `.wav` recording. */
  recording: 1024 * MiB,
  /** A `.npy` input or baseline file. */
  input: 512 * MiB,
  /** A `.json` input, baseline or statistics file (parsed JSON takes several times its size in memory). */
  json: 128 * MiB,
  /** A data set's CSV manifest (its line count is capped too, before parsing). */
  manifest: 128 * MiB,
} as const;

/** Options of {@link readRegularFile}. */
export interface ReadRegularFileOptions {
  /** What the file is, starting the message: `'File'`, `"Option '--input'"`, `'The weight file'`, ... */
  what: string;
  /** Largest size accepted, in bytes. */
  maxBytes: number;
  /**
   * Called with the file's first bytes (at most 64 kB) and its size before the whole file is read, to refuse it
   * early by its header (a recording too long to decode); throws to refuse.
   */
  checkHead?: (head: Uint8Array, size: number) => void;
}

/** "1.5 GB", "512 MB", "12 kB", "300 bytes". */
export function formatBytes(bytes: number): string {
  if (bytes >= 1024 ** 3) return `${(bytes / 1024 ** 3).toFixed(bytes % 1024 ** 3 === 0 ? 0 : 1)} GB`;
  if (bytes >= MiB) return `${(bytes / MiB).toFixed(bytes % MiB === 0 ? 0 : 1)} MB`;
  if (bytes >= 1024) return `${(bytes / 1024).toFixed(bytes % 1024 === 0 ? 0 : 1)} kB`;
  return `${bytes} bytes`;
}

function kindOf(stats: {
  isDirectory(): boolean;
  isFIFO(): boolean;
  isCharacterDevice(): boolean;
  isBlockDevice(): boolean;
  isSocket(): boolean;
}): string {
  if (stats.isDirectory()) return 'a folder';
  if (stats.isFIFO()) return 'a named pipe (FIFO)';
  if (stats.isCharacterDevice()) return 'a character device';
  if (stats.isBlockDevice()) return 'a block device';
  if (stats.isSocket()) return 'a socket';
  return 'a special file';
}

function ioError(what: string, path: string, error: unknown): WingbeatsError {
  const code = (error as NodeJS.ErrnoException).code;
  const problem =
    code === 'ENOENT'
      ? 'does not exist'
      : code === 'EACCES' || code === 'EPERM'
        ? 'cannot be read (permission denied)'
        : code === 'EISDIR'
          ? 'is a folder, not a regular file'
          : code === 'ELOOP'
            ? 'cannot be read (too many levels of symbolic links)'
            : `cannot be read (${(error as Error).message.replace(/\.$/, '')})`;
  return new WingbeatsError('IO', `${what} '${path}' ${problem}.`, { cause: error });
}

/**
 * Reads a whole regular file, refusing anything else before reading a byte: folders, devices (`/dev/zero`,
 * `/dev/urandom`), named pipes (opened without blocking) and sockets; and files larger than `maxBytes`.
 *
 * @param path - The file.
 * @param options - {@link ReadRegularFileOptions}: `what` (for messages), `maxBytes`.
 * @returns The file's bytes (at most the size it had when opened).
 * @throws WingbeatsError `IO` (missing, unreadable, not a regular file) or `LIMIT_EXCEEDED` (too large), naming the
 *   file, what it is for and the limit.
 * @example
 * const bytes = await readRegularFile('a.wav', { what: "Option '--input'", maxBytes: FILE_SIZE_LIMITS.recording });
 */
export async function readRegularFile(path: string, options: ReadRegularFileOptions): Promise<Uint8Array> {
  const { what, maxBytes } = options;
  let handle: FileHandle;
  try {
    // O_NONBLOCK: opening a FIFO without a writer would otherwise wait forever.
    handle = await open(path, constants.O_RDONLY | constants.O_NONBLOCK);
  } catch (error) {
    throw ioError(what, path, error);
  }
  try {
    const stats = await handle.stat();
    if (!stats.isFile()) {
      throw new WingbeatsError(
        'IO',
        `${what} '${path}' is ${kindOf(stats)}, not a regular file; only regular files are read.`,
      );
    }
    if (stats.size > maxBytes) {
      throw new WingbeatsError(
        'LIMIT_EXCEEDED',
        `${what} '${path}' is ${formatBytes(stats.size)}, more than the limit of ${formatBytes(maxBytes)}.`,
      );
    }
    if (options.checkHead !== undefined) {
      const head = new Uint8Array(Math.min(stats.size, 65_536));
      const { bytesRead } = await handle.read(head, 0, head.length, 0);
      options.checkHead(head.subarray(0, bytesRead), stats.size);
    }
    const bytes = new Uint8Array(stats.size);
    let offset = 0;
    while (offset < bytes.length) {
      const { bytesRead } = await handle.read(bytes, offset, bytes.length - offset, offset);
      if (bytesRead === 0) break;
      offset += bytesRead;
    }
    return offset === bytes.length ? bytes : bytes.subarray(0, offset);
  } catch (error) {
    if (error instanceof WingbeatsError) throw error;
    throw ioError(what, path, error);
  } finally {
    await handle.close();
  }
}
