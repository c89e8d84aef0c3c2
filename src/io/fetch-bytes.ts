/** Fetching a file as bytes, with failures as one-line `IO` errors (universal: Node 18+ and browsers have `fetch`). */
import { WingbeatsError } from '../util/errors.js';

/** Largest body {@link fetchBytes} accepts by default (1 GB). */
export const MAX_FETCH_BYTES = 2 ** 30;

/**
 * Fetches `url` and returns its body as bytes, refusing a body larger than `maxBytes` (from its Content-Length before
 * reading, and while reading when the server does not say), so an endless or huge response cannot exhaust memory.
 *
 * @param url - What to fetch.
 * @param maxBytes - Largest body accepted (default {@link MAX_FETCH_BYTES}).
 * @throws WingbeatsError `IO` naming the URL when the request fails or the status is not OK; `LIMIT_EXCEEDED` when
 *   the body is too large.
 * @example const bytes = await fetchBytes('models/SimpleCls_psd_frozen.h5');
 */
export async function fetchBytes(url: string, maxBytes = MAX_FETCH_BYTES): Promise<Uint8Array> {
  let response: Response;
  try {
    response = await fetch(url);
  } catch (error) {
    throw new WingbeatsError('IO', `Could not fetch '${url}': ${(error as Error).message}`, { cause: error });
  }
  if (!response.ok)
    throw new WingbeatsError('IO', `Could not fetch '${url}': HTTP ${response.status} ${response.statusText}.`);
  const tooLarge = (): WingbeatsError =>
    new WingbeatsError('LIMIT_EXCEEDED', `'${url}' is larger than the limit of ${maxBytes} bytes.`);
  const declared = Number(response.headers.get('content-length') ?? Number.NaN);
  if (declared > maxBytes) {
    await response.body?.cancel().catch(() => undefined);
    throw tooLarge();
  }
  if (response.body === null) return new Uint8Array(await response.arrayBuffer());
  const reader = response.body.getReader();
  const parts: Uint8Array[] = [];
  let total = 0;
  try {
    for (;;) {
      const { done, value } = await reader.read();
      if (done) break;
      total += value.byteLength;
      if (total > maxBytes) {
        await reader.cancel().catch(() => undefined);
        throw tooLarge();
      }
      parts.push(value);
    }
  } catch (error) {
    if (error instanceof WingbeatsError) throw error;
    throw new WingbeatsError('IO', `Could not fetch '${url}': ${(error as Error).message}`, { cause: error });
  }
  const bytes = new Uint8Array(total);
  let offset = 0;
  for (const part of parts) {
    bytes.set(part, offset);
    offset += part.byteLength;
  }
  return bytes;
}
