import { describe, expect, it } from 'vitest';
import { withExecutor } from '../helpers/executor-env.js';
import { manifestObject } from '../helpers/manifests.js';
import { gold, ORG, remote, statuses } from '../helpers/replaced-env.js';

// Review 8, F3: a removed manifest's waiting record leaves a runs-only record, without the mark
// of its deleted audience's name (runsOnlyRemnant). The manifest put back (a revert) is created
// into it; while the service still holds the deleted name, its 409 with nothing listed fails and
// is POSTed again by the next apply, as any such 409 (nameHeldUnlisted), never blocked as "made
// outside audiencectl": created once the name is free, the former run kept for the budget.

const HELD = { compat: { deletedNames: 'held' as const } };
const silver = manifestObject('silver', { ingestion: { onCreate: false } });

describe('a manifest put back onto its runs-only record while the deleted name is held', () => {
  it('fails without a block, and is created once the name is free', async () => {
    await withExecutor(HELD, async (env) => {
      expect(statuses(await env.apply([silver, gold]))?.sort()).toEqual([
        'prod/gold:create applied',
        'prod/gold:run applied',
        'prod/silver:create applied',
      ]);
      const created = (await env.store().get('prod', 'gold'))!;
      const oldId = created.audienceId!;
      const former = { ...created.runs[0]!, formerAudienceId: oldId };
      env.emulator.control.uiDeleteAudience(ORG, 'prod', oldId);
      expect(statuses(await env.apply([silver, gold], { refresh: true }))).toEqual([
        'prod/gold:create failed',
        'prod/gold:run skipped',
      ]);
      expect(statuses(await env.apply([silver]))).toEqual(['prod/gold:forget applied']);
      expect(await env.store().get('prod', 'gold')).toEqual({
        schemaVersion: 2,
        sandbox: 'prod',
        key: 'gold',
        deletionPolicy: 'Delete',
        runs: [former],
      });

      const reverted = await env.apply([silver, gold]);
      expect(statuses(reverted)).toEqual(['prod/gold:create failed', 'prod/gold:run skipped']);
      expect(reverted.report?.results[0]?.message).toContain(
        'lists no audience under that exact name: the name is held by an audience not listed',
      );
      expect((await env.store().get('prod', 'gold'))?.blocked).toBeUndefined();

      env.emulator.control.updateSettings({ clockOffsetMs: 61_000 });
      expect(statuses(await env.apply([silver, gold]))).toEqual([
        'prod/gold:create applied',
        'prod/gold:run applied',
      ]);
      const made = remote(env).find((audience) => audience.audienceName === 'Audience gold');
      const record = await env.store().get('prod', 'gold');
      expect(record?.audienceId).toBe(made?.audienceId);
      expect(record?.runs.filter((run) => run.formerAudienceId !== undefined)).toEqual([former]);
    });
  });
});
