import { readFile, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { DEMO_CLIENT } from '../../src/emulator/index.js';
import type { StateMeta } from '../../src/state/schema.js';
import { manifestYaml } from '../helpers/manifests.js';
import { createGitFixture, type GitFixture } from '../source/helpers/git-fixture.js';
import { controllerEnv } from './helpers/controller.js';
import { controllerSpec, statusWhen } from './helpers/controller-spec.js';
import { PGOLD } from './helpers/two-sandboxes.js';

// Review 39, L-1. docs/state.md: `revisions` keeps, per sandbox, "the commit last applied to it"; a newer mark
// refuses an older checkout's create or undoing step there. A pass whose partner secret IMS
// refuses holds partner's steps (nothing of the commit reaches partner), yet marks partner with
// the pass's commit all the same (markPlanned marks every sandbox of the manifests planned): an
// `apply` from a branch cut before that commit is then refused in partner, "sandbox partner was
// last applied from commit <C2>", a commit partner never received. Now partner keeps its mark.

const spec = controllerSpec('refused-sandbox-mark-');
let repo: GitFixture | undefined;
afterEach(async () => {
  await repo?.cleanup();
  repo = undefined;
});

describe('run (git): a sandbox whose credentials IMS refuses', () => {
  it('keeps the mark of the commit last applied to it, not the commit whose steps it held', async () => {
    const { em, root } = await spec.setUp();
    repo = await createGitFixture();
    const config = path.join(root, 'audiencectl.yaml');
    await writeFile(
      config,
      'defaultSandbox: prod\nsandboxes:\n  prod: {}\n  partner:\n    clientSecretEnv: PARTNER_SECRET\n',
    );
    const state = path.join(root, 'state');
    const first = await repo.commit({
      'audiences/gold.yaml': manifestYaml('gold', { ingestion: { onCreate: false } }),
      'audiences/pgold.yaml': manifestYaml('pgold', PGOLD),
    });
    const args = [
      ...['--repo', repo.bare, '--allow-file-urls', '--branch', 'main', '--path', 'audiences'],
      ...['--work-dir', repo.workDir, '--state', state, '--config', config, '--interval', '1h'],
    ];
    const ctl1 = await spec.start(args, { ...controllerEnv(em), PARTNER_SECRET: DEMO_CLIENT.clientSecret });
    await statusWhen(
      ctl1,
      (s) => s.audiences.length === 2 && s.audiences.every((a) => a.state === 'in-sync'),
      'both audiences created',
    );
    await ctl1.stop();

    // One commit edits both; the partner secret is rotated before the controller applies it.
    const second = await repo.commit({
      'audiences/gold.yaml': manifestYaml('gold', {
        ingestion: { onCreate: false },
        spec: { description: 'About gold, edited' },
      }),
      'audiences/pgold.yaml': manifestYaml('pgold', {
        ...PGOLD,
        spec: { description: 'About pgold, edited' },
      }),
    });
    const ctl2 = await spec.start(args, { ...controllerEnv(em), PARTNER_SECRET: 'rotated-away-secret' });
    const status = await statusWhen(
      ctl2,
      (s) => s.reconcile.lastResult !== null && !s.reconcile.running,
      'the pass of the second commit',
    );
    expect(status.audiences.find((a) => a.key === 'pgold')?.state).toBe('blocked');
    expect(em.control.listAudiences(DEMO_CLIENT.orgId, 'partner').map((a) => a.description)).toEqual([
      'About pgold',
    ]);
    const meta = JSON.parse(await readFile(path.join(state, 'meta.json'), 'utf8')) as StateMeta;
    expect({ prod: meta.revisions?.['prod']?.commit, partner: meta.revisions?.['partner']?.commit }).toEqual({
      prod: second,
      partner: first,
    });
  }, 90_000);
});
