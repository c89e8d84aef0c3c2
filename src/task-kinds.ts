/**
 * Every row-task kind of the library (each module registers its executor on import). Worker threads and Web Workers
 * import this file — not the whole library — so they know the same kinds as the calling thread. A method that adds a
 * kind adds its module here.
 */
import './parallel/forward-task.js';
import './attribution/pooled-target-gradients.js';
import './attribution/integrated-gradients-task.js';
import './uncertainty/mc-dropout-rows.js';
import './attribution/lrp-rows.js';
import './attribution/deeplift-rows.js';
import './attribution/grad-cam-rows.js';
