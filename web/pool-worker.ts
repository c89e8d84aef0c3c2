/**
 * The page's pool worker (a module Web Worker, bundled as pool-worker.js): knows every row-task kind of the library
 * and serves the pool's messages — it builds its own TensorFlow.js wasm engine and a copy of the page's model.
 */
import '../src/task-kinds.js';
import { servePoolWorker, type WorkerScope } from '../src/index.js';

servePoolWorker(self as unknown as WorkerScope);
