// Preloaded into benchmark child processes: prints the process's peak resident memory on exit (stderr, one line), and
// the CPU time of the process and of its child processes (ONNX session-pool processes): those already ended and waited
// for, and those still alive at exit (read from /proc on Linux; elsewhere the process's own CPU time alone).
import { readFileSync, readdirSync } from 'node:fs';

/** Clock ticks per second of /proc/<pid>/stat (USER_HZ, 100 on Linux). */
const TICKS = 100;

/** Fields after the command name of /proc/<pid>/stat (index 0 = state), or undefined. */
function statFields(pid) {
  try {
    const text = readFileSync(`/proc/${pid}/stat`, 'utf8');
    return text.slice(text.lastIndexOf(')') + 2).split(' ');
  } catch {
    return undefined;
  }
}

/** Live descendants of `pid` (through /proc/<pid>/task/<tid>/children). */
function descendants(pid) {
  const found = [];
  let tasks = [];
  try {
    tasks = readdirSync(`/proc/${pid}/task`);
  } catch {
    return found;
  }
  for (const tid of tasks) {
    let children = '';
    try {
      children = readFileSync(`/proc/${pid}/task/${tid}/children`, 'utf8');
    } catch {
      continue;
    }
    for (const child of children.split(' ').filter(Boolean)) found.push(Number(child), ...descendants(Number(child)));
  }
  return found;
}

/** CPU milliseconds of children: waited-for ones (cutime + cstime of this process) and live descendants. */
function childrenCpuMs() {
  const own = statFields(process.pid);
  if (own === undefined) return 0;
  let ticks = Number(own[13]) + Number(own[14]);
  for (const pid of descendants(process.pid)) {
    const fields = statFields(pid);
    if (fields !== undefined) ticks += Number(fields[11]) + Number(fields[12]);
  }
  return (ticks * 1000) / TICKS;
}

process.on('exit', () => {
  const usage = process.resourceUsage();
  const cpuMs = (usage.userCPUTime + usage.systemCPUTime) / 1000 + childrenCpuMs();
  process.stderr.write(`\nmaxRSS_KB=${usage.maxRSS} cpuMs=${Math.round(cpuMs)}\n`);
});
