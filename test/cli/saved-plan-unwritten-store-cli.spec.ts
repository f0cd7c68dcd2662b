import { symlink } from 'node:fs/promises';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { runCli } from '../helpers/cli.js';
import { withSavedPlan } from '../helpers/saved-plan.js';
import { usePostgres } from '../state/pg.js';

// Review 38p, F1. The first plan of a project is made against a store `init` created and
// nothing wrote yet: no lineage, serial 0. Saved with `plan --out`, it was applied to ANY other
// store never written either (another job's default `.audiencectl-state`, the dev store, a
// mistyped --state): lineage, serial and the records' digest all agree with an empty store. The
// apply created the audiences and recorded them there, not in the store the plan was made
// against, whose next apply created them again. The plan now records where that store is
// (origin.store), and the apply refuses another. The built CLI, the emulator over HTTP, the
// directory store and PostgreSQL.

const postgres = usePostgres();

describe('apply of a plan saved against a store never written', { timeout: 60_000 }, () => {
  it('refuses it on another PostgreSQL store never written, before any call', async () => {
    const other = await postgres.freshLocation();
    await withSavedPlan(
      'team-store',
      async (emulator, options) => {
        emulator.control.resetCounters();
        const applied = await runCli(['apply', 'plan.json', '--state', other, '--auto-approve'], options);
        expect(applied.stderr).toMatch(/^Error: plan\.json was made for another state/m);
        expect(applied.code).toBe(1);
        expect(emulator.control.counters().requests).toBe(0);
      },
      { init: ['team-store', other] },
    );
  });

  it('refuses it on another store never written, before any call', async () => {
    await withSavedPlan(
      'team-store',
      async (emulator, options) => {
        emulator.control.resetCounters();
        const applied = await runCli(
          ['apply', 'plan.json', '--state', 'other-store', '--auto-approve'],
          options,
        );
        expect(applied.stderr).toMatch(/^Error: plan\.json was made for another state/m);
        expect(applied.code).toBe(1);
        expect(emulator.control.counters().requests).toBe(0);

        // The store it was made against takes it.
        const own = await runCli(['apply', 'plan.json', '--state', 'team-store', '--auto-approve'], options);
        expect(own.code, own.stdout + own.stderr).toBe(0);
        expect(own.stdout).toMatch(/^ok +prod\/gold create: /m);
      },
      { init: ['team-store', 'other-store'] },
    );
  });

  // Found by the sixtieth pass's verification: a plan made through the manifest cache (the
  // default; the store read through its snapshot) recorded where the store is but not what it
  // is (origin.storeIdentity), so the same store by another spelling was refused, where the
  // plan made with the cache off was taken. Both take it now.
  it.each([
    ['on (the default)', {}],
    ['off', { AUDIENCECTL_MANIFEST_CACHE: 'off' }],
  ])('takes it on the same store by another spelling, the manifest cache %s', async (_, env) => {
    await withSavedPlan(
      'team-store',
      async (emulator, options) => {
        await symlink('team-store', path.join(options.cwd, 'team-link'));
        const applied = await runCli(
          ['apply', 'plan.json', '--state', 'team-link', '--auto-approve'],
          options,
        );
        expect(applied.code, applied.stdout + applied.stderr).toBe(0);
        expect(applied.stdout).toMatch(/^ok +prod\/gold create: /m);
        expect(emulator.control.counters().requests).toBeGreaterThan(0);
      },
      { init: ['team-store'], env },
    );
  });
});
