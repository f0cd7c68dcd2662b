import { execFile } from 'node:child_process';
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { parse } from 'yaml';

/**
 * Review 36b, M-3. A pull request from a fork runs the documented workflow (`on: pull_request`)
 * with a read-only GITHUB_TOKEN whatever `permissions:` asks: GitHub lets it read the pull
 * request and its comments and refuses to write one (403 "Resource not accessible by
 * integration"). The comment step failed on it, so the check failed for a plan with no
 * changes (exit code 0), which README and docs/deploy.md say passes ("0 (no changes) and 2
 * (changes) pass"); the reason the check gave was GitHub's 403, not the plan.
 */
const repoRoot = fileURLToPath(new URL('../../', import.meta.url));
type Step = { name?: string; run?: string };
const action = parse(await readFile(path.join(repoRoot, 'action.yml'), 'utf8')) as {
  runs: { steps: Step[] };
};
const commentStep = action.runs.steps.find((s) => s.name === 'Comment on the pull request')?.run ?? '';

const HEAD = '0123456789abcdef0123456789abcdef01234567';

let dir: string;
let server: http.Server;
let url: string;
const seen: string[] = [];

beforeEach(async () => {
  dir = await mkdtemp(path.join(os.tmpdir(), 'audiencectl-36b-fork-'));
  seen.length = 0;
  // GitHub for a fork's pull request: reads answered, writes refused.
  server = http.createServer((request, response) => {
    seen.push(`${request.method} ${(request.url ?? '').split('?')[0]}`);
    const send = (status: number, body: unknown) =>
      response.writeHead(status, { 'content-type': 'application/json' }).end(JSON.stringify(body));
    request.resume();
    if (request.method === 'GET' && /^\/repos\/acme\/audiences\/issues\/7\/comments/.test(request.url ?? ''))
      return send(200, []);
    if (request.method === 'GET' && request.url === '/repos/acme/audiences/pulls/7')
      return send(200, { number: 7, state: 'open', head: { sha: HEAD, ref: 'patch-1' } });
    return send(403, {
      message: 'Resource not accessible by integration',
      documentation_url: 'https://docs.github.com/rest/issues/comments#create-an-issue-comment',
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  url = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
});
afterEach(async () => {
  await new Promise<void>((resolve) => server.close(() => resolve()));
  await rm(dir, { recursive: true, force: true });
});

describe("the Action on a fork's pull request (read-only token)", () => {
  it('does not fail the check of a plan with no changes because it may not comment', async () => {
    const planFile = path.join(dir, 'plan.md');
    await writeFile(planFile, '### audiencectl plan\n\n**No changes.** The audiences match the manifests.\n');
    await writeFile(path.join(dir, 'plan.stderr'), '');
    const result = await new Promise<{ code: number; stdout: string; stderr: string }>((resolve) => {
      execFile(
        'bash',
        ['--noprofile', '--norc', '-eo', 'pipefail', '-c', commentStep],
        {
          cwd: dir,
          env: {
            PATH: process.env.PATH ?? '',
            GITHUB_ACTION_PATH: repoRoot,
            GITHUB_TOKEN: 'ghs_fork0123456789',
            GITHUB_REPOSITORY: 'acme/audiences',
            GITHUB_API_URL: url,
            PR_NUMBER: '7',
            RUNNER_TEMP: dir,
            PLAN_FILE: planFile,
            PLAN_STDERR_FILE: path.join(dir, 'plan.stderr'),
            PLAN_EXIT_CODE: '0',
            PLAN_DIRECTORY: 'audiences',
            GITHUB_SHA: HEAD,
          },
        },
        (error, stdout, stderr) => {
          let code = 0;
          if (error) code = typeof error.code === 'number' ? error.code : 1;
          resolve({ code, stdout, stderr });
        },
      );
    });
    expect(seen).toContain('POST /repos/acme/audiences/issues/7/comments');
    // The step fails ("pr-comment: GitHub POST …: 403 …"): the job, and so the check, fails.
    expect(result.code, result.stderr).toBe(0);
    // Said in the log, as a warning the check's annotations show, with where the plan is.
    expect(result.stdout).toBe(
      "::warning::audiencectl plan: GitHub refused the pull-request comment (403): the token cannot write to this pull request (a fork's pull request gets a read-only token); the plan is in the job summary\n",
    );
    expect(result.stderr).toBe('');
  });
});
