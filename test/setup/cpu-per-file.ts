// Vitest setup file, loaded only when AUDIENCECTL_TEST_CPU_LOG names a file (vitest.config.ts):
// appends one JSON line per spec file to it, with the CPU the file cost, in seconds: its worker's
// user and system time and that of the children it reaped (the CLIs, controllers and git it
// spawned; `children` says how much of it was theirs), from /proc/self/stat (Linux), from before
// the file's imports to its afterAll. The PostgreSQL server's backends and vitest's main process
// are not counted. With isolate: false a worker loads the modules once: the first file to import
// them pays for it.
import { appendFileSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { afterAll, expect } from 'vitest';

/**
 * utime + stime + cutime + cstime of this process (or the fields `which` names: 13 and 14 are its
 * reaped children's), in seconds (clock ticks of 1/100 s).
 */
function cpuSeconds(which: number[] = [11, 12, 13, 14]): number {
  const stat = readFileSync('/proc/self/stat', 'utf8');
  // After the command name (in parentheses, which may hold spaces): field 3 onwards.
  const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
  return which.reduce((sum, index) => sum + Number(fields[index]), 0) / 100;
}

const log = process.env.AUDIENCECTL_TEST_CPU_LOG;
const cpuAtStart = cpuSeconds();
const childAtStart = cpuSeconds([13, 14]);
const wallAtStart = Date.now();

afterAll(() => {
  if (log === undefined || log === '') return;
  const line = {
    file: path.relative(process.cwd(), expect.getState().testPath ?? '?'),
    cpu: Number((cpuSeconds() - cpuAtStart).toFixed(2)),
    children: Number((cpuSeconds([13, 14]) - childAtStart).toFixed(2)),
    wall: (Date.now() - wallAtStart) / 1000,
    node: process.version,
  };
  appendFileSync(log, `${JSON.stringify(line)}\n`);
});
