import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { Plan } from '../../src/plan/schema.js';
import { openStateStore } from '../../src/state/open.js';
import { apply, emulatorEnv, ManifestDir, quickRetries } from '../helpers/apply-env.js';
import { runCli } from '../helpers/cli.js';
import { runCliInProcess } from '../helpers/cli-in-process.js';
import { holdCreates } from '../helpers/executor-env.js';
import { manifestObject } from '../helpers/manifests.js';
import { withEmulator } from '../helpers/with-emulator.js';
import { readAll } from '../state/helpers.js';

// Review 45, L-1: a create whose POST's answer was lost is held by the apply (exit 3, nothing
// sent again) until 15 minutes after that POST, lest a service that takes a second audience of a
// name make two (steps/create-hold.ts). `plan` showed only "resume: the create was interrupted
// before its audience id was recorded", as if the apply would simply send it: the plan now says
// when the earlier POST was sent, that the apply adopts the audience once the service lists it,
// and from when it sends the create again, in every output format.

const gold = manifestObject('gold', { ingestion: { onCreate: false } });
const WAIT_MS = 15 * 60_000;

/** `ms` as the plan shows it, a pattern: nothing asks the service for AEP's clock for this plan. */
const shownAs = (ms: number) => new Date(ms).toISOString().replace(/\./g, '\\.');

describe('plan of a create whose earlier POST may still land', () => {
  it('says when that POST was sent, that the apply adopts what it made once listed, and from when it sends the create again', async () => {
    await withEmulator({ operationDelayMs: 10, runStageDelayMs: 10 }, async (emulator) => {
      const root = await mkdtemp(path.join(tmpdir(), 'audiencectl-plan-held-'));
      const held = holdCreates({ emulator });
      try {
        const dir = new ManifestDir(path.join(root, 'm'));
        const state = path.join(root, 'state');
        const env = emulatorEnv(emulator, await quickRetries(root));
        await dir.write([gold]);
        emulator.control.queueFault({ kind: 'responseLost', endpoint: 'createAudience', count: 1 });
        const lost = await apply(dir.dir, state, env);
        expect(lost.code, lost.stderr).toBe(3);
        expect(lost.stdout).toMatch(/blocked +prod\/gold create: held: /);
        const record = (await readAll(state)).audiences.find((r) => r.key === 'gold');
        expect(record?.intent?.kind).toBe('create');
        // AEP's clock at the earliest when the POST was sent (its intent's bound), from the record.
        const postMs = record?.pendingCreate?.earliestAepMs;
        expect(postMs).toBeTypeOf('number');
        const post = shownAs(postMs ?? NaN);
        const from = shownAs((postMs ?? NaN) + WAIT_MS);
        const says = new RegExp(
          `its earlier POST was sent at (${post}) and may still land: the apply adopts the audience once the service lists it, and sends the create again only from (${from}) \\(15 minutes after that POST; until then, while the service lists none of its own, the step is held, exit 3\\)`,
        );

        const args = (...flags: string[]) => ['plan', dir.dir, '--state', state, ...flags];
        const text = await runCli(args(), { env });
        expect(text.code, text.stderr).toBe(0);
        expect(text.stdout).toContain(
          '+ prod/gold create: resume: the create was interrupted before its audience id was recorded; its earlier POST was sent at ',
        );
        expect(text.stdout).toMatch(says);
        const markdown = await runCliInProcess(args('--output', 'markdown'), { env });
        expect(markdown.stdout).toMatch(says);
        const json = await runCliInProcess(args('--output', 'json'), { env });
        const step = Plan.parse(JSON.parse(json.stdout)).steps.find((s) => s.key === 'gold');
        expect(step?.reason).toMatch(says);

        // The record's POST 20 minutes earlier (AEP's bound moved back): the wait has passed.
        const earlier = (postMs ?? NaN) - 20 * 60_000;
        const store = await openStateStore(state);
        try {
          await store.lock();
          if (record?.pendingCreate)
            await store.put({
              ...record,
              pendingCreate: { ...record.pendingCreate, earliestAepMs: earlier },
            });
        } finally {
          await store.unlock();
          await store.close();
        }
        const passed = await runCli(args(), { env });
        expect(passed.code, passed.stderr).toBe(0);
        expect(passed.stdout).toContain(
          `+ prod/gold create: resume: the create was interrupted before its audience id was recorded; its earlier POST was sent at ${new Date(earlier).toISOString()}: the apply adopts the audience it made if the service lists it, else sends the create again (the 15-minute wait for that POST to show passed at ${new Date(earlier + WAIT_MS).toISOString()})`,
        );
      } finally {
        held.release();
        await rm(root, { recursive: true, force: true });
      }
    });
  });
});
