// The wingbeats-xai command line from the build (dist/, `npm run build` first), as an installed package runs it: no
// TypeScript compiled at start. Used by the dataset benchmark with DATASET_BENCH_DIST=1.
const { main } = await import(new URL('../dist/node/cli/main.js', import.meta.url).href);
process.exitCode = await main(process.argv.slice(2));
