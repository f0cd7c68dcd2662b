import { mkdir, rm } from 'node:fs/promises';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import type { CompatSettings } from '../../src/emulator/index.js';
import { readState } from '../../src/state/read.js';
import { applyInProcess, files } from '../apply/helpers/in-process.js';
import { emulatorEnv } from '../helpers/apply-env.js';
import { reply, startAlteringProxy } from '../helpers/altering-proxy.js';
import { runCli, withTempDir, writeFiles } from '../helpers/cli.js';
import { runCliInProcess } from '../helpers/cli-in-process.js';
import { withEmulator, type TestEmulator } from '../helpers/with-emulator.js';

/**
 * The Audiences API page: "Without query parameters inactive audiences are left out; filtering
 * with property=audienceId==… returns them too." Against a service that reads it narrowly
 * (`listInactive: audienceId`: a `property=name==…` lookup leaves them out), an audience
 * deactivated in the UI was never discovered, and lost state could not be rebuilt for it.
 */
type Setup = { emulator: TestEmulator; dir: string; state: string; ids: Map<string, string | undefined> };

async function withLostState(compat: CompatSettings, fn: (setup: Setup) => Promise<void>): Promise<void> {
  await withEmulator({ admin: true, compat, operationDelayMs: 10 }, async (emulator) => {
    await withTempDir(async (tmp) => {
      const dir = path.join(tmp, 'm');
      const state = path.join(tmp, 'state');
      const manifests = files(['gold', 'silver']);
      await applyInProcess(emulator, state, manifests);
      const ids = new Map((await readState(state)).audiences.map((r) => [r.key, r.audienceId]));
      // Deactivated "in the UI", through the admin route.
      const edit = await fetch(`${emulator.url}/_emulator/audiences/${ids.get('silver')}?sandbox=prod`, {
        method: 'PATCH',
        headers: { 'content-type': 'application/json' },
        body: JSON.stringify({ lifecycleState: 'inactive' }),
      });
      expect(edit.status).toBe(200);
      await rm(state, { recursive: true, force: true });
      await mkdir(state);
      await writeFiles(dir, manifests);
      emulator.control.resetCounters();
      await fn({ emulator, dir, state, ids });
    });
  });
}

const lists = (emulator: TestEmulator) =>
  emulator.control
    .requestLog()
    .filter((entry) => entry.endpoint === 'listAudiences')
    .map((entry) => entry.status);

describe('state import --discover finds an audience deactivated in the UI', () => {
  it('whichever way the service reads the page: found once, recorded (the built CLI)', async () => {
    await withLostState({ listInactive: 'property' }, async ({ emulator, dir, state, ids }) => {
      const env = emulatorEnv(emulator);
      // Name lookups that return inactive audiences too: the inactive list finds it again,
      // merged by id (not ambiguous).
      const dry = await runCliInProcess(
        ['state', 'import', '--discover', dir, '--state', state, '--dry-run'],
        {
          env,
        },
      );
      expect(dry.code).toBe(0);
      expect(dry.stdout).toMatch(new RegExp(`prod/silver\\s+matched\\s+${ids.get('silver')}`));
      const firstLists = lists(emulator);

      // Name lookups that leave them out: only the inactive list finds it.
      emulator.control.updateSettings({ compat: { listInactive: 'audienceId' } });
      emulator.control.resetCounters();
      const discovered = await runCli(['state', 'import', '--discover', dir, '--state', state], { env });
      expect(discovered.stderr).toBe('');
      expect(discovered.code).toBe(0);
      expect(discovered.stdout).toMatch(new RegExp(`prod/silver\\s+matched\\s+${ids.get('silver')}`));
      expect(discovered.stdout).toMatch(new RegExp(`prod/gold\\s+matched\\s+${ids.get('gold')}`));
      const after = new Map((await readState(state)).audiences.map((r) => [r.key, r.audienceId]));
      expect(after).toEqual(ids);
      // Each time: one name lookup per manifest, and one list of the sandbox's inactive audiences.
      expect(firstLists).toEqual([200, 200, 200]);
      expect(lists(emulator)).toEqual([200, 200, 200]);
    });
  });

  it('a service that refuses the lifecycleState filter: discovery goes on and says what it could not see', async () => {
    await withLostState({ listInactive: 'audienceId' }, async ({ emulator, dir, state, ids }) => {
      const proxy = await startAlteringProxy(emulator.url);
      try {
        proxy.alter(({ path: at, query }) =>
          at.endsWith('/audiences') && query.getAll('property').includes('lifecycleState==inactive')
            ? reply(400, { title: 'BAD_REQUEST', status: 400, detail: 'Unknown property lifecycleState' })
            : undefined,
        );
        const env = { ...emulatorEnv(emulator), AEP_BASE_URL: `${proxy.url}/data/core/ais` };
        const result = await runCliInProcess(['state', 'import', '--discover', dir, '--state', state], {
          env,
        });
        expect(result.code).toBe(0);
        expect(result.stdout).toMatch(new RegExp(`prod/gold\\s+matched\\s+${ids.get('gold')}`));
        expect(result.stdout).toMatch(
          /prod\/silver\s+missing\s+-\s+no audience of that name \(inactive ones not listed\)/,
        );
        expect(result.stderr).toMatch(
          /^Warning: the service would not list the inactive audiences of sandbox "prod" \(property=lifecycleState==inactive: .*Unknown property lifecycleState.*\); an audience deactivated in the UI shows as missing: import it with audiencectl state import KEY \S+ --sandbox prod --audience-id AUDIENCE_ID --state \S+\n$/,
        );
        expect((await readState(state)).audiences.map((r) => r.key)).toEqual(['gold']);
      } finally {
        await proxy.close();
      }
    });
  });
});
