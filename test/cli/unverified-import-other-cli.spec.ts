import { mkdir, rm, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { emulatorEnv, NO_AEP_CREDENTIALS } from '../helpers/apply-env.js';
import { runCli, withTempDir } from '../helpers/cli.js';
import { manifestYaml } from '../helpers/manifests.js';
import { withEmulator, type TestEmulator, colleagueAudience } from '../helpers/with-emulator.js';

/**
 * Review 34b, M-2. `state import gold aud/ --audience-id <id>` without AEP credentials (a
 * person's laptop; the README's own example has no --config) records the id "not verified",
 * with the manifest's name as `imported.name`. One character off, the id names a colleague's
 * audience. The next apply, which has credentials, PATCHed that audience to gold's manifest
 * (description, labels, TTL, field labels: data-usage labels included) and reported
 * `ok prod/gold update`. The first call with credentials now checks what the import could not,
 * once: a right id is PATCHed and the mark goes; a wrong one is blocked, nothing sent to it.
 */

type Story = { dir: string; state: string; emulator: TestEmulator; platinum: string; gold: string };

/** gold's manifest, a colleague's "Audience platinum" and gold's own audience made in the UI. */
async function story(fn: (story: Story) => Promise<void>): Promise<void> {
  await withEmulator({ operationDelayMs: 10 }, async (emulator) => {
    await withTempDir(async (tmp) => {
      const dir = path.join(tmp, 'm');
      const state = path.join(tmp, 'st');
      await mkdir(dir);
      await mkdir(state);
      await writeFile(
        path.join(dir, 'gold.yaml'),
        manifestYaml('gold', { spec: { description: 'Gold tier' }, ingestion: { onCreate: false } }),
      );
      const ui = (name: string, description: string) => colleagueAudience(emulator, { name, description }).id;
      const platinum = ui('Audience platinum', 'Platinum tier (colleague)');
      const gold = ui('Audience gold', 'Gold tier, made in the UI');
      await fn({ dir, state, emulator, platinum, gold });
    });
  });
}

async function importUnverified({ dir, state }: Story, id: string): Promise<void> {
  const imported = await runCli(['state', 'import', 'gold', dir, '--state', state, '--audience-id', id], {
    env: NO_AEP_CREDENTIALS,
  });
  expect(imported.code).toBe(0);
  expect(imported.stdout).toContain('Not verified through the service');
}

function calls({ emulator }: Story, endpoint: string): number {
  return emulator.control.requestLog().filter((entry) => entry.endpoint === endpoint).length;
}

/** `imported` of what `state show` printed. */
function importedOf(shown: string): Record<string, unknown> {
  return (JSON.parse(shown) as { imported: Record<string, unknown> }).imported;
}

function descriptionOf({ emulator }: Story, id: string): string | undefined {
  return emulator.control.listAudiences(emulator.client.orgId, 'prod').find((a) => a.audienceId === id)
    ?.description;
}

describe('an import nobody could verify, of an id that names another audience', () => {
  it('is checked by the first apply with credentials before it PATCHes that audience', async () => {
    await story(async (s) => {
      await importUnverified(s, s.platinum);

      const applied = await runCli(['apply', s.dir, '--state', s.state, '--auto-approve'], {
        env: emulatorEnv(s.emulator),
      });
      // On main: "ok       prod/gold update: patched description, …", exit 0.
      expect(applied.stdout).not.toContain('ok       prod/gold update');
      expect(applied.code).toBe(3);
      expect(applied.stdout).toContain(
        `blocked  prod/gold update: not PATCHed: audience ${s.platinum} is named "Audience platinum", not "Audience gold" (another audience, left as it is): \`audiencectl state import\` recorded this id for prod/gold without AEP credentials, so it was never verified; point the key at its own audience: \`audiencectl state import gold ${s.dir} --sandbox prod --audience-id AUDIENCE_ID --state ${s.state} --force\` (AUDIENCE_ID: its id in AEP), or run \`audiencectl state forget gold --sandbox prod --state ${s.state}\` to create the manifest's audience anew`,
      );
      expect(calls(s, 'patchAudience')).toBe(0);
      // On main: "Gold tier".
      expect(descriptionOf(s, s.platinum)).toBe('Platinum tier (colleague)');

      // Checked again by every apply until it is repaired: still nothing sent.
      const again = await runCli(['apply', s.dir, '--state', s.state, '--auto-approve'], {
        env: emulatorEnv(s.emulator),
      });
      expect(again.code).toBe(3);
      expect(calls(s, 'patchAudience')).toBe(0);

      // A refreshed plan reads the audience, and says the same.
      const plan = await runCli(['plan', s.dir, '--state', s.state, '--refresh'], {
        env: emulatorEnv(s.emulator),
      });
      expect(plan.stdout).toContain(
        `audience ${s.platinum} is named "Audience platinum", not "Audience gold"`,
      );
      expect(plan.stdout).toContain('imported without credentials: the id names another audience (refresh)');
    });
  });

  it('is not deleted with its manifest before any apply, the name it was imported as compared', async () => {
    await story(async (s) => {
      await importUnverified(s, s.platinum);
      await rm(path.join(s.dir, 'gold.yaml'));
      await writeFile(
        path.join(s.dir, 'silver.yaml'),
        manifestYaml('silver', { ingestion: { onCreate: false } }),
      );

      const applied = await runCli(['apply', s.dir, '--state', s.state, '--auto-approve'], {
        env: emulatorEnv(s.emulator),
      });
      expect(applied.stdout).toContain(
        `blocked  prod/gold delete: not deleted: id ${s.platinum} now names "Audience platinum", not "Audience gold"`,
      );
      expect(calls(s, 'deleteAudience')).toBe(0);
      expect(descriptionOf(s, s.platinum)).toBe('Platinum tier (colleague)');
    });
  });
});

describe('an import nobody could verify, of the right id', () => {
  it('is PATCHed after one read, and never read for it again', async () => {
    await story(async (s) => {
      await importUnverified(s, s.gold);
      const before = await runCli(['state', 'show', 'gold', '--state', s.state]);
      expect(importedOf(before.stdout)['unverified']).toBe(true);

      const applied = await runCli(['apply', s.dir, '--state', s.state, '--auto-approve'], {
        env: emulatorEnv(s.emulator),
      });
      expect(applied.code).toBe(0);
      expect(applied.stdout).toContain('ok       prod/gold update: patched description');
      expect(calls(s, 'getAudience')).toBe(1);
      expect(descriptionOf(s, s.gold)).toBe('Gold tier');
      const after = await runCli(['state', 'show', 'gold', '--state', s.state]);
      expect(importedOf(after.stdout)).not.toHaveProperty('unverified');

      await writeFile(
        path.join(s.dir, 'gold.yaml'),
        manifestYaml('gold', { spec: { description: 'Gold tier, v2' }, ingestion: { onCreate: false } }),
      );
      const next = await runCli(['apply', s.dir, '--state', s.state, '--auto-approve'], {
        env: emulatorEnv(s.emulator),
      });
      expect(next.code).toBe(0);
      expect(calls(s, 'getAudience')).toBe(1);
      expect(descriptionOf(s, s.gold)).toBe('Gold tier, v2');
    });
  });

  it('with credentials is recorded verified: the apply reads nothing before its PATCH', async () => {
    await story(async (s) => {
      const imported = await runCli(
        ['state', 'import', 'gold', s.dir, '--state', s.state, '--audience-id', s.gold],
        { env: emulatorEnv(s.emulator) },
      );
      expect(imported.code).toBe(0);
      const shown = await runCli(['state', 'show', 'gold', '--state', s.state]);
      expect(importedOf(shown.stdout)).not.toHaveProperty('unverified');
      s.emulator.control.resetCounters();

      const applied = await runCli(['apply', s.dir, '--state', s.state, '--auto-approve'], {
        env: emulatorEnv(s.emulator),
      });
      expect(applied.code).toBe(0);
      expect(calls(s, 'getAudience')).toBe(0);
      expect(calls(s, 'patchAudience')).toBe(1);
    });
  });
});
