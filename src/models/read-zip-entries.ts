/**
 * Reading named entries of a zip archive (a Keras `.keras` file) with every inflated size bounded before and while it
 * is inflated. The central directory gives each entry's declared sizes (ZIP64 included); an entry is inflated as a
 * stream into a buffer of its declared size and stopped as soon as it yields more, so a deflate stream that lies about
 * its size costs at most the declared size in memory and in time. Universal (fflate's streaming inflater).
 */
import { Inflate } from 'fflate';

/** An entry of the central directory: where its data starts, how it is stored, its declared sizes. */
export interface ZipEntry {
  name: string;
  /** 0 stored, 8 deflated. */
  method: number;
  compressedSize: number;
  originalSize: number;
  /** Offset of its local header. */
  localHeader: number;
}

/** Why an archive cannot be read (the caller names the file). */
export class ZipFormatError extends Error {}

const EOCD = 0x06054b50;
const ZIP64_LOCATOR = 0x07064b50;
const ZIP64_EOCD = 0x06064b50;
const CENTRAL = 0x02014b50;
const LOCAL = 0x04034b50;

function uint64(view: DataView, at: number): number {
  const value = view.getUint32(at, true) + view.getUint32(at + 4, true) * 2 ** 32;
  if (!Number.isSafeInteger(value)) throw new ZipFormatError('a size or offset is past 2^53');
  return value;
}

/** Where the central directory starts and how many entries it declares. */
function centralDirectory(bytes: Uint8Array, view: DataView): { start: number; count: number } {
  let end = -1;
  for (let at = bytes.length - 22; at >= Math.max(0, bytes.length - 22 - 0xffff); at--) {
    if (view.getUint32(at, true) === EOCD) {
      end = at;
      break;
    }
  }
  if (end < 0) throw new ZipFormatError('no end of central directory');
  let count = view.getUint16(end + 10, true);
  let start = view.getUint32(end + 16, true);
  if ((count === 0xffff || start === 0xffffffff) && end >= 20 && view.getUint32(end - 20, true) === ZIP64_LOCATOR) {
    const zip64 = uint64(view, end - 12);
    if (zip64 + 56 > bytes.length || view.getUint32(zip64, true) !== ZIP64_EOCD)
      throw new ZipFormatError('a damaged ZIP64 end of central directory');
    count = uint64(view, zip64 + 32);
    start = uint64(view, zip64 + 48);
  }
  if (start > bytes.length) throw new ZipFormatError('a central directory past the end of the file');
  return { start, count };
}

/**
 * The central directory's entries whose names are in `wanted` (each name at most once).
 * @throws ZipFormatError for a damaged directory or a wanted name listed twice.
 */
export function zipEntries(bytes: Uint8Array, wanted: readonly string[]): Map<string, ZipEntry> {
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  const { start, count } = centralDirectory(bytes, view);
  const out = new Map<string, ZipEntry>();
  const decoder = new TextDecoder();
  let at = start;
  for (let i = 0; i < count; i++) {
    if (at + 46 > bytes.length || view.getUint32(at, true) !== CENTRAL)
      throw new ZipFormatError(`central directory entry ${i} is damaged`);
    const nameLength = view.getUint16(at + 28, true);
    const extraLength = view.getUint16(at + 30, true);
    const commentLength = view.getUint16(at + 32, true);
    const next = at + 46 + nameLength + extraLength + commentLength;
    if (next > bytes.length) throw new ZipFormatError(`central directory entry ${i} runs past the end of the file`);
    const name = decoder.decode(bytes.subarray(at + 46, at + 46 + nameLength));
    if (wanted.includes(name)) {
      if (out.has(name)) throw new ZipFormatError(`'${name}' is listed twice`);
      let originalSize = view.getUint32(at + 24, true);
      let compressedSize = view.getUint32(at + 20, true);
      let localHeader = view.getUint32(at + 42, true);
      // ZIP64: the fields that overflowed 32 bits are in the extra field 0x0001, in this order.
      for (let e = at + 46 + nameLength; e + 4 <= at + 46 + nameLength + extraLength;) {
        const id = view.getUint16(e, true);
        const size = view.getUint16(e + 2, true);
        if (id === 0x0001) {
          let field = e + 4;
          const take = (): number => {
            if (field + 8 > e + 4 + size) throw new ZipFormatError(`'${name}' has a short ZIP64 field`);
            const value = uint64(view, field);
            field += 8;
            return value;
          };
          if (originalSize === 0xffffffff) originalSize = take();
          if (compressedSize === 0xffffffff) compressedSize = take();
          if (localHeader === 0xffffffff) localHeader = take();
        }
        e += 4 + size;
      }
      out.set(name, { name, method: view.getUint16(at + 10, true), compressedSize, originalSize, localHeader });
    }
    at = next;
  }
  return out;
}

/**
 * The inflated bytes of `entry`: at most its declared size, and exactly it.
 * @throws ZipFormatError when its data lie outside the file, it uses another compression than stored or deflate, or it
 *   inflates to more or fewer bytes than declared (the inflater is stopped at the first byte past the declared size).
 */
export function inflateEntry(bytes: Uint8Array, entry: ZipEntry): Uint8Array {
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  const at = entry.localHeader;
  if (at + 30 > bytes.length || view.getUint32(at, true) !== LOCAL)
    throw new ZipFormatError(`the local header of '${entry.name}' is damaged`);
  const dataStart = at + 30 + view.getUint16(at + 26, true) + view.getUint16(at + 28, true);
  if (dataStart + entry.compressedSize > bytes.length)
    throw new ZipFormatError(`the data of '${entry.name}' run past the end of the file`);
  const data = bytes.subarray(dataStart, dataStart + entry.compressedSize);
  if (entry.method === 0) {
    if (entry.compressedSize !== entry.originalSize)
      throw new ZipFormatError(`'${entry.name}' is stored with two different sizes`);
    return data.slice();
  }
  if (entry.method !== 8)
    throw new ZipFormatError(
      `'${entry.name}' uses compression method ${entry.method} (only stored and deflate are read)`,
    );
  const out = new Uint8Array(entry.originalSize);
  let filled = 0;
  const inflater = new Inflate((chunk) => {
    if (filled + chunk.length > out.length)
      throw new ZipFormatError(`'${entry.name}' inflates to more than the ${entry.originalSize} bytes it declares`);
    out.set(chunk, filled);
    filled += chunk.length;
  });
  // One push inflates at most about 1032 times its input (deflate's best ratio) before the size is checked: pushes are
  // a 16th of what is left to fill (1 KB to 64 KB), so a stream lying about its size overshoots by at most about 16
  // times the declared size plus 1 MB.
  let from = 0;
  do {
    const step = Math.max(1024, Math.min(65_536, Math.ceil((out.length - filled) / 16)));
    const to = Math.min(data.length, from + step);
    try {
      inflater.push(data.subarray(from, to), to >= data.length);
    } catch (error) {
      if (error instanceof ZipFormatError) throw error;
      throw new ZipFormatError(`'${entry.name}' is not a valid deflate stream (${(error as Error).message})`);
    }
    from = to;
  } while (from < data.length);
  if (filled !== out.length)
    throw new ZipFormatError(`'${entry.name}' inflates to ${filled} bytes, not the ${entry.originalSize} it declares`);
  return out;
}
