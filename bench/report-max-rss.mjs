// Preloaded into benchmark child processes: prints the process's peak resident memory on exit (stderr, one line).
process.on('exit', () => process.stderr.write(`\nmaxRSS_KB=${process.resourceUsage().maxRSS}\n`));
