import { writeFile } from 'node:fs/promises';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { DEMO_CLIENT, DEMO_SANDBOX, type RunningEmulator } from '../../src/emulator/index.js';
import { emulatorEnv } from '../helpers/apply-env.js';
import { runCli } from '../helpers/cli.js';
import { manifestYaml } from '../helpers/manifests.js';
import { metaOf } from '../helpers/marks.js';
import { repositoryWithRemote } from '../helpers/work-tree.js';
import { git } from '../source/helpers/git-fixture.js';
import { controllerEnv, eventuallyLogged } from './helpers/controller.js';
import { controllerSpec } from './helpers/controller-spec.js';

/**
 * Two GitLab repositories whose paths differ by a prefix sharing one store: a controller follows
 * the subgroup's marketing/emea/audiences (served over real HTTPS under that path), and CI
 * applies the group's emea/audiences with the built CLI. The controller's marks recorded no
 * root commits, so its mark and the CLI's were taken for one repository (a mirror's path): the
 * CLI's creates were refused as an older checkout's, and each mark replaced the other's. Now
 * the controller records the roots of the history it synced, as `apply` does: both create
 * their audiences, and the sandbox keeps both marks, each with its roots.
 */
const GIT_TOKEN = 'glpat-CANARYsubgroup7c2e9a4b1d3f5e8a';
const quiet = { ingestion: { onCreate: false } };
const B_URL = 'git@gitlab.com:emea/audiences.git';

const spec = controllerSpec('audiencectl-subgroup-');

function names(em: RunningEmulator): string[] {
  return em.control
    .listAudiences(DEMO_CLIENT.orgId, DEMO_SANDBOX)
    .map((audience) => audience.audienceName)
    .sort();
}

describe('a controller and the CLI applying two repositories whose paths differ by a prefix', () => {
  it("both create their audiences, and the store keeps both repositories' marks", async () => {
    const served = 'marketing/emea/audiences.git';
    const { em, root, repo, server } = await spec.serveRepository(served, 'oauth2', GIT_TOKEN);
    const state = path.join(root, 'state');
    const first = await repo.commit({ 'audiences/a1.yaml': manifestYaml('a1', quiet) });
    const aRoot = await git(path.join(repo.root, 'clone'), 'rev-list', '--max-parents=0', 'HEAD');
    const b = await repositoryWithRemote(root, 'b', B_URL, ['b1']);
    const bRoot = (await b.git('rev-list', '--max-parents=0', 'HEAD')).stdout.trim();

    const ctl = await spec.start(
      [
        ...['--repo', `${server.url}/${served}`, '--git-ca-file', server.caFile],
        ...['--git-username', 'oauth2', '--branch', 'main', '--path', 'audiences'],
        ...['--work-dir', repo.workDir, '--state', state, '--interval', '1s'],
      ],
      { ...controllerEnv(em), AUDIENCECTL_DRY_RUN: 'false', AUDIENCECTL_GIT_TOKEN: GIT_TOKEN },
    );
    await eventuallyLogged(
      [ctl],
      () => ctl.status(),
      (s) => s.reconcile.lastRevision === first && s.reconcile.lastResult === 'success',
      20_000,
      "the controller's first pass",
    );
    expect(names(em)).toEqual(['Audience a1']);

    // CI applies the other repository: not an older checkout of the controller's.
    const apply = () =>
      runCli(['apply', 'audiences', '--state', state, '--auto-approve'], {
        cwd: b.repo,
        env: emulatorEnv(em),
      });
    const applied = await apply();
    expect(applied.stderr).not.toContain('refusing');
    expect(applied.code, applied.stderr).toBe(0);
    expect(names(em)).toEqual(['Audience a1', 'Audience b1']);

    // The controller's next pass keeps the CLI's mark beside its own.
    const second = await repo.commit({ 'audiences/a2.yaml': manifestYaml('a2', quiet) });
    await eventuallyLogged(
      [ctl],
      () => ctl.status(),
      (s) => s.reconcile.lastRevision === second && s.reconcile.lastResult === 'success',
      20_000,
      "the controller's pass of a2",
    );
    expect(names(em)).toEqual(['Audience a1', 'Audience a2', 'Audience b1']);
    const mark = (await metaOf(state))?.revisions?.prod;
    expect(mark?.repository).toBe('marketing/emea/audiences');
    expect(mark?.commit).toBe(second);
    expect(mark?.roots).toEqual([aRoot]);
    expect(mark?.otherRepositories?.map((other) => [other.repository, other.roots])).toEqual([
      ['emea/audiences', [bRoot]],
    ]);

    // And CI's next apply, b1 replaced by b2, is checked against its own mark: not refused, and
    // its removal deletes only its own audience.
    await writeFile(path.join(b.repo, 'audiences', 'b2.yaml'), manifestYaml('b2', quiet));
    await b.git('rm', '--quiet', 'audiences/b1.yaml');
    await b.git('add', 'audiences');
    await b.git('commit', '--quiet', '-m', 'b2 for b1');
    const next = await apply();
    expect(next.code, next.stderr).toBe(0);
    expect(names(em)).toEqual(['Audience a1', 'Audience a2', 'Audience b2']);
    expect((await ctl.stop()).code).toBe(0);
  });
});
