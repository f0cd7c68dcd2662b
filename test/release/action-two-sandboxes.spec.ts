import { execFile } from 'node:child_process';
import { chmod, mkdir, mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { parse } from 'yaml';
import { startFakeGitHub, type FakeGitHub } from '../action/fake-github.js';

/**
 * Review 36b, M-7. One directory of manifests that name no sandbox, applied by two controllers
 * (a dev cluster with aep.sandbox dev, a prod cluster with aep.sandbox prod). docs/deploy.md
 * says to give the Action the controller's sandbox, so the workflow uses it twice on the same
 * directory: `sandbox: dev` and `sandbox: prod`. Both uses found the same comment (the marker
 * named the directory only) and the second overwrote the first: the pull request showed one
 * sandbox's plan, and the other's (here its deletion) was shown to no reviewer.
 */
const repoRoot = fileURLToPath(new URL('../../', import.meta.url));
type Step = { name?: string; id?: string; run?: string; env?: Record<string, string> };
const action = parse(await readFile(path.join(repoRoot, 'action.yml'), 'utf8')) as {
  runs: { steps: Step[] };
  inputs: Record<string, { default?: string }>;
};
const step = (name: string): Step => action.runs.steps.find((s) => s.name === name) ?? {};
const TOKEN = 'ghs_review36b0123456789';

let dir: string;
let github: FakeGitHub;
beforeEach(async () => {
  dir = await mkdtemp(path.join(os.tmpdir(), 'audiencectl-36b-sandboxes-'));
  github = await startFakeGitHub('acme/audiences', TOKEN);
  // A stand-in audiencectl: the plan of the sandbox AEP_SANDBOX names.
  await mkdir(path.join(dir, 'bin'));
  await mkdir(path.join(dir, 'audiences'));
  await writeFile(
    path.join(dir, 'bin/audiencectl'),
    [
      '#!/usr/bin/env bash',
      'while [ $# -gt 0 ]; do if [ "$1" = --out ]; then out=$2; fi; shift; done',
      'if [ "$AEP_SANDBOX" = prod ]; then',
      '  printf "### audiencectl plan\\n\\n<details><summary><code>prod/gold</code>: - delete</summary>\\n\\n\\`\\`\\`diff\\n- delete: manifest removed\\n\\`\\`\\`\\n</details>\\n" > "$out"; exit 2',
      'fi',
      'printf "### audiencectl plan\\n\\n**No changes.** The audiences match the manifests.\\n" > "$out"; exit 0',
    ].join('\n'),
  );
  await chmod(path.join(dir, 'bin/audiencectl'), 0o755);
});
afterEach(async () => {
  await github.close();
  await rm(dir, { recursive: true, force: true });
});

function bash(script: string, env: Record<string, string>): Promise<number> {
  return new Promise((resolve) => {
    execFile(
      'bash',
      ['--noprofile', '--norc', '-eo', 'pipefail', '-c', script],
      { cwd: dir, env: { PATH: `${dir}/bin:${process.env.PATH ?? ''}`, ...env } },
      (error) => {
        let code = 0;
        if (error) code = typeof error.code === 'number' ? error.code : 1;
        resolve(code);
      },
    );
  });
}

/** A step's `env:` as the runner gives it, for these inputs and the Plan step's outputs. */
function stepEnv(
  s: Step,
  inputs: Record<string, string>,
  outputs: Record<string, string>,
): Record<string, string> {
  const context: Record<string, string> = {
    'github.base_ref': 'main',
    'github.event.pull_request.number': '7',
    'github.event.pull_request.head.sha': '0123456789abcdef0123456789abcdef01234567',
  };
  for (const [name, input] of Object.entries(action.inputs)) context[`inputs.${name}`] = input.default ?? '';
  for (const [name, value] of Object.entries(inputs)) context[`inputs.${name}`] = value;
  for (const [name, value] of Object.entries(outputs)) context[`steps.plan.outputs.${name}`] = value;
  return Object.fromEntries(
    Object.entries(s.env ?? {}).map(([name, value]) => [
      name,
      value.replace(/\$\{\{\s*([\w.-]+)\s*\}\}/g, (_, expression: string) => context[expression] ?? ''),
    ]),
  );
}

/** One use of the Action: its Plan step, then its comment step. */
async function use(inputs: Record<string, string>): Promise<void> {
  const outputsFile = path.join(dir, `outputs-${inputs.sandbox}`);
  await writeFile(outputsFile, '');
  const runner = {
    RUNNER_TEMP: dir,
    GITHUB_OUTPUT: outputsFile,
    GITHUB_STEP_SUMMARY: path.join(dir, 'summary'),
    GITHUB_ACTION_PATH: repoRoot,
    GITHUB_REPOSITORY: 'acme/audiences',
    GITHUB_API_URL: github.url,
  };
  const plan = step('Plan');
  expect(await bash(plan.run ?? '', { ...runner, ...stepEnv(plan, { ...inputs, base: 'main' }, {}) })).toBe(
    0,
  );
  const outputs = Object.fromEntries(
    (await readFile(outputsFile, 'utf8'))
      .trim()
      .split('\n')
      .map((line) => [line.slice(0, line.indexOf('=')), line.slice(line.indexOf('=') + 1)]),
  );
  const comment = step('Comment on the pull request');
  const env = { ...runner, ...stepEnv(comment, inputs, outputs), GITHUB_TOKEN: TOKEN };
  expect(await bash(comment.run ?? '', env)).toBe(0);
}

describe('the Action used twice on one directory, once per sandbox', () => {
  it("keeps both sandboxes' plans on the pull request", async () => {
    await use({ directory: 'audiences', sandbox: 'prod' });
    expect((github.comments.get('7') ?? []).map((c) => c.body).join('\n')).toContain(
      '<code>prod/gold</code>: - delete',
    );
    await use({ directory: 'audiences', sandbox: 'dev' });
    const bodies = (github.comments.get('7') ?? []).map((c) => c.body);
    // Was one comment, the dev plan's "no changes": prod's delete gone from the pull request.
    expect(bodies.filter((body) => body.includes('<code>prod/gold</code>: - delete'))).toHaveLength(1);
    expect(bodies).toHaveLength(2);
    // Each names its sandbox, in the hidden marker and in the title.
    expect(bodies[0]).toMatch(
      /^<!-- audiencectl-plan \(sandbox prod\): audiences -->\n\*\*audiencectl plan\*\* in `audiences` \(sandbox `prod`\): changes pending\n/,
    );
    expect(bodies[1]).toMatch(
      /^<!-- audiencectl-plan \(sandbox dev\): audiences -->\n\*\*audiencectl plan\*\* in `audiences` \(sandbox `dev`\): no changes\n/,
    );
    // The next push edits each use's own comment.
    await use({ directory: 'audiences', sandbox: 'prod' });
    expect((github.comments.get('7') ?? []).map((c) => c.body)).toEqual(bodies);
    expect(github.requests.filter((r) => r.method === 'PATCH').map((r) => r.path)).toEqual([
      '/repos/acme/audiences/issues/comments/1001',
    ]);
  });
});
