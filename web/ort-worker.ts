/**
 * A Web Worker of the page's ONNX run pool (bundled as ort-worker.js; see src/onnx/web-run-pool.ts): its own
 * onnxruntime-web with one thread and sessions of the page's compiled graphs, taking whole runs while the page's
 * thread runs another.
 */
import * as ort from 'onnxruntime-web/wasm';
import { serveOnnxRuns, type RunPoolPort } from '../src/onnx/web-run-pool.js';
import type { OrtWebModule } from '../src/onnx/runtime.js';

serveOnnxRuns(ort as unknown as OrtWebModule, self as unknown as RunPoolPort);
