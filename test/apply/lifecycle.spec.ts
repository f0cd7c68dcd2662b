import { mkdir, readFile, writeFile } from 'node:fs/promises';
import path from 'node:path';
import type { Plan } from '../../src/plan/schema.js';
import { describe, expect, it } from 'vitest';
import { DEMO_CLIENT } from '../../src/emulator/index.js';
import { readState } from '../../src/state/read.js';
import { apply, emulatorEnv, expectRemoteMatches, ManifestDir, remoteByName } from '../helpers/apply-env.js';
import { runCli, withTempDir } from '../helpers/cli.js';
import { runCliInProcess } from '../helpers/cli-in-process.js';
import { manifestObject } from '../helpers/manifests.js';
import { withEmulator } from '../helpers/with-emulator.js';

describe('apply, end to end through the CLI against the emulator', () => {
  it('create, first run, PATCH, replace (blocked, then allowed), requested run, delete, then an empty plan', async () => {
    await withEmulator({ operationDelayMs: 20, runStageDelayMs: 20 }, async (emulator) => {
      await withTempDir(async (tmp) => {
        const manifests = new ManifestDir(path.join(tmp, 'audiences'));
        const state = path.join(tmp, 'state');
        await mkdir(state);
        const env = emulatorEnv(emulator);
        const runsOf = (name: string) => {
          const audience = remoteByName(emulator).get(name)!;
          return emulator.control.listRuns(DEMO_CLIENT.orgId, 'prod', audience.audienceId);
        };

        let gold = manifestObject('gold');
        const silver = manifestObject('silver', { ingestion: { onCreate: false } });

        // 1. create: two audiences; gold gets its first run, silver none.
        await manifests.write([gold, silver]);
        let result = await apply(manifests.dir, state, env);
        expect(result.stdout).toContain('Apply: 3 applied');
        expect(result.code).toBe(0);
        expectRemoteMatches(emulator, [gold, silver], expect);
        expect(runsOf('Audience gold').map((r) => r.status)).toEqual(['SUCCESS']);
        expect(runsOf('Audience silver')).toEqual([]);
        const goldId = remoteByName(emulator).get('Audience gold')!.audienceId;

        // 2. PATCH: description, audience labels, field labels and TTL, on the same audience.
        gold = manifestObject('gold', {
          spec: {
            description: 'Gold, edited',
            labels: ['core/C1', 'core/C5'],
            ttlInDays: 60,
            fields: [
              { name: 'email', type: 'string', identityNs: 'email' },
              { name: 'tier', type: 'string', labels: ['core/C3'] },
            ],
          },
        });
        await manifests.write([gold, silver]);
        emulator.control.resetCounters();
        result = await apply(manifests.dir, state, env);
        expect(result.code).toBe(0);
        expect(result.stdout).toMatch(
          /ok\s+prod\/gold update: patched description, ttlInDays, labels, fields/,
        );
        expectRemoteMatches(emulator, [gold, silver], expect);
        expect(remoteByName(emulator).get('Audience gold')!.audienceId).toBe(goldId);
        expect(emulator.control.counters().byEndpoint.patchAudience.requests).toBe(1);

        // 3. A new name forces replacement: blocked by default (exit 3), nothing changes.
        const renamed = manifestObject('silver', {
          spec: { name: 'Silver renamed' },
          ingestion: { onCreate: false },
        });
        await manifests.write([gold, renamed]);
        result = await apply(manifests.dir, state, env);
        expect(result.code).toBe(3);
        expect(result.stdout).toMatch(
          /blocked\s+prod\/silver replace: replacement needs metadata.allowReplace/,
        );
        expectRemoteMatches(emulator, [gold, silver], expect);
        // ... and allowed with --allow-replace.
        result = await apply(manifests.dir, state, env, '--allow-replace');
        expect(result.code).toBe(0);
        expectRemoteMatches(emulator, [gold, renamed], expect);

        // 4. Changing ingestion.request starts exactly one more run.
        gold = { ...gold, ingestion: { request: 'again' } };
        await manifests.write([gold, renamed]);
        result = await apply(manifests.dir, state, env);
        expect(result.code).toBe(0);
        expect(runsOf('Audience gold')).toHaveLength(2);
        result = await apply(manifests.dir, state, env);
        expect(result.stdout).toContain('No changes.');
        expect(runsOf('Audience gold')).toHaveLength(2);

        // 5. Removing a manifest deletes its audience.
        await manifests.write([gold]);
        result = await apply(manifests.dir, state, env);
        expect(result.code).toBe(0);
        expectRemoteMatches(emulator, [gold], expect);

        // 6. In sync: the plan is empty, and applying costs no API call.
        emulator.control.resetCounters();
        const planned = await runCli(['plan', manifests.dir, '--state', state]);
        expect(planned).toMatchObject({
          code: 0,
          stdout: 'No changes. The audiences match the manifests.\n',
        });
        result = await apply(manifests.dir, state, env);
        expect(result.code).toBe(0);
        expect(emulator.control.counters().requests).toBe(0);
        expect((await readState(state)).audiences.map((a) => a.key)).toEqual(['gold']);
      });
    });
  });

  it('applies a saved plan, and refuses it once the state has moved', async () => {
    await withEmulator({ operationDelayMs: 10, runStageDelayMs: 10 }, async (emulator) => {
      await withTempDir(async (tmp) => {
        const manifests = new ManifestDir(path.join(tmp, 'm'));
        const state = path.join(tmp, 'state');
        await mkdir(state);
        const env = emulatorEnv(emulator);
        await manifests.write([manifestObject('gold', { ingestion: { onCreate: false } })]);
        const planFile = path.join(tmp, 'plan.json');
        expect(
          (
            await runCliInProcess([
              'plan',
              manifests.dir,
              '--state',
              state,
              '--output',
              'json',
              '--out',
              planFile,
            ])
          ).code,
        ).toBe(0);
        const stale = path.join(tmp, 'stale.json');
        expect(
          (
            await runCliInProcess([
              'plan',
              manifests.dir,
              '--state',
              state,
              '--output',
              'json',
              '--out',
              stale,
            ])
          ).code,
        ).toBe(0);

        // Edited after review: refused, nothing sent.
        const saved = JSON.parse(await readFile(planFile, 'utf8')) as Plan;
        saved.steps[0]!.create!.description = 'TAMPERED';
        const tampered = path.join(tmp, 'tampered.json');
        await writeFile(tampered, JSON.stringify(saved));
        const refusedEdit = await runCliInProcess(['apply', tampered, '--state', state, '--auto-approve'], {
          env,
        });
        expect(refusedEdit.code).toBe(1);
        expect(refusedEdit.stderr).toContain(
          `the plan no longer matches the manifests and state: step prod/gold:create differs (${tampered} was made by another audiencectl version, or edited since: its steps are not those planned again from the same manifests and state)`,
        );
        expect(refusedEdit.stderr).not.toMatch(/\n\s+at /);
        // Not a plan at all.
        const invalid = path.join(tmp, 'invalid.json');
        await writeFile(invalid, '{"formatVersion": 1, "steps": "none"}');
        const refusedInvalid = await runCliInProcess(['apply', invalid, '--state', state, '--auto-approve'], {
          env,
        });
        expect(refusedInvalid.code).toBe(1);
        expect(refusedInvalid.stderr).toContain(
          `${invalid} is not a plan saved with \`plan --output json --out\`: state is missing (edited since, or saved by another audiencectl version)\n`,
        );
        expect(refusedInvalid.stderr).not.toMatch(/\n\s+at /);
        expect(emulator.control.counters().requests).toBe(0);

        const applied = await runCliInProcess(['apply', planFile, '--state', state, '--auto-approve'], {
          env,
        });
        expect(applied.code).toBe(0);
        expect(remoteByName(emulator).size).toBe(1);

        const refused = await runCliInProcess(['apply', stale, '--state', state, '--auto-approve'], { env });
        expect(refused.code).toBe(1);
        expect(refused.stderr).toMatch(
          /stale\.json is stale: the state changed since it was made \(serial 0, now \d+\); run plan again/,
        );
        expect(remoteByName(emulator).size).toBe(1);
      });
    });
  });
});
