import { writeFile } from 'node:fs/promises';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { controllerEnv, eventuallyLogged } from './helpers/controller.js';
import { controllerSpec } from './helpers/controller-spec.js';
import { deliverPush, githubRepository } from '../helpers/github-push.js';
import { runCli, withTempDir } from '../helpers/cli.js';

// Review secrets-43 (last pass's known gap 3). The controller's git token is read once, from
// AUDIENCECTL_GIT_TOKEN (the chart sets it from the Secret with secretKeyRef): a token rotated
// in the Secret (a GitHub App installation token lasts an hour; external-secrets or a CronJob
// renews it there, a fine-grained PAT expires) never reaches the running controller, whose
// every fetch then fails until someone restarts the pod. A mounted Secret's file is updated in
// place by the kubelet: a token given as a file (AUDIENCECTL_GIT_TOKEN_FILE) should be read
// at each fetch, and a rotation picked up without a restart, never shown.

const SECRET = 'webhook-secret-rotation-7c1e';
const OLD = 'ghs_OLDtokenCANARY1a2b3c4d5e6f7a8b9c0d1e2f3a4b';
const NEW = 'ghs_NEWtokenCANARY9f8e7d6c5b4a3f2e1d0c9b8a7f6e';

const spec = controllerSpec('audiencectl-rotate-');

const push = (url: string, id: string, payload: unknown): Promise<Response> =>
  deliverPush(url, SECRET, JSON.stringify(payload), id);

describe('a git token given as a file (review secrets-43, gap 3)', () => {
  it('is read at each fetch: a rotated token is used without a restart, and never shown', async () => {
    const served = 'acme/audiences.git';
    const { em, root, repo, server } = await spec.serveRepository(served, 'x-access-token', OLD);
    const git = server;
    const tokenFile = path.join(root, 'git-token');
    await writeFile(tokenFile, `${OLD}\n`);
    const first = await repo.commit({ 'README.md': 'audiences\n' });
    const ctl = await spec.start(
      [
        ...['--repo', `${server.url}/${served}`, '--git-ca-file', server.caFile],
        ...['--work-dir', repo.workDir, '--state', path.join(root, 'state')],
        ...['--interval', '1h', '--resync-interval', '2h'],
      ],
      {
        ...controllerEnv(em),
        AUDIENCECTL_WEBHOOK_SECRET: SECRET,
        AUDIENCECTL_GIT_TOKEN_FILE: tokenFile,
      },
    );
    await eventuallyLogged(
      [ctl],
      () => ctl.status(),
      (s) => s.source.revision === first && s.reconcile.lastRevision === first && !s.reconcile.running,
      20_000,
      'the first sync, with the token of the file',
    );

    // Rotated: the server takes only the new token, and the Secret's file holds it.
    git.token = NEW;
    await writeFile(tokenFile, `${NEW}\n`);
    const pushed = await repo.commit({ 'README.md': 'audiences, rotated\n' });
    const answer = await push(ctl.url, 'rotated-1', {
      ref: 'refs/heads/main',
      after: pushed,
      repository: githubRepository(server.url, 'acme/audiences'),
    });
    expect(answer.status).toBe(202);
    await eventuallyLogged(
      [ctl],
      () => ctl.status(),
      (s) => s.source.revision === pushed && !s.reconcile.running,
      20_000,
      'the sync after the rotation, with the new token',
    );
    const shown = JSON.stringify(ctl.logs) + ctl.stdout() + JSON.stringify(await ctl.status());
    expect(shown).not.toContain(OLD);
    expect(shown).not.toContain(NEW);
  });

  it('given with the token itself too is refused in one line naming both, the token never shown', async () => {
    await withTempDir(async (root) => {
      const tokenFile = path.join(root, 'git-token');
      await writeFile(tokenFile, `${NEW}\n`);
      const result = await runCli(
        ['run', '--repo', 'https://github.com/acme/audiences.git', '--git-token-file', tokenFile],
        { env: { AUDIENCECTL_GIT_TOKEN: OLD, AUDIENCECTL_STATE: path.join(root, 'state') } },
      );
      expect(result.code).toBe(1);
      expect(result.stderr.trim().split('\n')).toHaveLength(1);
      expect(result.stderr).toContain('either with --git-token-file or AUDIENCECTL_GIT_TOKEN, not both');
      expect(result.stdout + result.stderr).not.toContain(OLD);
      expect(result.stdout + result.stderr).not.toContain(NEW);
    });
  });
});
