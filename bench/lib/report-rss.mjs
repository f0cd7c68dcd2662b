// Preloaded with --import: reports the process's peak RSS and CPU time (all threads) when it exits.
import { writeSync } from 'node:fs';

process.on('exit', () => {
  const usage = process.resourceUsage();
  writeSync(2, `\n__PEAK_RSS_KB__ ${usage.maxRSS}\n__CPU_US__ ${usage.userCPUTime + usage.systemCPUTime}\n`);
});
