/**
 * Test helper: decodes an 8-bit RGB/RGBA (non-interlaced) PNG, as resvg writes them, and measures how much of the
 * picture is empty background, so that tests can hold charts to "no wide empty band".
 */
import { inflateSync } from 'node:zlib';

/** Decoded pixels: row-major RGBA. */
export interface Pixels {
  width: number;
  height: number;
  rgba: Uint8Array;
}

/** Decodes a PNG of colour type 2 (RGB) or 6 (RGBA), bit depth 8, no interlace (throws otherwise). */
export function decodePng(png: Uint8Array): Pixels {
  const view = new DataView(png.buffer, png.byteOffset, png.byteLength);
  let offset = 8;
  let width = 0;
  let height = 0;
  let channels = 0;
  const idat: Uint8Array[] = [];
  while (offset < png.length) {
    const length = view.getUint32(offset);
    const type = String.fromCharCode(...png.subarray(offset + 4, offset + 8));
    const data = png.subarray(offset + 8, offset + 8 + length);
    if (type === 'IHDR') {
      width = view.getUint32(offset + 8);
      height = view.getUint32(offset + 12);
      const depth = data[8];
      const colour = data[9];
      if (depth !== 8 || (colour !== 2 && colour !== 6) || data[12] !== 0)
        throw new Error(`decodePng: unsupported PNG (depth ${depth}, colour type ${colour}, interlace ${data[12]})`);
      channels = colour === 6 ? 4 : 3;
    } else if (type === 'IDAT') idat.push(data);
    offset += 12 + length;
  }
  const raw = inflateSync(Buffer.concat(idat));
  const stride = width * channels;
  const out = new Uint8Array(width * height * 4);
  let previous = new Uint8Array(stride);
  for (let y = 0; y < height; y++) {
    const filter = raw[y * (stride + 1)];
    const line = raw.subarray(y * (stride + 1) + 1, (y + 1) * (stride + 1));
    const current = new Uint8Array(stride);
    for (let i = 0; i < stride; i++) {
      const a = i >= channels ? current[i - channels] : 0;
      const b = previous[i];
      const c = i >= channels ? previous[i - channels] : 0;
      let predictor = 0;
      if (filter === 1) predictor = a;
      else if (filter === 2) predictor = b;
      else if (filter === 3) predictor = (a + b) >> 1;
      else if (filter === 4) {
        const p = a + b - c;
        const pa = Math.abs(p - a);
        const pb = Math.abs(p - b);
        const pc = Math.abs(p - c);
        predictor = pa <= pb && pa <= pc ? a : pb <= pc ? b : c;
      }
      current[i] = (line[i] + predictor) & 0xff;
    }
    for (let x = 0; x < width; x++) {
      for (let k = 0; k < 3; k++) out[(y * width + x) * 4 + k] = current[x * channels + k];
      out[(y * width + x) * 4 + 3] = channels === 4 ? current[x * channels + 3] : 255;
    }
    previous = current;
  }
  return { width, height, rgba: out };
}

/**
 * The widest run of background-only rows and of background-only columns, as fractions of the height and the width
 * (background: the top-left pixel's colour, within a tolerance of 8 per channel), and the share of all rows and all
 * columns that are background-only.
 */
export function emptyBands(pixels: Pixels): { rows: number; cols: number; widestRows: number; widestCols: number } {
  const { width, height, rgba } = pixels;
  const bg = rgba.subarray(0, 4);
  const isBackground = (x: number, y: number): boolean => {
    const at = (y * width + x) * 4;
    return [0, 1, 2].every((k) => Math.abs(rgba[at + k] - bg[k]) <= 8);
  };
  const emptyRow = Array.from({ length: height }, (_, y) => {
    for (let x = 0; x < width; x++) if (!isBackground(x, y)) return false;
    return true;
  });
  const emptyCol = Array.from({ length: width }, (_, x) => {
    for (let y = 0; y < height; y++) if (!isBackground(x, y)) return false;
    return true;
  });
  const widest = (flags: boolean[]): number => {
    let best = 0;
    let run = 0;
    for (const f of flags) {
      run = f ? run + 1 : 0;
      best = Math.max(best, run);
    }
    return best;
  };
  return {
    rows: emptyRow.filter(Boolean).length / height,
    cols: emptyCol.filter(Boolean).length / width,
    widestRows: widest(emptyRow) / height,
    widestCols: widest(emptyCol) / width,
  };
}
