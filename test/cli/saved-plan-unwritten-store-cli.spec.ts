import { mkdir, readFile, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { emulatorEnv } from '../helpers/apply-env.js';
import { runCli } from '../helpers/cli.js';
import { manifestYaml } from '../helpers/manifests.js';
import { withEmulator } from '../helpers/with-emulator.js';
import { withTempDir } from '../helpers/cli.js';
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

/** `init` of two stores, `gold` planned against the first and saved; the second's apply of it, counted. */
async function appliedElsewhere(other: (tmp: string) => Promise<string>) {
  return withEmulator({ operationDelayMs: 5, runStageDelayMs: 5 }, (emulator) =>
    withTempDir(async (tmp) => {
      const options = { env: emulatorEnv(emulator, { AEP_SANDBOX: 'prod' }), cwd: tmp };
      const aud = path.join(tmp, 'aud');
      await mkdir(aud);
      await writeFile(path.join(aud, 'gold.yaml'), manifestYaml('gold', { ingestion: { onCreate: false } }));
      const otherStore = await other(tmp);
      for (const store of ['team-store', otherStore]) {
        const init = await runCli(['init', '--state', store], options);
        expect(init.code, init.stderr).toBe(0);
      }
      const planned = await runCli(
        ['plan', aud, '--state', 'team-store', '--output', 'json', '--out', 'plan.json'],
        options,
      );
      expect(planned.code, planned.stderr).toBe(0);
      const saved = JSON.parse(await readFile(path.join(tmp, 'plan.json'), 'utf8')) as {
        steps: Array<{ kind: string }>;
      };
      expect(saved.steps.map((s) => s.kind)).toEqual(['create']);
      emulator.control.resetCounters();
      const applied = await runCli(['apply', 'plan.json', '--state', otherStore, '--auto-approve'], options);
      return { applied, requests: emulator.control.counters().requests };
    }),
  );
}

describe('apply of a plan saved against a store never written', { timeout: 60_000 }, () => {
  it('refuses it on another PostgreSQL store never written, before any call', async () => {
    const { applied, requests } = await appliedElsewhere(() => postgres.freshLocation());
    expect(applied.stderr).toMatch(/^Error: plan\.json was made for another state/m);
    expect(applied.code).toBe(1);
    expect(requests).toBe(0);
  });

  it('refuses it on another store never written, before any call', async () => {
    await withEmulator({ operationDelayMs: 5, runStageDelayMs: 5 }, async (emulator) => {
      await withTempDir(async (tmp) => {
        const options = { env: emulatorEnv(emulator, { AEP_SANDBOX: 'prod' }), cwd: tmp };
        const aud = path.join(tmp, 'aud');
        await mkdir(aud);
        await writeFile(
          path.join(aud, 'gold.yaml'),
          manifestYaml('gold', { ingestion: { onCreate: false } }),
        );
        for (const store of ['team-store', 'other-store']) {
          const init = await runCli(['init', '--state', store], options);
          expect(init.code, init.stderr).toBe(0);
        }
        const planned = await runCli(
          ['plan', aud, '--state', 'team-store', '--output', 'json', '--out', 'plan.json'],
          options,
        );
        expect(planned.code, planned.stderr).toBe(0);
        const saved = JSON.parse(await readFile(path.join(tmp, 'plan.json'), 'utf8')) as {
          steps: Array<{ kind: string }>;
        };
        expect(saved.steps.map((s) => s.kind)).toEqual(['create']);

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
      });
    });
  });
});
