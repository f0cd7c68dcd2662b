import { mkdir, rename, rm, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { emulatorEnv } from '../helpers/apply-env.js';
import { runCli, withTempDir } from '../helpers/cli.js';
import { runCliInProcess } from '../helpers/cli-in-process.js';
import { quiet } from '../helpers/held-elsewhere-env.js';
import { audienceNames } from '../helpers/work-tree.js';
import { withEmulator } from '../helpers/with-emulator.js';

type JsonPlan = { summary: { delete: number }; held?: { key: string }[] };

/**
 * Review 34b, H-1. "Only a removed manifest deletes" (README, Commands): after `apply teams/mkt`,
 * "a path typo or a second team sharing the store (`audiencectl apply teams/web`) ... holds
 * prod/a". Outside a git work tree that holds only while teams/mkt still exists on the machine
 * that plans. Once it is not there (moved, renamed, not mounted in the other team's container, a
 * CI job's artifact of another path), a plan of another directory reads every one of its records
 * as a removed manifest: `- prod/gold delete: manifest removed`, and apply deletes them (two
 * audiences: under the default --max-deletes of 5). The same store planned from a git work tree
 * holds them ("git could not be asked whether this work tree removed it ... apply ... with
 * --allow-empty-source").
 */
describe('records applied from a directory outside git that is no longer there', () => {
  it('are held, not deleted, by a plan and an apply of another directory', async () => {
    await withEmulator({ operationDelayMs: 10 }, async (emulator) => {
      await withTempDir(async (tmp) => {
        const mkt = path.join(tmp, 'mkt');
        const web = path.join(tmp, 'web');
        const state = path.join(tmp, 'st');
        await mkdir(mkt);
        await mkdir(web);
        await mkdir(state);
        for (const key of ['gold', 'silver']) await writeFile(path.join(mkt, `${key}.yaml`), quiet(key));
        await writeFile(path.join(web, 'bronze.yaml'), quiet('bronze'));
        const env = emulatorEnv(emulator);
        // The premise, applied by the CLI's entry in this process; the plan and apply of web are spawned.
        const first = await runCliInProcess(['apply', mkt, '--state', state, '--auto-approve'], { env });
        expect(first.code).toBe(0);
        expect(emulator.control.listAudiences(emulator.client.orgId, 'prod')).toHaveLength(2);

        // The marketing team's directory is not on this machine any more (nothing was removed).
        await rename(mkt, path.join(tmp, 'mkt-elsewhere'));

        const planned = await runCli(['plan', web, '--state', state, '--output', 'json'], { env });
        expect(planned.code).toBe(0);
        const plan = JSON.parse(planned.stdout) as JsonPlan;
        // On main: 2 (prod/gold and prod/silver, "manifest removed").
        expect(plan.summary.delete).toBe(0);
        expect((plan.held ?? []).map((h) => h.key).sort()).toEqual(['gold', 'silver']);

        const applied = await runCli(['apply', web, '--state', state, '--auto-approve'], { env });
        expect(applied.stdout).not.toContain('delete: deleted');
        const names = emulator.control
          .listAudiences(emulator.client.orgId, 'prod')
          .map((a) => a.audienceName)
          .sort();
        expect(names).toEqual(['Audience bronze', 'Audience gold', 'Audience silver']);
      });
    });
  });
});

/** The reason a plan outside git holds `prod/<key>`, applied from `dir` (absolute), whose file is gone there. */
const goneHeld = (key: string, dir: string) =>
  `prod/${key}: it was applied from ${dir}, where its file ${dir}/${key}.yaml is gone, and this plan's directory is not in a git work tree, so nothing shows that it removed it (another directory's audience, sharing the store: one no longer on this machine, or another team's); the audience is left as it is: to delete it, apply the directories audiences of ${dir} moved to, if any, then ${dir} with --allow-empty-source (made again, empty, if it is gone)`;

describe('outside git, what another directory applied holds, and what still deletes', () => {
  it("says why it holds them, and the way out it prints deletes them; the directory given's own removal deletes", async () => {
    await withEmulator({ operationDelayMs: 10 }, async (emulator) => {
      await withTempDir(async (tmp) => {
        const mkt = path.join(tmp, 'mkt');
        const web = path.join(tmp, 'web');
        const state = path.join(tmp, 'st');
        await mkdir(mkt);
        await mkdir(web);
        for (const key of ['gold', 'silver']) await writeFile(path.join(mkt, `${key}.yaml`), quiet(key));
        for (const key of ['bronze', 'tin']) await writeFile(path.join(web, `${key}.yaml`), quiet(key));
        await mkdir(state);
        const env = emulatorEnv(emulator);
        const cli = (dir: string, ...more: string[]) =>
          runCli(['apply', dir, '--state', state, '--auto-approve', ...more], { env });
        // The premises (both directories applied) by the CLI's entry in this process.
        const premise = (dir: string) =>
          runCliInProcess(['apply', dir, '--state', state, '--auto-approve'], { env });
        expect((await premise(mkt)).code).toBe(0);
        expect((await premise(web)).code).toBe(0);
        await rm(mkt, { recursive: true });

        // web's own removal deletes; mkt's audiences are held, each with why and the way out.
        await rm(path.join(web, 'tin.yaml'));
        const fromWeb = await cli(web);
        expect(fromWeb.code, fromWeb.stderr).toBe(0);
        expect(fromWeb.stdout).toMatch(/ok\s+prod\/tin delete: deleted/);
        expect(fromWeb.stdout).toContain(goneHeld('gold', mkt));
        expect(fromWeb.stdout).toContain(goneHeld('silver', mkt));
        expect(audienceNames(emulator)).toEqual(['Audience bronze', 'Audience gold', 'Audience silver']);

        // The way out: mkt made again, empty, applied with --allow-empty-source.
        await mkdir(mkt);
        const refused = await cli(mkt);
        expect(refused.code).toBe(3);
        expect(refused.stdout).toContain(
          'blocked  prod/gold delete: the source yielded no manifests while 2 audience(s) are managed; refusing to remove them all (pass --allow-empty-source if that is intended)',
        );
        expect(audienceNames(emulator)).toEqual(['Audience bronze', 'Audience gold', 'Audience silver']);
        const emptied = await cli(mkt, '--allow-empty-source');
        expect(emptied.code, emptied.stderr).toBe(0);
        expect(emptied.stdout).toMatch(/ok\s+prod\/gold delete: deleted/);
        expect(emptied.stdout).toMatch(/ok\s+prod\/silver delete: deleted/);
        expect(audienceNames(emulator)).toEqual(['Audience bronze']);
      });
    });
  });

  it('a directory emptied (every manifest removed, the directory kept) is not deleted by a plan of another', async () => {
    await withEmulator({ operationDelayMs: 10 }, async (emulator) => {
      await withTempDir(async (tmp) => {
        const mkt = path.join(tmp, 'mkt');
        const web = path.join(tmp, 'web');
        const state = path.join(tmp, 'st');
        await mkdir(mkt);
        await mkdir(web);
        for (const key of ['gold', 'silver']) await writeFile(path.join(mkt, `${key}.yaml`), quiet(key));
        await writeFile(path.join(web, 'bronze.yaml'), quiet('bronze'));
        await mkdir(state);
        const env = emulatorEnv(emulator);
        const cli = (dir: string, ...more: string[]) =>
          runCli(['apply', dir, '--state', state, '--auto-approve', ...more], { env });
        // The premise by the CLI's entry in this process; the apply of web is spawned.
        expect(
          (await runCliInProcess(['apply', mkt, '--state', state, '--auto-approve'], { env })).code,
        ).toBe(0);
        await rm(path.join(mkt, 'gold.yaml'));
        await rm(path.join(mkt, 'silver.yaml'));

        const fromWeb = await cli(web);
        expect(fromWeb.code, fromWeb.stderr).toBe(0);
        expect(fromWeb.stdout).not.toContain('delete: deleted');
        expect(fromWeb.stdout).toContain(goneHeld('gold', mkt));
        expect(fromWeb.stdout).toContain(goneHeld('silver', mkt));
        expect(audienceNames(emulator)).toEqual(['Audience bronze', 'Audience gold', 'Audience silver']);
      });
    });
  });

  it("a copy of the directory at a new path (a CI job's own) deletes a manifest removed from it", async () => {
    await withEmulator({ operationDelayMs: 10 }, async (emulator) => {
      await withTempDir(async (tmp) => {
        const job1 = path.join(tmp, 'job1', 'm');
        const job2 = path.join(tmp, 'job2', 'm');
        const state = path.join(tmp, 'st');
        await mkdir(job1, { recursive: true });
        for (const key of ['gold', 'silver']) await writeFile(path.join(job1, `${key}.yaml`), quiet(key));
        await mkdir(state);
        const env = emulatorEnv(emulator);
        // The first job's apply (the premise) by the CLI's entry in this process.
        expect(
          (await runCliInProcess(['apply', job1, '--state', state, '--auto-approve'], { env })).code,
        ).toBe(0);
        // The next job's checkout, at its own path, with silver removed; the first job's is gone.
        await mkdir(job2, { recursive: true });
        await rename(path.join(job1, 'gold.yaml'), path.join(job2, 'gold.yaml'));
        await rm(path.join(tmp, 'job1'), { recursive: true });

        const next = await runCli(['apply', job2, '--state', state, '--auto-approve'], { env });
        expect(next.code, next.stderr).toBe(0);
        expect(next.stdout).toMatch(/ok\s+prod\/silver delete: deleted/);
        expect(audienceNames(emulator)).toEqual(['Audience gold']);
      });
    });
  });
});
