// npm run bench:plan [-- 1000 10000 50000]
// Wall time and peak RSS of `validate` and of a no-change `plan`, as a user runs them
// (after one warm-up run).
import { mkdtemp, rm } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { generateRepo } from './lib/generate.js';
import { measureCli } from './lib/measure.js';

const sizes = process.argv
  .slice(2)
  .map(Number)
  .filter((n) => n > 0);
const SIZES = sizes.length > 0 ? sizes : [1_000, 10_000, 50_000];

console.log(
  `bench:plan on ${os.cpus().length} x ${os.cpus()[0]?.model ?? 'cpu'}, ${Math.round(os.totalmem() / 2 ** 30)} GiB, Node ${process.version}`,
);
console.log('audiences | validate s | validate MB | plan s | plan MB | plan us/audience');
for (const size of SIZES) {
  const root = await mkdtemp(path.join(os.tmpdir(), 'bench-plan-'));
  try {
    const { manifests, state } = await generateRepo(root, size, true);
    // One untimed run first: the files just written are still being flushed to disk,
    // which is not what a user's repeated plans see.
    await measureCli(['plan', manifests, '--state', state]);
    const validate = await measureCli(['validate', manifests]);
    const planned = await measureCli(['plan', manifests, '--state', state]);
    if (validate.code !== 0)
      throw new Error(`validate exited ${validate.code}: ${validate.stdout.slice(0, 500)}`);
    if (planned.code !== 0)
      throw new Error(
        `plan was not empty (exit ${planned.code}): ${planned.stdout.slice(0, 500)}${planned.stderr.slice(0, 500)}`,
      );
    console.log(
      [
        String(size).padStart(9),
        validate.seconds.toFixed(2).padStart(10),
        validate.peakRssMb.toFixed(0).padStart(11),
        planned.seconds.toFixed(2).padStart(6),
        planned.peakRssMb.toFixed(0).padStart(7),
        ((planned.seconds * 1e6) / size).toFixed(0).padStart(16),
      ].join(' | '),
    );
  } finally {
    await rm(root, { recursive: true, force: true });
  }
}
