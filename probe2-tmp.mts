import { readKerasH5 } from './src/models/hdf5.js';
import { readFileSync } from 'node:fs';
const c = await readKerasH5(new Uint8Array(readFileSync('/tmp/hp/m340.h5')), 'm.h5');
console.log(JSON.stringify(c.modelConfig).slice(0, 3000));
