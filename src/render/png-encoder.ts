/**
 * A small PNG encoder in plain code (Node and browser): 8-bit RGBA or palette images, zlib stream made of
 * stored (uncompressed) deflate blocks. Meant for heatmap rasters embedded as data URLs (a 129 × 113 palette
 * image is about 15 kB), not for photographs. Format: PNG (ISO/IEC 15948), zlib (RFC 1950), deflate (RFC 1951).
 */
import { argumentError, described } from '../util/errors.js';

const SIGNATURE = [137, 80, 78, 71, 13, 10, 26, 10];
let crcTable: Uint32Array | undefined;

function crc32(bytes: Uint8Array, start: number, end: number): number {
  if (crcTable === undefined) {
    crcTable = new Uint32Array(256);
    for (let n = 0; n < 256; n++) {
      let c = n;
      for (let k = 0; k < 8; k++) c = c & 1 ? 0xedb88320 ^ (c >>> 1) : c >>> 1;
      crcTable[n] = c >>> 0;
    }
  }
  let crc = 0xffffffff;
  for (let i = start; i < end; i++) crc = crcTable[(crc ^ bytes[i]) & 0xff] ^ (crc >>> 8);
  return (crc ^ 0xffffffff) >>> 0;
}

function adler32(bytes: Uint8Array): number {
  let a = 1;
  let b = 0;
  for (let i = 0; i < bytes.length;) {
    const end = Math.min(bytes.length, i + 5552);
    for (; i < end; i++) {
      a += bytes[i];
      b += a;
    }
    a %= 65521;
    b %= 65521;
  }
  return ((b << 16) | a) >>> 0;
}

/** zlib stream of `data` in stored deflate blocks (no compression). */
function zlibStored(data: Uint8Array): Uint8Array {
  const blocks = Math.max(1, Math.ceil(data.length / 65535));
  const out = new Uint8Array(2 + data.length + 5 * blocks + 4);
  const view = new DataView(out.buffer);
  out[0] = 0x78;
  out[1] = 0x01;
  let o = 2;
  for (let b = 0; b < blocks; b++) {
    const start = b * 65535;
    const len = Math.min(65535, data.length - start);
    out[o] = b === blocks - 1 ? 1 : 0;
    view.setUint16(o + 1, len, true);
    view.setUint16(o + 3, len ^ 0xffff, true);
    out.set(data.subarray(start, start + len), o + 5);
    o += 5 + len;
  }
  view.setUint32(o, adler32(data));
  return out;
}

function assembleChunks(chunks: { type: string; data: Uint8Array }[]): Uint8Array {
  const total = SIGNATURE.length + chunks.reduce((s, c) => s + 12 + c.data.length, 0);
  const out = new Uint8Array(total);
  const view = new DataView(out.buffer);
  out.set(SIGNATURE, 0);
  let o = SIGNATURE.length;
  for (const chunk of chunks) {
    view.setUint32(o, chunk.data.length);
    for (let i = 0; i < 4; i++) out[o + 4 + i] = chunk.type.charCodeAt(i);
    out.set(chunk.data, o + 8);
    view.setUint32(o + 8 + chunk.data.length, crc32(out, o + 4, o + 8 + chunk.data.length));
    o += 12 + chunk.data.length;
  }
  return out;
}

function header(width: number, height: number, colorType: number): Uint8Array {
  const ihdr = new Uint8Array(13);
  const view = new DataView(ihdr.buffer);
  view.setUint32(0, width);
  view.setUint32(4, height);
  ihdr[8] = 8; // bit depth
  ihdr[9] = colorType;
  return ihdr; // compression, filter, interlace = 0
}

function scanlines(pixels: Uint8Array, width: number, height: number, bytesPerPixel: number): Uint8Array {
  const stride = width * bytesPerPixel;
  const raw = new Uint8Array(height * (stride + 1));
  for (let y = 0; y < height; y++) raw.set(pixels.subarray(y * stride, (y + 1) * stride), y * (stride + 1) + 1);
  return raw;
}

