/** Fetching a file as bytes, with failures as one-line `IO` errors (universal: Node 18+ and browsers have `fetch`). */
import { WingbeatsError } from '../util/errors.js';

/**
 * Fetches `url` and returns its body as bytes.
 * @throws WingbeatsError `IO` naming the URL when the request fails or the status is not OK.
 * @example const bytes = await fetchBytes('models/SimpleCls_psd_frozen.h5');
 */
export async function fetchBytes(url: string): Promise<Uint8Array> {
  let response: Response;
  try {
    response = await fetch(url);
  } catch (error) {
    throw new WingbeatsError('IO', `Could not fetch '${url}': ${(error as Error).message}`, { cause: error });
  }
  if (!response.ok) throw new WingbeatsError('IO', `Could not fetch '${url}': HTTP ${response.status} ${response.statusText}.`);
  return new Uint8Array(await response.arrayBuffer());
}
