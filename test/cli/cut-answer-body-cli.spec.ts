import { describe, expect, it } from 'vitest';
import { withTempDir } from '../helpers/cli.js';
import { audiencesByName, manifest, runsByName, story } from '../helpers/cli-story.js';
import { cuttingProxy } from '../helpers/cut-body-proxy.js';
import { withEmulator } from '../helpers/with-emulator.js';

// Review secrets-42, H-1. An answer whose status line and headers arrived, then whose body was
// cut (the connection lost mid-body: a load balancer's idle cut, a proxy restarting; or a body
// too large to read) was read as the service's definite answer "HTTP 202/200, unexpected": a
// create the service made was reported "create refused" and its intent dropped, and a run the
// service started "run request failed", its intent dropped too. The next apply then blocked the
// audience as "most likely another state store's create" (state import by hand), and the run
// as one "this state store has no trace of ... restored from a backup" (settle-run by hand).
// A 2xx status says the service did it: the call's outcome is at least unknown, never refused.

describe('a 2xx answer whose body is cut (review secrets-42, H-1)', () => {
  it('to a create: the audience the service made is kept as this apply\'s, never "refused", and the next apply records it', async () => {
    await withEmulator({ operationDelayMs: 20, runStageDelayMs: 20 }, async (emulator) => {
      const proxy = await cuttingProxy(
        emulator,
        (method, path) => method === 'POST' && /\/external-audience\/?$/.test(path),
      );
      try {
        await withTempDir(async (dir) => {
          const s = await story(emulator, dir, { AEP_BASE_URL: `${proxy.url}/data/core/ais` });
          expect((await s.cli('init', '--state', s.state)).code).toBe(0);
          await s.write({ 'a.yaml': manifest('cut-a', 'Cut A', '  onCreate: false\n') });
          const first = await s.apply();
          expect(proxy.cuts(), 'the create answer was cut').toBe(1);
          // The service made it: one audience of that name.
          expect(audiencesByName(emulator)).toEqual({ 'Cut A': 1 });
          expect(first.stdout + first.stderr).not.toMatch(/create refused/);
          // What the create may have made stays this store's to find: its record is kept.
          const shown = await s.cli('state', 'show', 'cut-a', '--sandbox', 'prod', '--state', s.state);
          expect(shown.code, shown.stderr).toBe(0);

          const second = await s.apply();
          expect(second.stdout + second.stderr).not.toMatch(/blocked/);
          expect(second.code, second.stdout + second.stderr).toBe(0);
          const made = emulator.control.listAudiences(emulator.client.orgId, 'prod');
          const record = JSON.parse(
            (await s.cli('state', 'show', 'cut-a', '--sandbox', 'prod', '--state', s.state)).stdout,
          ) as { audienceId?: string };
          expect(record.audienceId).toBe(made[0]?.audienceId);
          expect(audiencesByName(emulator)).toEqual({ 'Cut A': 1 });
        });
      } finally {
        await proxy.close();
      }
    });
  });

  it('to a run request: the run the service started is recorded by the next apply, never blocked as one of no trace', async () => {
    await withEmulator({ operationDelayMs: 20, runStageDelayMs: 20 }, async (emulator) => {
      const proxy = await cuttingProxy(
        emulator,
        (method, path) => method === 'POST' && /\/external-audience\/[^/]+\/runs\/?$/.test(path),
      );
      try {
        await withTempDir(async (dir) => {
          const s = await story(emulator, dir, { AEP_BASE_URL: `${proxy.url}/data/core/ais` });
          expect((await s.cli('init', '--state', s.state)).code).toBe(0);
          await s.write({ 'a.yaml': manifest('cut-r', 'Cut R') });
          const first = await s.apply();
          expect(proxy.cuts(), 'the run answer was cut').toBe(1);
          expect(runsByName(emulator)).toEqual({ 'Cut R': 1 });
          expect(first.stdout + first.stderr).not.toMatch(/run request failed: AEP answered unexpectedly/);

          const second = await s.apply();
          expect(second.stdout + second.stderr).not.toMatch(/blocked|no trace/);
          expect(second.code, second.stdout + second.stderr).toBe(0);
          // The run started once, and the store knows it.
          expect(runsByName(emulator)).toEqual({ 'Cut R': 1 });
          const run = emulator.control.listRuns(emulator.client.orgId, 'prod')[0];
          const shown = await s.cli('state', 'show', 'cut-r', '--sandbox', 'prod', '--state', s.state);
          expect(shown.stdout).toContain(String(run?.runId));
        });
      } finally {
        await proxy.close();
      }
    });
  });
});