function checkSize(functionName: string, width: number, height: number): void {
  if (!Number.isInteger(width) || width < 1 || !Number.isInteger(height) || height < 1) {
    throw argumentError(
      functionName,
      'image',
      'positive integer width and height',
      described(`width=${width}, height=${height}`),
    );
  }
}

/** An 8-bit RGBA image, row-major from the top-left pixel. */
export interface RgbaImage {
  width: number;
  height: number;
  /** `4 * width * height` bytes: r, g, b, a per pixel. */
  data: Uint8Array;
}

/** An 8-bit palette image: one palette index per pixel, row-major from the top-left pixel. */
export interface IndexedImage {
  width: number;
  height: number;
  /** `width * height` palette indices. */
  indices: Uint8Array;
  /** Palette: `3 * n` bytes (r, g, b), n ≤ 256. */
  palette: Uint8Array;
  /** Optional alpha per palette entry (≤ n bytes; missing entries are opaque). */
  alpha?: Uint8Array;
}

/**
 * Encodes an RGBA image as PNG bytes.
 * @throws WingbeatsError (INVALID_ARGUMENT / SHAPE_MISMATCH) for bad sizes.
 */
export function encodeRgbaPng(image: RgbaImage): Uint8Array {
  checkSize('encodeRgbaPng', image.width, image.height);
  if (image.data.length !== 4 * image.width * image.height) {
    throw argumentError(
      'encodeRgbaPng',
      'image.data',
      `of length 4 × width × height = ${4 * image.width * image.height}`,
      described(`length ${image.data.length}`),
      'SHAPE_MISMATCH',
    );
  }
  return assembleChunks([
    { type: 'IHDR', data: header(image.width, image.height, 6) },
    { type: 'IDAT', data: zlibStored(scanlines(image.data, image.width, image.height, 4)) },
    { type: 'IEND', data: new Uint8Array(0) },
  ]);
}

/**
 * Encodes a palette image as PNG bytes (colour type 3, with a tRNS chunk when `alpha` is given).
 * @throws WingbeatsError (INVALID_ARGUMENT / SHAPE_MISMATCH) for bad sizes or palettes.
 */
export function encodeIndexedPng(image: IndexedImage): Uint8Array {
  checkSize('encodeIndexedPng', image.width, image.height);
  const entries = image.palette.length / 3;
  if (!Number.isInteger(entries) || entries < 1 || entries > 256) {
    throw argumentError(
      'encodeIndexedPng',
      'image.palette',
      'of length 3 × n with 1 ≤ n ≤ 256',
      described(`length ${image.palette.length}`),
    );
  }
  if (image.indices.length !== image.width * image.height) {
    throw argumentError(
      'encodeIndexedPng',
      'image.indices',
      `of length width × height = ${image.width * image.height}`,
      described(`length ${image.indices.length}`),
      'SHAPE_MISMATCH',
    );
  }
  const chunks = [
    { type: 'IHDR', data: header(image.width, image.height, 3) },
    { type: 'PLTE', data: image.palette },
  ];
  if (image.alpha !== undefined) chunks.push({ type: 'tRNS', data: image.alpha.subarray(0, entries) });
  chunks.push({ type: 'IDAT', data: zlibStored(scanlines(image.indices, image.width, image.height, 1)) });
  chunks.push({ type: 'IEND', data: new Uint8Array(0) });
  return assembleChunks(chunks);
}

/** Reads width and height from PNG bytes (checks the signature and the IHDR chunk). */
export function pngSize(bytes: Uint8Array): { width: number; height: number } {
  const ok =
    bytes.length >= 24 &&
    SIGNATURE.every((b, i) => bytes[i] === b) &&
    String.fromCharCode(...bytes.subarray(12, 16)) === 'IHDR';
  if (!ok) throw argumentError('pngSize', 'bytes', 'PNG data (signature and IHDR chunk)', bytes);
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  return { width: view.getUint32(16), height: view.getUint32(20) };
}
