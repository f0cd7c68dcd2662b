import { execFile } from 'node:child_process';
import { readFile } from 'node:fs/promises';
import path from 'node:path';
import { promisify } from 'node:util';
import { describe, expect, it } from 'vitest';
import { parse } from 'yaml';
import { CLI, GIT_ENV, withTempDir, writeFiles } from '../helpers/cli.js';

const run = promisify(execFile);
const repoRoot = path.resolve(import.meta.dirname, '..', '..');

/**
 * REVIEW-34a L-2. The controller places manifests that name no sandbox in `aep.sandbox`
 * (`AEP_SANDBOX`; ci/ssh-existing-secret-values.yaml uses `dev`). The pull-request Action plans
 * them in `prod`: it has no input for the sandbox, and docs/deploy.md ("Pull-request plans") does
 * not say that `AEP_SANDBOX` must be set for it. Its comment then names every such audience in
 * the wrong sandbox, and its verdict can be wrong: a manifest without a sandbox and one with
 * `sandbox: prod` of the same `metadata.name` (two audiences for the controller on `dev`) fail
 * the check as a duplicate on every pull request (and the reverse, a real duplicate on `dev`,
 * passes it).
 *
 * The first case shows the two readings with the built CLI; the second fails until the Action
 * takes the sandbox (an input that reaches `AEP_SANDBOX` or `--sandbox`) or its docs say how.
 */
function manifest(name: string, sandbox?: string): string {
  return [
    'apiVersion: audiencectl/v1',
    'kind: ExternalAudience',
    'metadata:',
    `  name: ${name}`,
    ...(sandbox ? [`  sandbox: ${sandbox}`] : []),
    'spec:',
    '  name: Gold',
    '  fields:',
    '    - { name: email, type: string, identityNs: email }',
    `  sourceSpec: { path: crm/${name}.csv, type: file }`,
    '  originName: CUSTOM_UPLOAD',
    'ingestion:',
    '  onCreate: false',
    '',
  ].join('\n');
}

describe('the pull-request Action and the default sandbox', () => {
  it('plans a repository the controller on dev takes as valid as a failure when no sandbox is given', async () => {
    await withTempDir(async (dir) => {
      const git = (...args: string[]) => run('git', args, { cwd: dir, env: { ...process.env, ...GIT_ENV } });
      await git('init', '-q', '-b', 'main');
      await writeFiles(dir, { 'aud/gold-dev.yaml': manifest('gold') });
      await git('add', '-A');
      await git('commit', '-qm', 'base');
      await writeFiles(dir, { 'aud/gold-prod.yaml': manifest('gold', 'prod') });
      await git('add', '-A');
      await git('commit', '-qm', 'head');
      const plan = (env: NodeJS.ProcessEnv) =>
        run(process.execPath, [CLI, 'plan', 'aud', '--base', 'HEAD~1', '--detailed-exitcode'], {
          cwd: dir,
          env,
        }).then(
          () => 0,
          (error: { code: number }) => error.code,
        );
      const withoutSandbox = { ...process.env };
      delete withoutSandbox.AEP_SANDBOX;
      // The controller's reading (aep.sandbox dev): two audiences, changes pending.
      expect(await plan({ ...withoutSandbox, AEP_SANDBOX: 'dev' })).toBe(2);
      // The Action's: both in prod, a duplicate, the check fails.
      expect(await plan(withoutSandbox)).toBe(1);
    });
  });

  it('lets a workflow plan in the sandbox the controller uses', async () => {
    const action = parse(await readFile(path.join(repoRoot, 'action.yml'), 'utf8')) as {
      inputs: Record<string, unknown>;
      runs: { steps: { id?: string; run?: string; env?: Record<string, string> }[] };
    };
    const planStep = action.runs.steps.find((step) => step.id === 'plan');
    const takesIt =
      Object.keys(planStep?.env ?? {}).includes('AEP_SANDBOX') || (planStep?.run ?? '').includes('--sandbox');
    const deploy = await readFile(path.join(repoRoot, 'docs', 'deploy.md'), 'utf8');
    const section = deploy.slice(
      deploy.indexOf('## Pull-request plans'),
      deploy.indexOf('## Checking the chart'),
    );
    expect(takesIt || section.includes('AEP_SANDBOX')).toBe(true);
  });
});
