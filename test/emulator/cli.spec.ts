import { spawn, type ChildProcess } from 'node:child_process';
import { once } from 'node:events';
import { readFile } from 'node:fs/promises';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { CLI, runCli, withTempDir } from '../helpers/cli.js';
import { withEmulator } from '../helpers/with-emulator.js';

type Finished = { code: number | null; stdout: string; stderr: string };

function cli(args: string[]): { child: ChildProcess; output: () => { stdout: string; stderr: string } } {
  const child = spawn(process.execPath, [CLI, 'emulator', ...args], {
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let stdout = '';
  let stderr = '';
  child.stdout?.on('data', (chunk: Buffer) => (stdout += chunk.toString()));
  child.stderr?.on('data', (chunk: Buffer) => (stderr += chunk.toString()));
  return { child, output: () => ({ stdout, stderr }) };
}

async function finish(args: string[]): Promise<Finished> {
  const { child, output } = cli(args);
  const [code] = (await once(child, 'exit')) as [number | null];
  return { code, ...output() };
}

async function waitForUrl(output: () => { stdout: string }): Promise<string> {
  const deadline = Date.now() + 15_000;
  for (;;) {
    const match = /listening on (http:\/\/\S+)/.exec(output().stdout);
    if (match?.[1]) return match[1];
    if (Date.now() > deadline) throw new Error(`No URL printed: ${output().stdout}`);
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
}

function expectNoStack(text: string): void {
  expect(text).not.toMatch(/\n\s+at /);
}

describe('audiencectl emulator (CLI)', () => {
  it('prints the URL and demo credentials, serves IMS and the API, and stops on SIGTERM', async () => {
    // The newest readings and guardrail windows, each set away from its default.
    const { child, output } = cli([
      ...['--port', '0', '--admin', '--rate-limit', '50/s'],
      ...['--runs-per-audience-window', 'lifetime', '--runs-per-day-window', 'utc-day'],
      ...['--millisecond-timestamps', 'refused', '--runs-list-page', 'omitted', '--delete-path', 'slash'],
      ...['--run-time-unit', 'milliseconds', '--run-created-at', 'audience', '--runs-list-cut', 'page'],
    ]);
    const url = await waitForUrl(output);
    expect(output().stdout).toContain('audiencectl-demo');
    expect(output().stdout).toContain('demo-secret-not-for-production');
    const token = await fetch(`${url}/ims/token/v3`, {
      method: 'POST',
      headers: { 'content-type': 'application/x-www-form-urlencoded' },
      body: 'grant_type=client_credentials&client_id=audiencectl-demo&client_secret=demo-secret-not-for-production',
    });
    expect(token.status).toBe(200);
    // The banner's exports, pasted into sh, point audiencectl at it (written out here, not read
    // from the code): init's credentials check gets a token from this emulator.
    const exports = [
      `  export AEP_BASE_URL=${url}/data/core/ais AEP_IMS_URL=${url}/ims/token/v3`,
      '  export AEP_CLIENT_ID=audiencectl-demo AEP_CLIENT_SECRET=demo-secret-not-for-production AEP_ORG_ID=DEMO0RG0000000000000000@AdobeOrg',
    ].join('\n');
    expect(output().stdout).toContain(`${exports}\n`);
    const unset = ['AEP_BASE_URL', 'AEP_IMS_URL', 'AEP_CLIENT_ID', 'AEP_CLIENT_SECRET', 'AEP_ORG_ID'];
    const init = await withTempDir((dir) =>
      runCli(['init', '--state', path.join(dir, 'state')], {
        shellFirst: exports,
        env: { ...Object.fromEntries(unset.map((name) => [name, undefined])), AUDIENCECTL_CONFIG: undefined },
      }),
    );
    expect(init).toMatchObject({ code: 0, stderr: '' });
    expect(init.stdout).toContain(
      `Credentials: IMS at ${url}/ims/token/v3 issued a token to client audiencectl-demo`,
    );
    const settings = (await (await fetch(`${url}/_emulator/settings`)).json()) as Record<string, unknown>;
    expect(settings).toMatchObject({
      rateLimit: { perSecond: 50 },
      operationDelayMs: 500,
      runStageDelayMs: 1000,
      guardrails: { runsPerAudienceWindow: 'lifetime', runsPerDayWindow: 'utc-day' },
      compat: {
        millisecondTimestamps: 'refused',
        runsListPage: 'omitted',
        deletePath: 'slash',
        runTimeUnit: 'milliseconds',
        runCreatedAt: 'audience',
        runsListCut: 'page',
      },
    });
    child.kill('SIGTERM');
    const [code] = (await once(child, 'exit')) as [number | null];
    expect(code).toBe(0);
    expect(output().stdout).toContain('stopping');
  });

  it('never prints the secret of a configured client nor a token, even with --log', async () => {
    const org = 'CIORG000000000000000000@AdobeOrg';
    const { child, output } = cli(['--port', '0', '--log', '--client', `ci-bot:very-secret-value:${org}`]);
    const url = await waitForUrl(output);
    const issued = await fetch(`${url}/ims/token/v3`, {
      method: 'POST',
      headers: { 'content-type': 'application/x-www-form-urlencoded' },
      body: `grant_type=client_credentials&client_id=ci-bot&client_secret=very-secret-value`,
    });
    const { access_token: token } = (await issued.json()) as { access_token: string };
    const lookup = await fetch(`${url}/data/core/ais/external-audiences/operations/x`, {
      headers: {
        authorization: `Bearer ${token}`,
        'x-api-key': 'ci-bot',
        'x-gw-ims-org-id': org,
        'x-sandbox-name': 'prod',
      },
    });
    expect(lookup.status).toBe(404);
    // A secret in the query (a misconfigured AEP_IMS_URL): its value is masked in the log.
    const queried = await fetch(`${url}/ims/token/v3?client_secret=query-secret-canary-5e1&x=1`, {
      method: 'POST',
      headers: { 'content-type': 'application/x-www-form-urlencoded' },
      body: `grant_type=client_credentials&client_id=ci-bot&client_secret=very-secret-value`,
    });
    expect(queried.status).toBe(200);
    child.kill('SIGINT');
    await once(child, 'exit');
    const { stdout, stderr } = output();
    expect(stdout).toContain('ci-bot');
    expect(stdout).toContain(`  export AEP_CLIENT_ID=ci-bot AEP_ORG_ID=${org} AEP_CLIENT_SECRET=...   #`);
    expect(stdout).toContain('request completed');
    expect(stdout + stderr).not.toContain('very-secret-value');
    expect(stdout + stderr).not.toContain(token);
    expect(stdout + stderr).not.toContain('query-secret-canary');
    expect(stdout).toContain('"url":"/ims/token/v3?client_secret=***&x=1"');
  });

  it('--data-dir: the built CLI keeps its state in <dir>/emulator-state.json (docs/emulator.md)', async () => {
    await withTempDir(async (dir) => {
      const dataDir = path.join(dir, '.emulator');
      const { child, output } = cli(['--port', '0', '--data-dir', dataDir]);
      const exited = once(child, 'exit');
      const url = await Promise.race([waitForUrl(output), exited.then(() => output().stderr)]);
      expect(url, output().stderr).toMatch(/^http:/);
      expect(output().stdout).toContain(`Data:      ${dataDir}`);
      child.kill('SIGTERM');
      const [code] = (await exited) as [number | null];
      expect(output().stderr).toBe('');
      expect(code).toBe(0);
      const saved = JSON.parse(await readFile(path.join(dataDir, 'emulator-state.json'), 'utf8')) as object;
      expect(saved).toHaveProperty('audiences');
    });
  });

  // Concurrent: each spawns a process that only parses flags.
  it.concurrent.each([
    [['--port', 'eighty']],
    [['--fault-500', '2']],
    [['--rate-limit', 'fast']],
    [['--client', 'only-an-id']],
    // Malformed, with a secret in it: commander would quote the whole value.
    [['--client', 'ci-bot:client-secret-canary-7d41']],
  ])('refuses bad flags %j with exit code 1 and no stack trace', async (args) => {
    const result = await finish(args);
    expect(result.code).toBe(1);
    expect(result.stderr).toMatch(
      /^(Error: --fault-500: "2" is not a probability|Error: --rate-limit: "fast" is not requests per second|Error: --port: "eighty" is not a whole number|Error: --client: )[^\n]*\n$/,
    );
    expect(result.stderr).not.toContain('client-secret-canary');
    expectNoStack(result.stderr);
  });

  it('lists every bad reading or window flag at once, one line each naming the flag', async () => {
    const result = await finish([
      ...['--runs-per-audience-window', 'weekly', '--runs-per-day-window', 'month'],
      ...['--millisecond-timestamps', 'maybe', '--runs-list-page', 'sometimes'],
    ]);
    expect(result.code).toBe(1);
    expect(result.stderr).toBe(
      [
        'Error: 4 problems:',
        '  --runs-per-day-window: "month" is not one of day, utc-day',
        '  --runs-per-audience-window: "weekly" is not one of day, lifetime',
        '  --runs-list-page: "sometimes" is not one of included, omitted',
        '  --millisecond-timestamps: "maybe" is not one of accepted, refused',
        '',
      ].join('\n'),
    );
  });

  it('reports a busy port as a user error, without a stack trace', async () => {
    await withEmulator({}, async (emulator) => {
      const port = new URL(emulator.url).port;
      const result = await finish(['--port', port]);
      expect(result.code).toBe(1);
      expect(result.stderr).toBe(
        `Error: --port: cannot listen on 127.0.0.1:${port}: the port is in use (EADDRINUSE); pick another, or 0 for a free one.\n`,
      );
      expectNoStack(result.stderr);
    });
  });
});
