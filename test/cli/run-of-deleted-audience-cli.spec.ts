import { mkdir, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { DEMO_CLIENT } from '../../src/emulator/index.js';
import { cliBench } from '../helpers/cli-bench.js';
import { manifestYaml } from '../helpers/manifests.js';

// Review 38p, F3. An audience deleted in the AEP UI after the plan whose only step for it is a
// run (its ingestion.request changed): the apply's run step read the audience's runs, got the
// service's 404, and said "no run started; the next apply reads them again". The next apply did
// the same, forever: only a refresh (which re-creates it) gets out, as the PATCH step of the same
// situation says. The run step now says that way out too. The built CLI, the emulator over HTTP,
// a saved plan and a directory apply.

describe('a run step of an audience deleted in the UI since the plan', () => {
  it('names the way out (a refresh), not "the next apply reads them again"', async () => {
    await cliBench(async ({ emulator, tmp, cli, setUp }) => {
      const aud = path.join(tmp, 'aud');
      await mkdir(aud);
      const gold = (request: string) =>
        writeFile(
          path.join(aud, 'gold.yaml'),
          manifestYaml('gold', { ingestion: { onCreate: false, request } }),
        );
      await gold('r1');
      const applied = await setUp('apply', aud, '--auto-approve');
      expect(applied.code, applied.stdout + applied.stderr).toBe(0);
      await gold('r2');
      const saved = await setUp('plan', aud, '--output', 'json', '--out', 'plan.json');
      expect(saved.code, saved.stderr).toBe(0);

      // A colleague deletes it in the UI after the plan was reviewed.
      const [made] = emulator.control.listAudiences(DEMO_CLIENT.orgId, 'prod');
      expect(made).toBeDefined();
      emulator.control.uiDeleteAudience(DEMO_CLIENT.orgId, 'prod', made?.audienceId ?? '');

      for (const target of ['plan.json', aud]) {
        const result = await cli('apply', target, '--auto-approve');
        const line = result.stdout.split('\n').find((l) => l.startsWith('FAILED   prod/gold run:')) ?? '';
        expect(line, result.stdout + result.stderr).toMatch(/no run started/);
        expect(line, target).not.toMatch(/the next apply reads them again/);
        expect(line, target).toMatch(/may no longer exist remotely: .*--refresh/);
        expect(result.code).toBe(1);
      }
    });
  });
});
