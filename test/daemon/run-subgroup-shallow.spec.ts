import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { DEMO_CLIENT, DEMO_SANDBOX, type RunningEmulator } from '../../src/emulator/index.js';
import { emulatorEnv } from '../helpers/apply-env.js';
import { runCli } from '../helpers/cli.js';
import { manifestYaml } from '../helpers/manifests.js';
import { metaOf } from '../helpers/marks.js';
import { repositoryWithRemote } from '../helpers/work-tree.js';
import { controllerEnv, eventuallyLogged } from './helpers/controller.js';
import { controllerSpec } from './helpers/controller-spec.js';

/**
 * A controller following the subgroup's marketing/emea/audiences with --git-depth 1 (served over
 * real HTTPS under that path), and CI applying the group's emea/audiences (a full clone) with the
 * built CLI, one directory store. A shallow fetch's cut-off commit has no parents there, so it
 * would pass for a root: the controller records none (not a fake one), and the two paths are
 * taken for one repository, as a mirror's, so CI's creates are refused as an older checkout's.
 * That refusal gave no hint why the root commits, which tell the two apart when both are known
 * (run-subgroup-marks), did not: the mark now says its history was shallow, and the refusal names
 * it and the way out (the full history). Still nothing of the controller's is deleted: CI's
 * apply with --allow-older-checkout creates its own and holds the other's removals.
 */
const GIT_TOKEN = 'glpat-CANARYshallow3e8a1c7b9d2f4a6e';
const quiet = { ingestion: { onCreate: false } };
const B_URL = 'git@gitlab.com:emea/audiences.git';

const spec = controllerSpec('audiencectl-shallow-');

function names(em: RunningEmulator): string[] {
  return em.control
    .listAudiences(DEMO_CLIENT.orgId, DEMO_SANDBOX)
    .map((audience) => audience.audienceName)
    .sort();
}

describe('a controller following with --git-depth, and the CLI applying a repository whose path differs by a prefix', () => {
  it('the mark records no fake root and says the history was shallow; the refusal says so; nothing of the other is deleted', async () => {
    const served = 'marketing/emea/audiences.git';
    const { em, root, repo, server } = await spec.serveRepository(served, 'oauth2', GIT_TOKEN);
    const state = path.join(root, 'state');
    // Two commits: a depth-1 fetch of the second cuts the first off.
    await repo.commit({ 'audiences/a1.yaml': manifestYaml('a1', quiet) });
    const second = await repo.commit({ 'audiences/a2.yaml': manifestYaml('a2', quiet) });
    const b = await repositoryWithRemote(root, 'b', B_URL, ['b1']);

    const ctl = await spec.start(
      [
        ...['--repo', `${server.url}/${served}`, '--git-ca-file', server.caFile],
        ...['--git-username', 'oauth2', '--branch', 'main', '--path', 'audiences', '--git-depth', '1'],
        ...['--work-dir', repo.workDir, '--state', state, '--interval', '1s'],
      ],
      { ...controllerEnv(em), AUDIENCECTL_DRY_RUN: 'false', AUDIENCECTL_GIT_TOKEN: GIT_TOKEN },
    );
    await eventuallyLogged(
      [ctl],
      () => ctl.status(),
      (s) => s.reconcile.lastRevision === second && s.reconcile.lastResult === 'success',
      20_000,
      "the controller's first pass",
    );
    expect(names(em)).toEqual(['Audience a1', 'Audience a2']);
    expect((await ctl.stop()).code).toBe(0);
    const mark = (await metaOf(state))?.revisions?.prod;
    expect(mark?.repository).toBe('marketing/emea/audiences');
    expect(mark?.commit).toBe(second);
    expect(mark?.roots).toBeUndefined();
    expect(mark?.shallow).toBe(true);

    const env = emulatorEnv(em);
    const apply = (...flags: string[]) =>
      runCli(['apply', 'audiences', '--state', state, '--auto-approve', ...flags], { cwd: b.repo, env });
    const refused = await apply();
    expect(refused.code).toBe(1);
    expect(refused.stderr.replace(/\s+/g, ' ')).toContain(
      "Their root commits could not tell them apart: marketing/emea/audiences's mark was applied from a shallow history (a shallow clone, or a controller's --git-depth fetch), whose cut-off commits are no roots, so it records none",
    );
    expect(names(em)).toEqual(['Audience a1', 'Audience a2']);

    // The way out for two repositories: nothing of the controller's is deleted.
    const anyway = await apply('--allow-older-checkout');
    expect(anyway.code, anyway.stderr).toBe(0);
    expect(anyway.stdout).not.toMatch(/prod\/a[12]\s+delete/);
    expect(names(em)).toEqual(['Audience a1', 'Audience a2', 'Audience b1']);
  });
});
