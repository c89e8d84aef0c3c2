/** Starting the backend and loading the model of a command (Node only). */
import { setupBackend } from '../../execution/backend.js';
import type { ExplainableModel } from '../../execution/explainable-model.js';
import { loadModelFile } from '../load-model-file.js';
import type { CliIo } from './common.js';

/**
 * Makes wasm the backend (the fallback warning always reaches stderr, even with --quiet: it is never silent) and loads
 * the model at `path`. The caller frees it with `model.dispose()` in `finally`.
 */
export async function openModel(io: CliIo, path: string): Promise<ExplainableModel> {
  await setupBackend({ warn: (message) => io.stderr(`${message}\n`) });
  return loadModelFile(path);
}
