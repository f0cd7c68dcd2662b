import { execFile } from 'node:child_process';
import { mkdir, readFile, symlink, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { DEMO_CLIENT, DEMO_SANDBOX } from '../../src/emulator/index.js';
import { CLI } from '../helpers/cli.js';
import { manifestObject, manifestYaml } from '../helpers/manifests.js';
import { controllerEnv, eventuallyLogged } from './helpers/controller.js';
import { controllerSpec } from './helpers/controller-spec.js';

const repoRoot = path.resolve(import.meta.dirname, '..', '..');

/**
 * REVIEW-34a L-4. The chart's file state lives on a volume only the controller's pod mounts, so
 * docs/deploy.md ("Repairing the file state") repairs it from inside the pod, beside the running
 * controller: `kubectl exec deploy/audiencectl -- audiencectl state …` with the container's
 * environment (AUDIENCECTL_STATE_DIR, the AEP credentials) and no --state. The controller takes
 * a directory store's lock for a pass only, so the repair runs (or waits, --lock-timeout) and the
 * next pass uses what it wrote. Here: the built CLI with the controller's own environment.
 */
/** The section's commands: the id's assignment, then each `kubectl exec`'s command after `--`. */
async function documentedCommands(): Promise<{
  setup: string;
  list: string;
  forget: string;
  importBack: string;
}> {
  const docs = await readFile(path.join(repoRoot, 'docs', 'deploy.md'), 'utf8');
  const section = docs.slice(
    docs.indexOf('### Repairing the file state'),
    docs.indexOf('### Egress through a proxy'),
  );
  const lines = section.split('\n');
  const prefix = /^kubectl -n audiencectl exec (-i )?deploy\/audiencectl -- /;
  const commands = lines.filter((line) => prefix.test(line)).map((line) => line.replace(prefix, ''));
  expect(commands).toHaveLength(3);
  const [list = '', forget = '', importBack = ''] = commands;
  expect(list).toBe('audiencectl state list');
  expect(forget).toMatch(/^audiencectl state forget gold /);
  expect(importBack).toMatch(/audiencectl state import gold /);
  return { setup: lines.find((line) => line.startsWith('AUDIENCE_ID=')) ?? '', list, forget, importBack };
}

function shell(
  script: string,
  options: { cwd: string; env: Record<string, string> },
): Promise<{ code: number; stdout: string; stderr: string }> {
  return new Promise((resolve) => {
    execFile('sh', ['-c', script], options, (error, stdout, stderr) => {
      let code = 0;
      if (error) code = typeof error.code === 'number' ? error.code : 1;
      resolve({ code, stdout, stderr });
    });
  });
}

const spec = controllerSpec('audiencectl-file-repair-');

/** The pod's `audiencectl`: a link to the built CLI on the PATH, as the image links it. */
async function podPath(dir: string): Promise<string> {
  const bin = path.join(dir, 'bin');
  await mkdir(bin);
  await symlink(CLI, path.join(bin, 'audiencectl'));
  return `${bin}:${process.env.PATH ?? ''}`;
}

describe('repairing a controller file state from its own environment', () => {
  it('forgets and imports back a record while the controller runs, and no audience is created twice', async () => {
    const { em, root } = await spec.setUp();
    const dir = path.join(root, 'manifests');
    const state = path.join(root, 'state');
    await mkdir(dir);
    await mkdir(state);
    await writeFile(path.join(dir, 'gold.yaml'), manifestYaml('gold', { ingestion: { onCreate: false } }));
    // The pod's: the state directory from the ConfigMap, the credentials from the Secret.
    const env = { ...controllerEnv(em), AUDIENCECTL_STATE_DIR: state, AUDIENCECTL_DRY_RUN: 'false' };
    const ctl = await spec.start(['--dir', dir, '--interval', '1h'], env);
    await eventuallyLogged(
      [ctl],
      () => ctl.status(),
      (s) => s.reconcile.lastResult === 'success',
      20_000,
    );
    const audiences = () => em.control.listAudiences(DEMO_CLIENT.orgId, DEMO_SANDBOX);
    const [gold, ...others] = audiences();
    expect(others).toEqual([]);
    const id = gold?.audienceId ?? '';
    expect(id).not.toBe('');

    // The docs' commands, each run as `kubectl exec` runs it in the pod: what follows `--`, by
    // a shell, with the container's environment and an `audiencectl` on the PATH linked to the
    // CLI as the image links it; from a checkout holding the manifest (the import reads it).
    const { setup, list, forget, importBack } = await documentedCommands();
    const podPathValue = await podPath(root);
    const checkout = path.join(root, 'checkout');
    await mkdir(path.join(checkout, 'audiences'), { recursive: true });
    await writeFile(
      path.join(checkout, 'audiences', 'gold.yaml'),
      manifestYaml('gold', { ingestion: { onCreate: false } }),
    );
    const inPod = (command: string) =>
      shell(`AUDIENCE_ID=${id}\n${command}`, {
        cwd: checkout,
        // A scratch directory the import makes (mktemp) goes into this test's own.
        env: { ...env, PATH: podPathValue, HOME: '/nonexistent', TMPDIR: root },
      });
    expect(setup).toMatch(/^AUDIENCE_ID=[0-9a-f-]{36}$/);

    const listed = await inPod(list);
    expect(listed.stderr).toBe('');
    expect(listed.stdout.split('\n')).toContain(`prod     gold  ${id}  ok      -`);
    const forgot = await inPod(forget);
    expect(forgot.code, forgot.stderr).toBe(0);
    expect(forgot.stdout.split('\n')[0]).toBe(
      `Forgot prod/gold (audience ${id}). The remote audience is untouched.`,
    );
    expect((await inPod(list)).stdout).not.toContain(id);
    const imported = await inPod(importBack);
    expect(imported.code, imported.stderr).toBe(0);
    expect((await inPod(list)).stdout.split('\n')).toContain(`prod     gold  ${id}  ok      -`);

    // The controller's next pass (a new manifest, seen by the watcher) takes the imported
    // record: gold is neither created again nor blocked.
    await writeFile(
      path.join(dir, 'silver.yaml'),
      manifestYaml('silver', { ingestion: { onCreate: false } }),
    );
    await eventuallyLogged(
      [ctl],
      () => ctl.status(),
      (s) => s.reconcile.lastResult === 'success' && s.audiences.length === 2,
      20_000,
    );
    const names = audiences()
      .map((audience) => audience.audienceName)
      .sort();
    expect(names).toEqual(['Audience gold', 'Audience silver']);
    expect(audiences().find((audience) => audience.audienceName === 'Audience gold')?.audienceId).toBe(id);
    const status = await ctl.status();
    expect(status.audiences.map((audience) => [audience.key, audience.state])).toEqual([
      ['gold', 'in-sync'],
      ['silver', 'in-sync'],
    ]);
  });

  it('imports into a record of the directory the git controller reads: a later removal deletes the audience', async () => {
    // REVIEW-docs-41 1. The import's record keeps the directory it read by its path in a git
    // work tree (sourceRoot); the docs once imported from a plain /tmp/repair, which the
    // controller, reading `audiences` of its checkout, held as another directory's removal,
    // for ever (no pass reads that folder), with a repair no controller user can run.
    const { em, root } = await spec.setUp();
    const fixture = await spec.gitFixture();
    const state = path.join(root, 'state');
    const env = { ...controllerEnv(em), AUDIENCECTL_STATE_DIR: state, AUDIENCECTL_DRY_RUN: 'false' };
    const noRun = { ingestion: { onCreate: false } };
    const audiences = () => em.control.listAudiences(DEMO_CLIENT.orgId, DEMO_SANDBOX);

    // What the repair is for: an audience of the manifest's name that no record holds.
    const { name, fields, sourceSpec, originName } = manifestObject('gold').spec;
    const existing = em.control.uiCreateAudience(
      DEMO_CLIENT.orgId,
      DEMO_SANDBOX,
      { name, fields, sourceSpec, originName },
      'someone@AdobeID',
    );
    await fixture.commit({ 'audiences/README.md': 'Audiences.\n' });
    const ctl = await spec.start(
      [
        ...['--repo', fixture.bare, '--allow-file-urls', '--branch', 'main', '--path', 'audiences'],
        ...['--work-dir', fixture.workDir, '--state', state, '--interval', '1s'],
      ],
      env,
    );
    // Beside it an audience that stays, so that removing gold's manifest empties no source.
    const added = await fixture.commit({
      'audiences/gold.yaml': manifestYaml('gold', noRun),
      'audiences/silver.yaml': manifestYaml('silver', noRun),
    });
    const blocked = await eventuallyLogged(
      [ctl],
      () => ctl.status(),
      (s) => s.reconcile.lastRevision === added,
      20_000,
      'the pass of the added manifests',
    );
    expect(blocked.audiences.find((a) => a.key === 'gold')).toMatchObject({ state: 'blocked' });

    // The documented import, from a checkout of the repository (the manifest on standard
    // input), in the pod's environment; its scratch directory in this test's own.
    const { setup, importBack } = await documentedCommands();
    expect(setup).toMatch(/^AUDIENCE_ID=[0-9a-f-]{36}$/);
    const checkout = path.join(root, 'checkout');
    const scratch = path.join(root, 'tmp');
    await mkdir(path.join(checkout, 'audiences'), { recursive: true });
    await mkdir(scratch);
    await writeFile(path.join(checkout, 'audiences', 'gold.yaml'), manifestYaml('gold', noRun));
    const imported = await shell(`AUDIENCE_ID=${existing.id}\n${importBack}`, {
      cwd: checkout,
      env: { ...env, PATH: await podPath(root), HOME: '/nonexistent', TMPDIR: scratch },
    });
    expect(imported.stderr).toBe('');
    expect(imported.code).toBe(0);
    expect(imported.stdout.split('\n')[0]).toBe(`Imported prod/gold: audience ${existing.id}.`);

    // The next commit removes the manifest: the audience is deleted, nothing held.
    const removed = await fixture.commit({ 'audiences/gold.yaml': null });
    const after = await eventuallyLogged(
      [ctl],
      () => ctl.status(),
      (s) => s.reconcile.lastRevision === removed,
      20_000,
      'the pass of the removal',
    );
    const plan = await fetch(`${ctl.url}/plan`).then((r) => r.text());
    expect(plan).not.toContain('Held (left alone)');
    expect(after.plan?.summary).toMatchObject({ delete: 1, held: 0, blocked: 0 });
    expect(audiences().map((a) => a.audienceName)).toEqual(['Audience silver']);
    expect(after.audiences.map((a) => a.key)).toEqual(['silver']);
  });
});
