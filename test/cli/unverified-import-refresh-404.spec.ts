import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { emulatorEnv, ManifestDir } from '../helpers/apply-env.js';
import { runCliInProcess } from '../helpers/cli-in-process.js';
import { manifestObject } from '../helpers/manifests.js';
import { colleagueAudience, withEmulator } from '../helpers/with-emulator.js';

// Review 35c, L-2. `state import` without AEP credentials records the id unverified
// (imported.unverified). docs/state.md: before its first PATCH or run the apply reads it, and "an
// id not found (404) or a read that fails fails the step, and the next apply reads it again"; the
// README: "a `plan --refresh` says the same". A refresh instead reads the never-verified id's 404
// as the recorded audience "deleted outside audiencectl" and plans "create it again", counting it
// among the audiences deleted outside; here the id was a typo (the audience the operator meant is
// the colleague's "Audience gold", which the create then runs into).
// Against the emulator over HTTP; the commands run the CLI's entry in this process (cli-in-process.ts).
const made: string[] = [];
afterAll(async () => {
  for (const dir of made) await rm(dir, { recursive: true, force: true });
});

describe('an unverified import whose id names no audience, under --refresh', () => {
  it('is not said deleted outside audiencectl', { timeout: 60_000 }, async () => {
    await withEmulator({}, async (emulator) => {
      const root = await mkdtemp(path.join(tmpdir(), 'review-35c-'));
      made.push(root);
      const dir = new ManifestDir(path.join(root, 'm'));
      const state = path.join(root, 's');
      await dir.write([manifestObject('gold', { ingestion: { onCreate: false } })]);
      colleagueAudience(emulator, { name: 'Audience gold' });
      expect((await runCliInProcess(['init', '--state-only', '--state', state])).code).toBe(0);
      const typo = '11111111-2222-4333-8444-555555555555';
      const imported = await runCliInProcess(
        ['state', 'import', 'gold', dir.dir, '--audience-id', typo, '--state', state, '--sandbox', 'prod'],
        { env: { AEP_CLIENT_ID: undefined, AEP_CLIENT_SECRET: undefined, AEP_ORG_ID: undefined } },
      );
      expect(imported.stdout).toContain('Not verified through the service');
      const plan = await runCliInProcess(['plan', dir.dir, '--state', state, '--refresh'], {
        env: emulatorEnv(emulator),
      });
      expect(plan.stdout.split('\n').filter((line) => line.includes('deleted outside audiencectl'))).toEqual(
        [],
      );
      // Said as the apply says it, the step held: nothing is created in place of an id never known.
      expect(plan.stdout).toContain(
        `audience ${typo} does not exist in sandbox "prod" (the Audiences API answered 404): \`audiencectl state import\` recorded this id for prod/gold without AEP credentials, so it was never verified`,
      );
      expect(plan.stdout).toContain('imported without credentials: the id names no audience (refresh)');
      const applied = await runCliInProcess(
        ['apply', dir.dir, '--state', state, '--refresh', '--auto-approve'],
        {
          env: emulatorEnv(emulator),
        },
      );
      expect(applied.code).toBe(3);
      expect(emulator.control.counters().byEndpoint.createAudience.requests).toBe(0);
      expect(
        emulator.control.listAudiences(emulator.client.orgId, 'prod').map((a) => a.audienceName),
      ).toEqual(['Audience gold']);
    });
  });
});
