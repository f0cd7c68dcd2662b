import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { runCli } from '../helpers/cli.js';

/**
 * REVIEW-37d L-2. `run --repo 'https://github.com/acme/audiences.git?token=…'` is refused
 * ("its query carries a credential"). The same token after a `;` query separator
 * (`?ref=main;token=…`) or in the fragment (`#access_token=…`) was accepted: the controller
 * started, masked it in its own log lines, and sent the URL, token and all, to the git server
 * with every fetch. Both are refused as `?token=` is, without repeating the token.
 */
const started = /controller started/;
let tmp = '';
beforeEach(async () => {
  tmp = await mkdtemp(path.join(tmpdir(), 'repo-url-separators-'));
});
afterEach(async () => {
  await rm(tmp, { recursive: true, force: true });
});

describe('run: a credential in the repository URL after a ; separator or in the fragment', () => {
  it.each([
    ['https://github.invalid/acme/audiences.git?ref=main;token=ghpCANARY0201', 'ghpCANARY0201'],
    ['https://github.invalid/acme/audiences.git#access_token=ghpCANARY0203', 'ghpCANARY0203'],
    // refusals-38: a `;name=value` path parameter. git sends the path as written, with every
    // request (`/acme/audiences.git;token=…/info/refs`), keeps it in the clone's config and
    // on its command line, and the controller showed it unmasked (its log, /status).
    ['https://github.invalid/acme/audiences.git;token=ghpCANARY0209', 'ghpCANARY0209'],
    ['https://github.invalid/scm/acme;jsessionid=CANARY0210/audiences.git', 'CANARY0210'],
  ])('%s is refused like ?token=', async (repo, canary) => {
    const state = path.join(tmp, 'state');
    expect((await runCli(['init', '--state-only', '--state', state])).code).toBe(0);
    const result = await runCli(
      [
        ...['run', '--repo', repo],
        ...['--state', state, '--work-dir', path.join(tmp, 'work'), '--refresh-interval', '0'],
      ],
      { env: { AUDIENCECTL_LISTEN: '127.0.0.1:0', AUDIENCECTL_DRY_RUN: 'true' }, stopOn: started },
    );
    expect(result.stderr).not.toMatch(started);
    expect(result.code).toBe(1);
    expect(result.stderr).toContain('repository URL refused');
    expect(result.stdout + result.stderr).not.toContain(canary);
  });
});
