import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { deliverPush } from '../helpers/github-push.js';
import { manifestYaml } from '../helpers/manifests.js';
import { usePostgres } from '../state/pg.js';
import { controllerEnv, leaderAndStandby, pushedAudienceNames } from './helpers/controller.js';
import { controllerSpec } from './helpers/controller-spec.js';

// Review 35b, L-2 (fixed: a standby passes a verified push to the leader, src/state/pg/push-hints.ts). docs/deploy.md ("GitHub webhook"): "Without a webhook the controller notices
// a push within git.interval; with one it syncs within a second", and its PostgreSQL set-up runs
// two replicas behind one Service with the webhook (ci/postgres-values.yaml). The Service hands a
// delivery to either pod; one reaching the standby (ready, 202 {"action":"sync"}) syncs only the
// standby, and the leader applies the push at its next --interval (docs/state.md says so).

const SECRET = 'review-35b-standby-hook-5a2c';
const postgres = usePostgres();
const spec = controllerSpec('review-35b-standby-');

describe('a webhook delivery reaching the standby (review 35b)', { timeout: 120_000 }, () => {
  it('gets the push applied by the leader, as a delivery to one controller does', async () => {
    const { em, root } = await spec.setUp();
    const fixture = await spec.gitFixture();
    const first = await fixture.commit({ 'README.md': 'audiences\n' });
    const state = await postgres.freshLocation();
    const env = { ...controllerEnv(em), AUDIENCECTL_WEBHOOK_SECRET: SECRET };
    const start = (n: number) =>
      spec.start(
        [
          ...['--repo', fixture.bare, '--allow-file-urls', '--work-dir', path.join(root, `work-${n}`)],
          ...['--state', state, '--interval', '1h', '--resync-interval', '2h'],
        ],
        env,
        { startTimeoutMs: 60_000 },
      );
    const { leader, standby } = await leaderAndStandby(
      start,
      (all) => all.every((s) => s.source.revision === first),
      'one leader, both synced',
    );

    const pushed = await fixture.commit({
      'gold.yaml': manifestYaml('gold', { ingestion: { onCreate: false } }),
    });
    const body = JSON.stringify({ ref: 'refs/heads/main', after: pushed });
    const delivered = await deliverPush(standby.url, SECRET, body, 'standby-1');
    expect(delivered.status).toBe(202);
    // A guard against hangs, not a claim about speed: the interval is an hour.
    const created = await pushedAudienceNames(em);
    expect(created).toEqual(['Audience gold']);
    expect((await leader.status()).source.revision).toBe(pushed);
  });
});
