import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { DEMO_CLIENT, DEMO_SANDBOX } from '../../src/emulator/index.js';
import { manifestYaml } from '../helpers/manifests.js';
import type { HttpsGitServer } from '../source/helpers/https-git-server.js';
import { controllerEnv, eventuallyLogged } from './helpers/controller.js';
import { controllerSpec } from './helpers/controller-spec.js';
import { deliverPush, githubRepository } from '../helpers/github-push.js';

const SECRET = 'webhook-secret-e2e-repo-4b9e';
const GIT_TOKEN = 'ghp_CANARYrepo5d1c3e7f9a2b4c6d8e0f1a3b5c7d9e1f';

const spec = controllerSpec('audiencectl-run-');

const push = (url: string, id: string, payload: unknown): Promise<Response> =>
  deliverPush(url, SECRET, JSON.stringify(payload), id);

/** Fetches the git server has seen: each starts with one GET of info/refs without credentials (git asks for them on the 401). */
function fetchesSeen(git: HttpsGitServer): number {
  let count = 0;
  for (const [index, line] of git.seen.entries()) {
    const headers = git.seen[index + 1] ?? '{}';
    if (/^GET \S*\/info\/refs/.test(line) && !('authorization' in JSON.parse(headers))) count += 1;
  }
  return count;
}

describe('audiencectl run with a webhook shared by several repositories', () => {
  it('ignores a signed push naming another repository, syncs on its own and on its own after a rename', async () => {
    // The fixture's bare repository, served as acme/audiences.git over real HTTPS.
    const served = 'acme/audiences.git';
    const { em, root, repo, server } = await spec.serveRepository(served, 'x-access-token', GIT_TOKEN);
    const git = server;
    const first = await repo.commit({ 'README.md': 'audiences\n' });
    // A one-hour interval: after the startup sync, only the webhook can trigger one.
    const ctl = await spec.start(
      [
        ...['--repo', `${server.url}/${served}`, '--git-ca-file', server.caFile],
        ...['--work-dir', repo.workDir, '--state', path.join(root, 'state')],
        ...['--interval', '1h', '--resync-interval', '2h'],
      ],
      { ...controllerEnv(em), AUDIENCECTL_WEBHOOK_SECRET: SECRET, AUDIENCECTL_GIT_TOKEN: GIT_TOKEN },
    );
    await eventuallyLogged(
      [ctl],
      () => ctl.status(),
      (s) => s.source.revision === first && s.reconcile.lastRevision === first && !s.reconcile.running,
      10_000,
      'the first sync',
    );
    const fetchesBefore = fetchesSeen(git);
    expect(fetchesBefore).toBe(1);

    const pushed = await repo.commit({
      'gold.yaml': manifestYaml('gold', { ingestion: { onCreate: false } }),
    });
    // Another repository of the organisation, to another branch: nothing to check, no request.
    const seenBefore = git.seen.length;
    const otherBranch = await push(ctl.url, 'other-branch-1', {
      ref: 'refs/heads/gh-pages',
      after: 'b'.repeat(40),
      repository: githubRepository(server.url, 'acme/website'),
    });
    expect(otherBranch.status).toBe(200);
    expect(await otherBranch.json()).toEqual({ action: 'ignored', reason: 'other-repository' });
    expect(git.seen.length).toBe(seenBefore);
    // Same branch, same server, another repository of the organisation, at its own commit:
    // checked against the followed repository's branch (one ref listing), and ignored.
    const other = await push(ctl.url, 'other-1', {
      ref: 'refs/heads/main',
      after: 'a'.repeat(40),
      repository: githubRepository(server.url, 'acme/website'),
    });
    expect(other.status).toBe(202);
    expect(await other.json()).toEqual({ action: 'check', reason: 'other-repository' });
    const ignored = await ctl.waitForLog((l) => l.msg === 'webhook ignored' && l['deliveryId'] === 'other-1');
    expect(ignored).toMatchObject({ reason: 'other-repository', repository: 'acme/website', head: pushed });
    expect((await ctl.status()).reconcile.lastRevision).toBe(first);

    // Its own push, named as GitHub spells it (owner and name case-insensitive).
    const own = await push(ctl.url, 'own-1', {
      ref: 'refs/heads/main',
      after: pushed,
      repository: githubRepository(server.url, 'Acme/Audiences'),
    });
    expect(own.status).toBe(202);
    await eventuallyLogged(
      [ctl],
      () => ctl.status(),
      (s) => s.reconcile.lastRevision === pushed && !s.reconcile.running,
      10_000,
      'the webhook sync',
    );
    expect(em.control.listAudiences(DEMO_CLIENT.orgId, DEMO_SANDBOX)).toHaveLength(1);
    const requested = () =>
      ctl.logs.filter((l) => l.msg === 'reconcile requested' && l['reason'] === 'webhook').length;
    // Only its own push synced: the other repository's push cost one ref listing, no fetch.
    expect(requested()).toBe(1);
    expect(fetchesSeen(git) - fetchesBefore).toBe(2);

    // Renamed (or transferred): GitHub names acme/segments while the old URL still serves
    // the repository. Its push to the branch, at the followed branch's commit, syncs.
    const renamed = await repo.commit({
      'silver.yaml': manifestYaml('silver', { ingestion: { onCreate: false } }),
    });
    const afterRename = await push(ctl.url, 'renamed-1', {
      ref: 'refs/heads/main',
      after: renamed,
      repository: githubRepository(server.url, 'acme/segments'),
    });
    expect(afterRename.status).toBe(202);
    expect(await afterRename.json()).toEqual({ action: 'check', reason: 'other-repository' });
    await eventuallyLogged(
      [ctl],
      () => ctl.status(),
      (s) => s.reconcile.lastRevision === renamed && !s.reconcile.running,
      10_000,
      'the sync of the renamed repository',
    );
    expect(em.control.listAudiences(DEMO_CLIENT.orgId, DEMO_SANDBOX)).toHaveLength(2);
    expect(requested()).toBe(2);
    expect(ctl.logs.find((l) => l['deliveryId'] === 'renamed-1' && l.level === 40)).toMatchObject({
      repository: 'acme/segments',
      after: renamed,
    });
    const text = JSON.stringify(ctl.logs) + ctl.stdout();
    expect(text).not.toContain(SECRET);
    expect(text).not.toContain(GIT_TOKEN);
    expect((await ctl.stop()).code).toBe(0);
  });
});
