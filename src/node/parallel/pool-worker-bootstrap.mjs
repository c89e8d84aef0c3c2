// Entry of the worker pool when the library runs from its TypeScript sources (a checkout, tests): workers do not
// inherit tsx from the main thread, so register it here, then hand over to the TypeScript worker module.
import { workerData } from 'piscina';

(await import(workerData.tsx)).register();
const worker = await import(workerData.entry);
export default worker.default;
