import { mkdir, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { DEMO_CLIENT } from '../../src/emulator/index.js';
import { emulatorEnv } from '../helpers/apply-env.js';
import { cliBench, type CliBench } from '../helpers/cli-bench.js';
import { manifestYaml } from '../helpers/manifests.js';
import { applyOnTerminal } from '../helpers/terminal.js';

/**
 * `apply args` on a pseudo-terminal, without AEP_SANDBOX (the manifests' default sandbox, prod):
 * once the prompt shows, `meanwhile` runs (a colleague in the UI), then "yes" is typed.
 */
async function applyAfter(
  args: string[],
  env: Record<string, string>,
  cwd: string,
  meanwhile: () => void,
): Promise<{ code: number | null; output: string }> {
  const { code, output } = await applyOnTerminal(args, 'yes\r', env, {
    cwd,
    unset: ['AEP_SANDBOX'],
    beforeAnswer: meanwhile,
  });
  return { code, output: output.replaceAll('\r', '') };
}

// Review 38p, F2. README (Refresh): an audience deactivated in the UI is blocked, "no call of
// either API reactivates an audience, so nothing is PATCHed, run, created or deleted for it".
// A plan made with --refresh and saved (`plan --refresh --output json --out`) read it active; a
// colleague deactivated it before the apply; `apply plan.json` PATCHed it and started its run all
// the same, on what the plan read, though the same apply reads the service again just before its
// DELETEs. A refreshed plan's PATCHes and runs are now read again the same way. The built CLI,
// the emulator over HTTP.

/**
 * gold (no run at its create) applied from `tmp`/aud, then its manifest edited (another
 * description and run request): the directory, for a plan whose steps are a PATCH and a run.
 */
async function appliedThenEdited(tmp: string, setUp: CliBench['setUp']): Promise<string> {
  const aud = path.join(tmp, 'aud');
  await mkdir(aud);
  const gold = (description: string, request: string) =>
    writeFile(
      path.join(aud, 'gold.yaml'),
      manifestYaml('gold', { spec: { description }, ingestion: { onCreate: false, request } }),
    );
  await gold('first', 'r1');
  const applied = await setUp('apply', aud, '--auto-approve');
  expect(applied.code, applied.stdout + applied.stderr).toBe(0);
  await gold('second', 'r2');
  return aud;
}

describe('apply of a refresh plan whose audience was deactivated in the UI since', () => {
  it('sends it no PATCH and starts no run: the step is blocked, naming the deactivation', async () => {
    await cliBench(async ({ emulator, tmp, cli, setUp }) => {
      const aud = await appliedThenEdited(tmp, setUp);
      const saved = await setUp('plan', aud, '--refresh', '--output', 'json', '--out', 'plan.json');
      expect(saved.code, saved.stderr).toBe(0);

      const [made] = emulator.control.listAudiences(DEMO_CLIENT.orgId, 'prod');
      expect(made).toBeDefined();
      emulator.control.uiEditAudience(DEMO_CLIENT.orgId, 'prod', made?.audienceId ?? '', {
        lifecycleState: 'inactive',
      });
      emulator.control.resetCounters();

      const result = await cli('apply', 'plan.json', '--auto-approve');
      const counts = emulator.control.counters().byEndpoint;
      expect(counts.patchAudience?.requests ?? 0, result.stdout).toBe(0);
      expect(counts.startRun?.requests ?? 0, result.stdout).toBe(0);
      expect(result.stdout).toMatch(/^blocked +prod\/gold update: .*deactivated/m);
      expect(result.code).toBe(3);
    });
  });

  it('an apply --refresh whose prompt waited while it was deactivated: neither PATCH nor run', async () => {
    await cliBench(async ({ emulator, tmp, setUp }) => {
      const aud = await appliedThenEdited(tmp, setUp);
      const [made] = emulator.control.listAudiences(DEMO_CLIENT.orgId, 'prod');
      expect(made).toBeDefined();

      const result = await applyAfter(
        [aud, '--refresh', '--state', path.join(tmp, 'state')],
        emulatorEnv(emulator),
        tmp,
        () => {
          emulator.control.uiEditAudience(DEMO_CLIENT.orgId, 'prod', made?.audienceId ?? '', {
            lifecycleState: 'inactive',
          });
          emulator.control.resetCounters();
        },
      );
      // The plan shown read it active: its update and run were asked about.
      expect(result.output).toMatch(/~ prod\/gold update: /);
      const counts = emulator.control.counters().byEndpoint;
      expect(counts.patchAudience?.requests ?? 0, result.output).toBe(0);
      expect(counts.startRun?.requests ?? 0, result.output).toBe(0);
      expect(result.output).toMatch(
        /^blocked +prod\/gold update: .*deactivated outside audiencectl since the plan read it/m,
      );
      expect(result.output).toMatch(/^blocked +prod\/gold run: .*deactivated/m);
      expect(result.code).toBe(3);
    });
  });
});
