/**
 * onnxruntime-node 1.17.0 (the last release whose npm package installs without downloading GPU libraries) ships no
 * type declarations; `ort.ts` types the parts the engine uses.
 */
declare module 'onnxruntime-node';
