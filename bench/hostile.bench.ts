// npm run bench:hostile
// Wall time and peak RSS of `validate` on each pathological input of the hostile-input
// test, one file per run, beside a normal manifest as the baseline. Target: every
// input under the size limit finishes within 2 s and 150 MB, with a diagnostic.
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { HOSTILE } from '../test/helpers/hostile.js';
import { benchManifest } from './lib/generate.js';
import { measureCli } from './lib/measure.js';
import { stringify } from 'yaml';

console.log(
  `bench:hostile on ${os.cpus().length} x ${os.cpus()[0]?.model ?? 'cpu'}, Node ${process.version}, load ${os.loadavg()[0]!.toFixed(1)}`,
);
console.log('input                          | bytes     | exit | s     | MB   | first line of output');
const inputs: Array<[string, string]> = [
  ['baseline: one manifest', stringify(benchManifest(1))],
  ...Object.entries(HOSTILE).map(([name, make]): [string, string] => [name, make()]),
];
for (const [name, text] of inputs) {
  const root = await mkdtemp(path.join(os.tmpdir(), 'bench-hostile-'));
  try {
    await writeFile(path.join(root, name.endsWith('.yaml') ? name : 'baseline.yaml'), text);
    const run = await measureCli(['validate', root]);
    const first = (run.stdout.split('\n')[0] ?? '').slice(0, 90);
    console.log(
      [
        name.padEnd(30),
        String(Buffer.byteLength(text)).padStart(9),
        String(run.code).padStart(4),
        run.seconds.toFixed(2).padStart(5),
        run.peakRssMb.toFixed(0).padStart(4),
        first,
      ].join(' | '),
    );
    if (/Internal error|FATAL/.test(run.stderr)) console.log(`  crashed: ${run.stderr.slice(0, 300)}`);
  } finally {
    await rm(root, { recursive: true, force: true });
  }
}
