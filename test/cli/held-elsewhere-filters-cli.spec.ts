import { rename, rm } from 'node:fs/promises';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { readState } from '../../src/state/read.js';
import { withTempDir } from '../helpers/cli.js';
import { appliedFromM, quiet, remoteIds } from '../helpers/held-elsewhere-env.js';
import { withEmulator } from '../helpers/with-emulator.js';

describe('a subdirectory applied with --include that removes nothing (records applied from the directory above)', () => {
  it(
    're-points no record to the subdirectory, so a later apply of it still finds a moved manifest above and holds its audience',
    { timeout: 120_000 },
    async () => {
      await withEmulator({ operationDelayMs: 5, runStageDelayMs: 5 }, async (emulator) => {
        await withTempDir(async (tmp) => {
          const run = await appliedFromM(emulator, tmp, {
            'loyalty/gold.yaml': quiet('gold'),
            'loyalty/silver.yaml': quiet('silver'),
            'retail/bronze.yaml': quiet('bronze'),
          });
          const before = remoteIds(emulator);
          expect([...before.keys()].sort()).toEqual(['Audience bronze', 'Audience gold', 'Audience silver']);
          const files = async () =>
            new Map((await readState(path.join(tmp, 'state'))).audiences.map((r) => [r.key, r.manifestFile]));
          const asApplied = new Map([
            ['bronze', 'retail/bronze.yaml'],
            ['gold', 'loyalty/gold.yaml'],
            ['silver', 'loyalty/silver.yaml'],
          ]);
          expect(await files()).toEqual(asApplied);

          // Only gold is read; silver and bronze are out of scope: nothing to remove.
          const sub = path.join('m', 'loyalty');
          const only = ['--include', 'gold.yaml'];
          const saved = await run(['plan', sub, ...only, '--output', 'json', '--out', 'p.json']);
          expect(saved.code).toBe(0);
          const fromSaved = await run(['apply', 'p.json', '--auto-approve']);
          expect(fromSaved.stderr).not.toMatch(/Error|differs/);
          expect(fromSaved.code).toBe(0);
          const filtered = await run(['apply', sub, ...only, '--auto-approve']);
          expect(filtered.stderr).not.toMatch(/Error/);
          expect(filtered.code).toBe(0);
          expect(filtered.stdout).not.toContain('manifest file changed');
          expect(filtered.stdout).toContain('No changes.');
          // gold's record still names its file as applied from m.
          expect(await files()).toEqual(asApplied);

          // One change: silver's manifest removed, bronze's moved up to m/bronze.yaml.
          await rm(path.join(tmp, 'm/loyalty/silver.yaml'));
          await rename(path.join(tmp, 'm/retail/bronze.yaml'), path.join(tmp, 'm/bronze.yaml'));
          const whole = await run(['apply', sub, '--auto-approve']);
          expect(whole.stderr).not.toMatch(/Error/);
          expect(whole.code).toBe(0);
          expect(whole.stdout).toContain(
            'prod/bronze: its manifest ../bronze.yaml is above the directory given; the audience is left as it is: give the directory it was applied from (..)',
          );
          expect(whole.stdout).toContain('- prod/silver delete: manifest removed');
          expect(whole.stdout).not.toContain('bronze delete');
          const after = remoteIds(emulator);
          expect(after.get('Audience bronze')).toBe(before.get('Audience bronze'));
          expect(after.get('Audience gold')).toBe(before.get('Audience gold'));
          expect(after.has('Audience silver')).toBe(false);
        });
      });
    },
  );
});
