/**
 * Test helper: hostile HDF5 files for the readers of issue 25 — hard-linked groups forming a DAG of 2^40 paths and a
 * cycle, alone or added to a sound Keras weights file (which then still loads).
 */
import h5wasm from 'h5wasm';

let counter = 0;

/**
 * The bytes of an HDF5 file whose 41 groups each link twice to the next (2^40 paths) and whose last links back to the
 * first, reachable from `/layers/dense` (an empty file) or from `/layers/linked` (added to `base`, a sound HDF5 file).
 */
export async function linkedGroupsFile(base?: Uint8Array): Promise<Uint8Array> {
  const module = await h5wasm.ready;
  const name = `/links-${process.pid}-${++counter}.h5`;
  if (base !== undefined) module.FS!.writeFile(name, base);
  const file = new h5wasm.File(name, base === undefined ? 'w' : 'a');
  try {
    const count = 41;
    for (let i = 0; i < count; i++) file.create_group(`g${i}`);
    for (let i = 0; i < count - 1; i++) {
      file.create_hard_link(`/g${i + 1}`, `/g${i}/a`);
      file.create_hard_link(`/g${i + 1}`, `/g${i}/b`);
    }
    file.create_hard_link('/g0', `/g${count - 1}/back`);
    if (!file.keys().includes('layers')) file.create_group('layers');
    file.create_hard_link('/g0', base === undefined ? '/layers/dense' : '/layers/linked');
  } finally {
    file.close();
  }
  const bytes = new Uint8Array(module.FS!.readFile(name));
  module.FS!.unlink(name);
  return bytes;
}
