/**
 * Node only: whether onnxruntime-node can run on CUDA here. Its npm package ships the CPU provider only (1.17, the
 * version wingbeats-xai depends on, has no CUDA provider at all); releases from 1.18 on list `cuda` with its
 * libraries installed apart (their install script fetches them from NuGet). `engine: 'auto'` uses CUDA only when the
 * binding lists it and its provider library is next to the binding, so a missing GPU set-up never costs a failed
 * session (nor ONNX Runtime's own error lines on stderr).
 */
import { existsSync, readdirSync } from 'node:fs';
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';
import type { Ort } from './ort.js';

/** The CUDA provider's library, by platform. */
const CUDA_LIBRARY: Partial<Record<NodeJS.Platform, string>> = {
  linux: 'libonnxruntime_providers_cuda.so',
  win32: 'onnxruntime_providers_cuda.dll',
};

/**
 * Why `ort` cannot run on CUDA, in one clause, or `undefined` when it can (as far as can be seen without a session).
 * @param providerLibraryFound whether the CUDA provider's library is installed (default: looked up in
 *   onnxruntime-node's `bin/` folder for this platform and architecture)
 */
export function cudaProblem(ort: Ort, providerLibraryFound: () => boolean = cudaLibraryInstalled): string | undefined {
  const version = ort.env?.versions?.node ?? 'of unknown version';
  const listed = ort.listSupportedBackends?.() ?? [{ name: 'cpu', bundled: true }];
  const cuda = listed.find((provider) => provider.name === 'cuda');
  if (cuda === undefined)
    return `onnxruntime-node ${version} has no CUDA execution provider (it has: ${listed.map((p) => p.name).join(', ')}); docs/performance.md ("GPU") says how to install one that has`;
  if (!cuda.bundled && !providerLibraryFound())
    return `onnxruntime-node ${version} lists CUDA but its provider library (${CUDA_LIBRARY[process.platform] ?? 'for this platform'}) is not installed: reinstall it with --onnxruntime-node-install=cuda12 (docs/performance.md, "GPU")`;
  return undefined;
}

/** Whether the CUDA provider's library is in onnxruntime-node's `bin/<napi>/<platform>/<arch>/` folder. */
function cudaLibraryInstalled(): boolean {
  const library = CUDA_LIBRARY[process.platform];
  if (library === undefined) return false;
  try {
    const bin = join(dirname(createRequire(import.meta.url).resolve('onnxruntime-node')), '..', 'bin');
    return readdirSync(bin).some((napi) => existsSync(join(bin, napi, process.platform, process.arch, library)));
  } catch {
    return false;
  }
}
