import { mkdir, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { DEMO_CLIENT } from '../../src/emulator/index.js';
import { readState } from '../../src/state/read.js';
import { applyInProcess } from '../apply/helpers/in-process.js';
import { emulatorEnv } from '../helpers/apply-env.js';
import { withTempDir } from '../helpers/cli.js';
import { runCliInProcess } from '../helpers/cli-in-process.js';
import { manifestYaml } from '../helpers/manifests.js';
import { withEmulator } from '../helpers/with-emulator.js';

// REVIEW-37c M-2: a colleague deactivates a managed audience in the AEP UI (lifecycleState
// inactive: it leaves the lists, destinations stop using it). `plan --refresh` read it back
// through the Audiences API and said the audiences matched the manifests, "0 changed ...
// outside audiencectl". The refresh now names it as drift; no API call can reactivate it, so
// its step is blocked for a person, and nothing is created, deleted or run for it. Under both
// readings of bulk-get (inactive audiences included, or left out and looked up one by one).

const modes = [
  { name: 'bulk-get includes inactive audiences', bulkGetInactive: 'included' },
  { name: 'bulk-get leaves inactive audiences out', bulkGetInactive: 'omitted' },
] as const;

describe.each(modes)('plan --refresh of an audience deactivated in the UI ($name)', ({ bulkGetInactive }) => {
  it('says the audience was deactivated outside audiencectl, and creates, deletes and runs nothing', async () => {
    await withEmulator({ operationDelayMs: 10, compat: { bulkGetInactive } }, async (emulator) => {
      await withTempDir(async (tmp) => {
        const dir = path.join(tmp, 'm');
        const state = path.join(tmp, 'state');
        await mkdir(dir);
        await mkdir(state);
        const manifests = { 'gold.yaml': manifestYaml('gold', { ingestion: { onCreate: false } }) };
        await writeFile(path.join(dir, 'gold.yaml'), manifests['gold.yaml']);
        await applyInProcess(emulator, state, manifests);
        const id = (await readState(state)).audiences.find((r) => r.key === 'gold')?.audienceId ?? '';
        emulator.control.uiEditAudience(DEMO_CLIENT.orgId, 'prod', id, { lifecycleState: 'inactive' });

        const planned = await runCliInProcess(['plan', dir, '--state', state, '--refresh'], {
          env: emulatorEnv(emulator),
        });
        expect(planned.code).toBe(0);
        expect(planned.stdout).toContain('inactive');
        expect(planned.stdout).toContain(
          '0 deleted, 0 changed, 0 renamed, 1 deactivated outside audiencectl.',
        );
        expect(planned.stdout).toContain(
          `audience ${id} was deactivated outside audiencectl (lifecycleState "inactive")`,
        );
        expect(planned.stdout).not.toContain('No changes.');

        const json = await runCliInProcess(['plan', dir, '--state', state, '--refresh', '--output', 'json'], {
          env: emulatorEnv(emulator),
        });
        const plan = JSON.parse(json.stdout) as {
          steps: Array<{ kind: string; key: string; blocked?: string }>;
          refresh: { drifted: Array<{ key: string; kind: string }> };
        };
        expect(plan.refresh.drifted.map((d) => `${d.key} ${d.kind}`)).toEqual(['gold deactivated']);
        expect(
          plan.steps.map((s) => `${s.kind} ${s.key} ${s.blocked === undefined ? 'open' : 'blocked'}`),
        ).toEqual(['update gold blocked']);

        const applied = await runCliInProcess(
          ['apply', dir, '--state', state, '--refresh', '--auto-approve'],
          {
            env: emulatorEnv(emulator),
          },
        );
        expect(applied.code).toBe(3);
        expect(applied.stdout + applied.stderr).toContain('deactivated outside audiencectl');
        const names = emulator.control
          .listAudiences(DEMO_CLIENT.orgId, 'prod')
          .map((a) => `${a.audienceName} ${a.audienceId === id ? 'recorded' : 'another'}`);
        expect(names).toEqual(['Audience gold recorded']);
        expect(emulator.control.listRuns(DEMO_CLIENT.orgId, 'prod')).toEqual([]);
        expect((await readState(state)).audiences.map((r) => `${r.key} ${r.audienceId}`)).toEqual([
          `gold ${id}`,
        ]);
      });
    });
  });
});
