// Preloaded with --import: reports the process's peak RSS when it exits (its CPU time is bash's
// `times` after it, measure.ts: at `exit` its threads' teardown is still to come).
import { writeSync } from 'node:fs';

process.on('exit', () => {
  const usage = process.resourceUsage();
  writeSync(2, `\n__PEAK_RSS_KB__ ${usage.maxRSS}\n`);
});
