import { symlink, unlink } from 'node:fs/promises';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import type { Reconciler } from '../../src/daemon/reconciler.js';
import type { TriggerReason } from '../../src/daemon/triggers.js';
import { DEMO_CLIENT, DEMO_SANDBOX } from '../../src/emulator/index.js';
import { manifestYaml } from '../helpers/manifests.js';
import { withInProcessController } from './helpers/in-process.js';

const quiet = { ingestion: { onCreate: false } };

async function pass(which: Reconciler, reason: TriggerReason): Promise<void> {
  which.trigger(reason);
  await which.settled();
}

describe('a pass whose sync failed', () => {
  it('does not undo a newer commit another replica applied while this one stood by: the pass is refused, and the branch is reconciled once a sync succeeds', async () => {
    await withInProcessController(
      { source: 'git' },
      async ({ git, reconciler: leader, emulator, replica }) => {
        const fixture = git!;
        const names = () =>
          emulator.control
            .listAudiences(DEMO_CLIENT.orgId, DEMO_SANDBOX)
            .map((audience) => audience.audienceName)
            .sort();
        // The standby reaches the repository through a link that can be taken away: its fetches
        // then fail while the leader's go on.
        const link = path.join(fixture.root, 'standby-link.git');
        await symlink(fixture.bare, link);
        let leads = false;
        const standby = replica({ url: link, isLeader: () => leads });

        await fixture.commit(
          { 'audiences/x.yaml': manifestYaml('x', quiet) },
          { date: '2026-11-01T10:00:00Z' },
        );
        await pass(leader, 'webhook');
        await pass(standby, 'poll');
        expect(standby.status().source.lastError).toBeNull();
        expect(standby.status().reconcile.lastStartedAt).toBeNull();

        await unlink(link);
        await fixture.commit(
          { 'audiences/y.yaml': manifestYaml('y', quiet) },
          { date: '2026-11-01T11:00:00Z' },
        );
        await pass(leader, 'webhook');
        expect(names()).toEqual(['Audience x', 'Audience y']);

        // The leader is gone; the standby is elected, and its first pass cannot fetch.
        leads = true;
        await pass(standby, 'startup');
        const refused = standby.status();
        expect(refused.source.lastError?.code).toBe('SOURCE_FETCH_FAILED');
        expect(refused.reconcile.lastResult).toBe('failure');
        expect(refused.reconcile.lastError?.code).toBe('APPLY_OLDER_CHECKOUT');
        expect(refused.reconcile.lastError?.message).not.toContain('--allow-older-checkout');
        // y, applied from a commit its revision does not hold, is not deleted.
        expect(names()).toEqual(['Audience x', 'Audience y']);

        // The fetch works again: the branch's tip is reconciled, and nothing is undone.
        await symlink(fixture.bare, link);
        await pass(standby, 'retry');
        expect(standby.status().reconcile.lastResult).toBe('success');
        expect(names()).toEqual(['Audience x', 'Audience y']);
      },
    );
  });
});
