import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { DEMO_CLIENT } from '../../src/emulator/index.js';
import { withTempDir } from '../helpers/cli.js';
import { withEmulator } from '../helpers/with-emulator.js';
import { audiencesByName, manifest, runsByName, story } from '../helpers/cli-story.js';

// Review runs-41 M-1. Two stores racing on one create (as test/apply/racing-stores-run.spec.ts):
// B's create POST is answered 500 (the service did nothing) while A creates the audience. By
// the time B resolves its interrupted create by name, A's audience has run 25 times, and the
// service lists its runs as a bare list cut at 20, oldest first, counting them
// (`_page.totalCount`, emulator `runsListCut: page`, limit/sortBy refused). The page answers
// the one question asked of it, "did a run start on this audience?" (yes: 25), but B reads
// the counted cut list as "the runs ... cannot be listed": its create fails on every apply,
// the intent kept, saying the list failed, instead of saying, as with an uncut list, that the
// audience already has runs no apply of this store started (another store's), blocked.

describe('an interrupted create resolved by name, the audience found with 25 runs listed 20 a page, counted', () => {
  it('is not taken as the list failing: blocked as another store audience, saying it has 25 runs', async () => {
    await withEmulator(
      {
        operationDelayMs: 20,
        runStageDelayMs: 0,
        guardrails: { runsPerAudience: 50, runsPerDayPerSandbox: 100 },
        compat: { runsListParams: 'refused', runsListCut: 'page' },
      },
      async (emulator) => {
        await withTempDir(async (dir) => {
          const a = await story(emulator, path.join(dir, 'a'));
          const b = await story(emulator, path.join(dir, 'b'));
          const text = manifest('race-a', 'Race A');
          await a.write({ 'a.yaml': text });
          await b.write({ 'a.yaml': text });

          emulator.control.queueFault({ kind: 'error500', endpoint: 'createAudience', count: 1 });
          let hit!: () => void;
          const bPosted = new Promise<void>((resolve) => (hit = resolve));
          let release!: () => void;
          const released = new Promise<void>((resolve) => (release = resolve));
          const stop = emulator.control.observeRequests((request) => {
            if (request.endpoint !== 'createAudience' || request.status !== 500) return undefined;
            hit();
            return released;
          });
          try {
            const bApply = b.apply();
            await bPosted;
            const aApply = await a.apply();
            expect(aApply.code).toBe(0);
            const [audience] = emulator.control.listAudiences(DEMO_CLIENT.orgId, 'prod');
            const audienceId = audience!.audienceId;
            // 24 more runs of A's audience (A's own, or a person's), one after another.
            for (let index = 0; index < 24; index += 1) {
              const started = await emulator.request('POST', `/external-audience/${audienceId}/runs`, {
                body: { dataFilterStartTime: index },
              });
              expect(`${started.status} ${started.text}`).toMatch(/^200 /);
            }
            expect(runsByName(emulator)).toEqual({ 'Race A': 25 });
            const listed = await emulator.request('GET', `/external-audience/${audienceId}/runs`);
            expect((listed.body as { runs: unknown[] }).runs).toHaveLength(20);
            expect((listed.body as { _page: { totalCount: number } })._page.totalCount).toBe(25);

            release();
            const bResult = await bApply;
            expect(audiencesByName(emulator)).toEqual({ 'Race A': 1 });
            expect(runsByName(emulator)).toEqual({ 'Race A': 25 });
            expect(bResult.stdout).not.toMatch(/cannot be listed/);
            expect(bResult.code).toBe(3);
            expect(bResult.stdout).toMatch(
              /blocked {2}prod\/race-a create: .*it already has 25 runs \(the newest listed [-0-9a-f]+, SUCCESS, created [^)]+\), which no apply of this state store started, as none can on an audience its create has not recorded/,
            );
          } finally {
            release();
            stop();
          }
        });
      },
    );
  });
});
