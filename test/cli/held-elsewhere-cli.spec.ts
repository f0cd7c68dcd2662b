import { rename, rm } from 'node:fs/promises';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { readState } from '../../src/state/read.js';
import { emulatorEnv } from '../helpers/apply-env.js';
import { withTempDir, writeFiles } from '../helpers/cli.js';
import { runCliInProcess } from '../helpers/cli-in-process.js';
import { appliedFromM, quiet, remoteIds } from '../helpers/held-elsewhere-env.js';
import { withEmulator } from '../helpers/with-emulator.js';

describe('a removal whose manifest the plan did not read is held (review-deletes items 1 and 6)', () => {
  it(
    'a manifest moved out of --include: held by that scope, its audience kept (same id); a manifest removed in scope is deleted',
    { timeout: 120_000 },
    async () => {
      await withEmulator({ operationDelayMs: 5, runStageDelayMs: 5 }, async (emulator) => {
        await withTempDir(async (tmp) => {
          const run = await appliedFromM(emulator, tmp, {
            'loyalty/gold.yaml': quiet('gold'),
            'loyalty/silver.yaml': quiet('silver'),
            'loyalty/tin.yaml': quiet('tin'),
            'partners/bronze.yaml': quiet('bronze'),
          });
          const before = remoteIds(emulator);
          expect([...before.keys()].sort()).toEqual([
            'Audience bronze',
            'Audience gold',
            'Audience silver',
            'Audience tin',
          ]);

          await rename(path.join(tmp, 'm/loyalty/gold.yaml'), path.join(tmp, 'm/partners/gold.yaml'));
          const planned = await run(['plan', 'm', '--include', 'loyalty/**']);
          expect(planned.code).toBe(0);
          expect(planned.stdout).toContain('Held (left alone): 1');
          expect(planned.stdout).toContain(
            'prod/gold: its manifest is now partners/gold.yaml, outside --include loyalty/**; the audience is left as it is',
          );
          expect(planned.stdout).not.toMatch(/ delete: /);
          // Saved and applied: checked by planning again, which looks outside the scope again.
          const saved = await run([
            'plan',
            'm',
            '--include',
            'loyalty/**',
            '--output',
            'json',
            '--out',
            'p.json',
          ]);
          expect(saved.code).toBe(0);
          const applied = await run(['apply', 'p.json', '--auto-approve']);
          expect(applied.stderr).not.toMatch(/Error/);
          expect(applied.code).toBe(0);
          expect(remoteIds(emulator).get('Audience gold')).toBe(before.get('Audience gold'));

          // The other team's scope takes it over: its record follows the file, no create.
          const partners = await run(['apply', 'm', '--include', 'partners/**', '--auto-approve']);
          expect(partners.code).toBe(0);
          expect(partners.stdout).not.toMatch(/ create: /);
          expect(remoteIds(emulator)).toEqual(before);
          const gold = (await readState(path.join(tmp, 'state'))).audiences.find((r) => r.key === 'gold');
          expect(gold?.manifestFile).toBe('partners/gold.yaml');

          // A manifest removed from the scope is still deleted, beside a held one.
          await rename(path.join(tmp, 'm/loyalty/silver.yaml'), path.join(tmp, 'm/partners/silver.yaml'));
          await rm(path.join(tmp, 'm/loyalty/tin.yaml'));
          await writeFiles(path.join(tmp, 'm'), { 'loyalty/lead.yaml': quiet('lead') });
          const mixed = await run(['apply', 'm', '--include', 'loyalty/**', '--auto-approve']);
          expect(mixed.code).toBe(0);
          expect(mixed.stdout).toContain('- prod/tin delete: manifest removed');
          expect(mixed.stdout).toContain('prod/silver: its manifest is now partners/silver.yaml');
          const after = remoteIds(emulator);
          expect(after.has('Audience tin')).toBe(false);
          expect(after.get('Audience silver')).toBe(before.get('Audience silver'));
          expect(after.get('Audience gold')).toBe(before.get('Audience gold'));
        });
      });
    },
  );

  it(
    'a subdirectory given: audiences whose manifests are above it are held, naming the directory; one whose manifest is gone everywhere is deleted',
    { timeout: 120_000 },
    async () => {
      await withEmulator({ operationDelayMs: 5, runStageDelayMs: 5 }, async (emulator) => {
        await withTempDir(async (tmp) => {
          const run = await appliedFromM(emulator, tmp, {
            'loyalty/gold.yaml': quiet('gold'),
            'retail/bronze.yaml': quiet('bronze'),
            'retail/tin.yaml': quiet('tin'),
            'web.yaml': quiet('copper'),
          });
          const before = remoteIds(emulator);
          expect(before.size).toBe(4);
          // tin's manifest is removed; copper's moved (its recorded file is gone, it is not).
          await rm(path.join(tmp, 'm/retail/tin.yaml'));
          await rename(path.join(tmp, 'm/web.yaml'), path.join(tmp, 'm/retail/web.yaml'));

          const planned = await run(['plan', path.join('m', 'loyalty')]);
          expect(planned.code).toBe(0);
          expect(planned.stdout).toContain('Held (left alone): 2');
          // Paths relative to the directory given, as every path of a plan.
          expect(planned.stdout).toContain(
            'prod/bronze: its manifest ../retail/bronze.yaml is above the directory given; the audience is left as it is: give the directory it was applied from (..)',
          );
          expect(planned.stdout).toContain(
            'prod/copper: its manifest ../retail/web.yaml is above the directory given',
          );
          expect(planned.stdout).toContain('- prod/tin delete: manifest removed');
          expect(planned.stdout).not.toMatch(/(bronze|copper) delete/);

          // Saved, and applied from another working directory: the held reasons, compared as
          // text, do not depend on it.
          const out = ['--output', 'json', '--out', 'p.json'];
          expect((await run(['plan', path.join('m', 'loyalty'), ...out])).code).toBe(0);
          const applied = await runCliInProcess(
            ['apply', path.join('..', 'p.json'), '--auto-approve', '--state', path.join(tmp, 'state')],
            { cwd: path.join(tmp, 'm'), env: emulatorEnv(emulator) },
          );
          expect(applied.stderr).not.toMatch(/Error|differs/);
          expect(applied.code).toBe(0);
          const after = remoteIds(emulator);
          expect(after.get('Audience bronze')).toBe(before.get('Audience bronze'));
          expect(after.get('Audience copper')).toBe(before.get('Audience copper'));
          expect(after.get('Audience gold')).toBe(before.get('Audience gold'));
          expect(after.has('Audience tin')).toBe(false);

          // From the directory it was applied from, nothing is left to do but follow copper's
          // moved file (gold's record kept loyalty/gold.yaml: the subdirectory's plan named it so).
          const whole = await run(['apply', 'm', '--auto-approve']);
          expect(whole.code).toBe(0);
          expect(whole.stdout).not.toMatch(/ (create|delete): /);
          expect(remoteIds(emulator)).toEqual(after);

          // No removed record's file is above (bronze's removed, copper's moved again): gold,
          // matched from its recorded loyalty/gold.yaml, says the records came from m.
          await rm(path.join(tmp, 'm/retail/bronze.yaml'));
          await rename(path.join(tmp, 'm/retail/web.yaml'), path.join(tmp, 'm/web.yaml'));
          const moved = await run(['plan', path.join('m', 'loyalty')]);
          expect(moved.code).toBe(0);
          expect(moved.stdout).toContain(
            'prod/copper: its manifest ../web.yaml is above the directory given',
          );
          expect(moved.stdout).toContain('- prod/bronze delete: manifest removed');
          expect(moved.stdout).not.toContain('copper delete');
          // A root file where a record's folder was (tmp/retail, ENOTDIR) is no file there.
          await writeFiles(tmp, { retail: 'notes\n' });
          const notDir = await run(['plan', 'm']);
          expect(notDir.stderr).not.toMatch(/Error/);
          expect(notDir.code).toBe(0);
          expect(notDir.stdout).toContain('- prod/bronze delete: manifest removed');

          // Applied from the subdirectory again and again: copper's recorded file
          // (retail/web.yaml) is gone, so only gold's record, still loyalty/gold.yaml, tells
          // each plan that the records came from m. Before, the first apply re-pointed it to
          // gold.yaml ("manifest file changed") and the second deleted copper.
          const sub = path.join('m', 'loyalty');
          const heldCopper = 'prod/copper: its manifest ../web.yaml is above the directory given';
          const first = await run(['apply', sub, '--auto-approve']);
          expect(first.code).toBe(0);
          expect(first.stdout).toContain(heldCopper);
          expect(first.stdout).toContain('- prod/bronze delete: manifest removed');
          expect(first.stdout).not.toContain('manifest file');
          const kept = remoteIds(emulator);
          expect(kept.get('Audience copper')).toBe(before.get('Audience copper'));
          expect(kept.has('Audience bronze')).toBe(false);
          const again = await run(['apply', sub, '--auto-approve']);
          expect(again.code).toBe(0);
          expect(again.stdout).toContain(heldCopper);
          expect(again.stdout).not.toMatch(/ (update|delete): /);
          const last = await run(['plan', sub]);
          expect(last.code).toBe(0);
          expect(last.stdout).toContain(heldCopper);
          expect(last.stdout).not.toMatch(/ (update|delete): /);
          expect(remoteIds(emulator)).toEqual(kept);
          const files = async () =>
            new Map((await readState(path.join(tmp, 'state'))).audiences.map((r) => [r.key, r.manifestFile]));
          expect(await files()).toEqual(
            new Map([
              ['gold', 'loyalty/gold.yaml'],
              ['copper', 'retail/web.yaml'],
            ]),
          );
          // From m, only copper's record follows its file; gold's is as recorded.
          const top = await run(['apply', 'm', '--auto-approve']);
          expect(top.code).toBe(0);
          expect(top.stdout).toContain('~ prod/copper update: manifest file changed');
          expect(top.stdout).toContain('Plan: 0 to create, 1 to update, 0 to replace, 0 to delete');
          expect(remoteIds(emulator)).toEqual(kept);
          expect(await files()).toEqual(
            new Map([
              ['gold', 'loyalty/gold.yaml'],
              ['copper', 'web.yaml'],
            ]),
          );
          expect((await run(['plan', 'm'])).stdout).toContain('No changes.');
        });
      });
    },
  );

  it('a saved deletion whose manifest came back outside what the plan read is refused, saying so (review 20b, L1)', async () => {
    await withEmulator({ operationDelayMs: 5, runStageDelayMs: 5 }, async (emulator) => {
      await withTempDir(async (tmp) => {
        const run = await appliedFromM(emulator, tmp, {
          'loyalty/gold.yaml': quiet('gold'),
          'partners/bronze.yaml': quiet('bronze'),
        });
        await rm(path.join(tmp, 'm/loyalty/gold.yaml'));
        const saved = await run([
          'plan',
          'm',
          '--include',
          'loyalty/**',
          '--output',
          'json',
          '--out',
          'd.json',
        ]);
        expect(saved.code).toBe(0);
        await writeFiles(path.join(tmp, 'm'), { 'partners/gold.yaml': quiet('gold') });
        const refused = await run(['apply', 'd.json', '--auto-approve']);
        expect([refused.code, refused.stdout]).toEqual([1, '']);
        // The refusal alone: made under the lock, before any call, so where it would apply is not said.
        expect(refused.stderr).toMatch(/^[^\n]*\n$/);
        expect(refused.stderr).toContain(
          'Error: the plan no longer matches the manifests and state: step prod/gold:delete differs (a manifest of prod/gold was found since it was made where d.json did not read, partners/gold.yaml, which now holds its removal); run plan again\n',
        );
        expect(remoteIds(emulator).has('Audience gold')).toBe(true);
      });
    });
  });
});
