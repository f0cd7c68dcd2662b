import { readFile, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { runCli, withTempDir, writeFiles } from '../helpers/cli.js';
import { manifestYaml } from '../helpers/manifests.js';

// The CLI makes glibc's malloc keep what it frees for reuse (src/cli/reuse-freed-memory.ts).
const glibc = (process.report.getReport() as { header?: { glibcVersionRuntime?: string } }).header
  ?.glibcVersionRuntime;

/**
 * Loaded (--import) into the CLI's process; as it exits, four buffers of 2 MB are touched,
 * freed, and touched again: the page faults of each round, in `out`. Where freed memory is
 * given back to the kernel (each such buffer its own mapping), the second round faults its
 * pages in again as the first did; kept, it reuses them.
 */
const witness = (out: string) => `
import { writeFileSync } from 'node:fs';
process.on('exit', () => {
  const faults = () => process.resourceUsage().minorPageFault;
  const collect = () => { gc(); gc(); };
  collect();
  const rounds = [];
  for (let round = 0; round < 2; round += 1) {
    const before = faults();
    for (let i = 0; i < 4; i += 1) Buffer.allocUnsafeSlow(2 << 20).fill(1);
    rounds.push(faults() - before);
    collect();
  }
  writeFileSync(${JSON.stringify(out)}, JSON.stringify(rounds));
});
`;

/** Pages of the buffers the witness touches in a round: 8 MB. */
const PAGES = (8 * 2 ** 20) / 4096;

describe.runIf(glibc !== undefined)("the CLI's memory freed and allocated again", () => {
  it.each([
    ['--version', () => ['--version']],
    ['validate', (dir: string) => ['validate', path.join(dir, 'manifests')]],
  ])('is reused, not faulted in anew (%s)', async (_name, args) => {
    await withTempDir(async (dir) => {
      await writeFiles(path.join(dir, 'manifests'), { 'gold.yaml': manifestYaml('gold') });
      const script = path.join(dir, 'witness.mjs');
      const out = path.join(dir, 'faults.json');
      await writeFile(script, witness(out));
      const run = await runCli(args(dir), {
        env: { NODE_OPTIONS: `--expose-gc --import ${script}` },
      });
      expect(run.code, run.stderr).toBe(0);
      const rounds = JSON.parse(await readFile(out, 'utf8')) as [number, number];
      // Given back, the second round faults in every page again, as the first did (2,030–2,060
      // of 2,048 here); kept, it takes back most of what the first freed (about 510).
      expect(rounds[1], `page faults of each round: ${rounds.join(', ')}`).toBeLessThan(PAGES / 2);
    });
  });
});
