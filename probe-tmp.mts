import { buildSeeds } from './scripts/fuzz/seeds.js';
import { makeCase } from './scripts/fuzz/cases.js';
import { writeFileSync } from 'node:fs';
const seeds = await buildSeeds();
const c = await makeCase(Number(process.argv[2]), 1, seeds);
console.log(c.reader, c.note, c.files.map(f => [f.name, f.bytes?.length, f.special]));
if (c.files[0].bytes) writeFileSync('/tmp/hp/case.bin', c.files[0].bytes);
