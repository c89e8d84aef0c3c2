/**
 * Backend setup: TensorFlow.js on WebAssembly (SIMD) where it can run, `cpu` otherwise — never silently.
 * Works in Node and in the browser; the Node wasm file location is found by {@link wasmDirectoryForNode}.
 */
import * as tf from '@tensorflow/tfjs';
import { setWasmPaths } from '@tensorflow/tfjs-backend-wasm';
import { WingbeatsError } from '../util/errors.js';

/** Backends wingbeats-xai knows how to set up. */
export type BackendName = 'wasm' | 'cpu' | 'webgl' | 'webgpu';

/** Options of {@link setupBackend}. */
export interface BackendOptions {
  /** Preferred backend (default `'wasm'`). */
  backend?: BackendName;
  /** Folder or URL prefix holding the `tfjs-backend-wasm*.wasm` files (default: next to the package in Node, the bundler's choice in the browser). */
  wasmPaths?: string;
  /** Where the one-line fallback warning goes (default `console.warn`). */
  warn?: (message: string) => void;
}

let configuredWasmPath: string | undefined;

/**
 * Makes `backend` (default wasm) the active TensorFlow.js backend, falling back to `cpu` with a one-line
 * warning when it cannot start. Returns the name of the backend actually in use.
 */
export async function setupBackend(options: BackendOptions = {}): Promise<string> {
  const wanted = options.backend ?? 'wasm';
  const warn = options.warn ?? ((message: string) => console.warn(message));
  if (tf.getBackend() === wanted && (wanted !== 'wasm' || options.wasmPaths === undefined)) return wanted;
  if (wanted === 'wasm') {
    const path = options.wasmPaths ?? (await wasmDirectoryForNode());
    if (path !== undefined && path !== configuredWasmPath) {
      setWasmPaths(path);
      configuredWasmPath = path;
    }
  }
  let ok = false;
  let reason = '';
  try {
    ok = await tf.setBackend(wanted);
    if (ok) await tf.ready();
  } catch (error) {
    reason = `: ${(error as Error).message}`;
    ok = false;
  }
  if (ok && tf.getBackend() === wanted) return wanted;
  if (wanted === 'cpu')
    throw new WingbeatsError('BACKEND', `The TensorFlow.js 'cpu' backend could not start${reason}.`);
  warn(
    `wingbeats-xai: TensorFlow.js backend '${wanted}' is unavailable${reason}; falling back to 'cpu' (6-40x slower).`,
  );
  await tf.setBackend('cpu');
  await tf.ready();
  return 'cpu';
}

/** In Node, the folder of the wasm binaries inside the installed `@tensorflow/tfjs-backend-wasm`; undefined elsewhere. */
export async function wasmDirectoryForNode(): Promise<string | undefined> {
  const isNode =
    typeof process !== 'undefined' && process.versions?.node !== undefined && typeof window === 'undefined';
  if (!isNode) return undefined;
  const moduleName = 'node:module';
  const { createRequire } = (await import(/* @vite-ignore */ moduleName)) as {
    createRequire: (url: string) => { resolve(id: string): string };
  };
  const require = createRequire(import.meta.url);
  const entry = require.resolve('@tensorflow/tfjs-backend-wasm');
  return entry.slice(0, entry.lastIndexOf('/') + 1);
}
