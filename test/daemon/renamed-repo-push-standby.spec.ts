import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { manifestYaml } from '../helpers/manifests.js';
import { deliverPush, githubRepository } from '../helpers/github-push.js';
import { usePostgres } from '../state/pg.js';
import {
  controllerEnv,
  eventuallyLogged,
  leaderAndStandby,
  pushedAudienceNames,
} from './helpers/controller.js';
import { controllerSpec } from './helpers/controller-spec.js';

// Review 36d, M-1 (fixed: the check's sync passes the push to the leader as onPush does,
// src/daemon/controller.ts syncPush). docs/deploy.md ("GitHub webhook"): a push naming another repository, to the
// followed branch, is checked (one ref listing) and "a sync starts if it is at the pushed commit
// (the repository was renamed or transferred)"; and "a standby that verifies a push passes it to
// the leader through PostgreSQL ... so the leader syncs within a second either way". A renamed
// repository's push reaching the standby syncs only the standby: the check's sync is the
// standby's own trigger (controller.ts onOtherRepository), no hint goes to the leader, and the
// push waits for the leader's --interval (here an hour).

const SECRET = 'review-36d-renamed-hook-7c1e';
const GIT_TOKEN = 'ghp_CANARY36d0renamed1a2b3c4d5e6f7a8b9c0d1e2f3a4';
const postgres = usePostgres();
const spec = controllerSpec('review-36d-renamed-');

describe('a renamed repository push reaching the standby (review 36d)', { timeout: 120_000 }, () => {
  it('is applied by the leader, as a push of the followed repository reaching the standby is', async () => {
    const {
      em,
      root,
      repo: fixture,
      server,
    } = await spec.serveRepository('acme/audiences.git', 'x-access-token', GIT_TOKEN);
    const first = await fixture.commit({ 'README.md': 'audiences\n' });
    const state = await postgres.freshLocation();
    const env = {
      ...controllerEnv(em),
      AUDIENCECTL_WEBHOOK_SECRET: SECRET,
      AUDIENCECTL_GIT_TOKEN: GIT_TOKEN,
    };
    const repo = `${server.url}/acme/audiences.git`;
    const caFile = server.caFile;
    const start = (n: number) =>
      spec.start(
        [
          ...['--repo', repo, '--git-ca-file', caFile, '--work-dir', path.join(root, `work-${n}`)],
          ...['--state', state, '--interval', '1h', '--resync-interval', '2h'],
        ],
        env,
        { startTimeoutMs: 60_000 },
      );
    const { standby } = await leaderAndStandby(
      start,
      (all) =>
        all.every((s) => s.source.revision === first) &&
        all.some((s) => s.role === 'leader' && s.reconcile.lastRevision === first && !s.reconcile.running),
      'one leader that reconciled the first commit, both synced',
    );

    const pushed = await fixture.commit({
      'gold.yaml': manifestYaml('gold', { ingestion: { onCreate: false } }),
    });
    // GitHub names the repository's new owner/name; the old URL still serves it.
    const body = JSON.stringify({
      ref: 'refs/heads/main',
      after: pushed,
      repository: githubRepository(server.url, 'acme/segments'),
    });
    const delivered = await deliverPush(standby.url, SECRET, body, 'renamed-standby-1');
    expect(delivered.status).toBe(202);
    expect(await delivered.json()).toEqual({ action: 'check', reason: 'other-repository' });
    // The standby's check found the branch at the pushed commit and synced itself.
    await standby.waitForLog(
      (l) => typeof l.msg === 'string' && l.msg.includes('probably renamed or transferred'),
      20_000,
    );
    await eventuallyLogged(
      [standby],
      () => standby.status(),
      (s) => s.source.revision === pushed,
      20_000,
      'the standby synced the push',
    );
    // A guard against hangs, not a claim about speed: the interval is an hour.
    const created = await pushedAudienceNames(em);
    expect(created).toEqual(['Audience gold']);
  });
});
