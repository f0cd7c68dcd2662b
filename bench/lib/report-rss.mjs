// Preloaded with --import: reports the process's peak RSS when it exits.
import { writeSync } from 'node:fs';

process.on('exit', () => {
  writeSync(2, `\n__PEAK_RSS_KB__ ${process.resourceUsage().maxRSS}\n`);
});
