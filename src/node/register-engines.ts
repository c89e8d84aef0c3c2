/**
 * Node only, imported for its effect: `workers` use Node's worker threads (default: the number of cores) and the
 * ONNX Runtime engine is registered, so `engine: 'auto'` (the default) runs on its native CPU kernels. Both
 * `wingbeats-xai/node` and, in Node, the main entry `wingbeats-xai` import it.
 */
import { useWorkerThreads } from './parallel/thread-pool.js';
import { registerNodeEngines } from './onnx/onnx-backend.js';

useWorkerThreads();
registerNodeEngines();
