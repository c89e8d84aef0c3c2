/**
 * The main entry `wingbeats-xai` as Node resolves it (the `node` condition of package.json's exports): the universal
 * surface of `index.ts`, unchanged, plus Node's worker threads and the ONNX Runtime engine registered, so library
 * calls in Node run natively by default exactly as the command line does. Bundlers for the browser take `index.ts`.
 */
import './node/register-engines.js';
export * from './index.js';
