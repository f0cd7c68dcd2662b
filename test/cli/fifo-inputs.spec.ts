import { spawn, execFileSync } from 'node:child_process';
import { mkdir, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { CLI, type CliResult } from '../helpers/cli.js';
import { manifestYaml } from '../helpers/manifests.js';
import { useTempDirs } from '../state/helpers.js';
import { usePostgres } from '../state/pg.js';

// A FIFO named where a file is expected (a flag's file, a config's clientSecretFile, a
// cache or the lock in the state directory) was opened and read: the command waited for
// a writer, printing nothing, forever. Each is refused by name now (a cache ignored), and
// the process ends. Spawned: only a process shows it ends, with no handle left open.

const tempDir = useTempDirs();
const postgres = usePostgres();

/** Only a guard against a hang, never a claim about speed: the child is killed after it. */
const HANG_GUARD_MS = 60_000;

type Guarded = CliResult & { hung: boolean };

function runGuarded(
  args: string[],
  cwd: string,
  env: Record<string, string | undefined> = {},
): Promise<Guarded> {
  return new Promise((resolve, reject) => {
    const merged = { ...process.env, NO_COLOR: '1', AEP_SANDBOX: undefined, ...env };
    const child = spawn(process.execPath, [CLI, ...args], {
      cwd,
      env: Object.fromEntries(Object.entries(merged).filter(([, v]) => v !== undefined)),
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let stdout = '';
    let stderr = '';
    let hung = false;
    const guard = setTimeout(() => {
      hung = true;
      child.kill('SIGKILL');
    }, HANG_GUARD_MS);
    child.stdout.on('data', (chunk: Buffer) => (stdout += chunk.toString()));
    child.stderr.on('data', (chunk: Buffer) => (stderr += chunk.toString()));
    child.on('error', reject);
    child.on('close', (code) => {
      clearTimeout(guard);
      resolve({ code: code ?? -1, stdout, stderr, hung });
    });
  });
}

/** Exit 1, nothing on stdout, and exactly `line` on stderr: one line, no stack trace. */
function expectRefused(result: Guarded, line: string): void {
  expect(result.hung, `killed after ${HANG_GUARD_MS} ms; it printed: ${result.stdout}${result.stderr}`).toBe(
    false,
  );
  expect([result.code, result.stdout, result.stderr]).toEqual([1, '', `Error: ${line}\n`]);
}

/** A directory with `fifo` (a named pipe), audiences/gold.yaml and an initialised directory store. */
async function workspace(): Promise<{ dir: string; fifo: string; store: string }> {
  const dir = await tempDir();
  const fifo = path.join(dir, 'fifo');
  execFileSync('mkfifo', [fifo]);
  await mkdir(path.join(dir, 'audiences'));
  await writeFile(path.join(dir, 'audiences', 'gold.yaml'), manifestYaml('gold'));
  const store = path.join(dir, 'state');
  await mkdir(path.join(store, 'audiences', 'prod'), { recursive: true });
  await writeFile(
    path.join(store, 'meta.json'),
    '{"schemaVersion":1,"lineage":"8d494feb-915e-4146-ae5c-dc61fe21d7de","serial":1}\n',
  );
  return { dir, fifo, store };
}

const FIFO = 'is a named pipe (FIFO), not a regular file';

describe('a FIFO given where a file is expected is refused by name, and the command ends', () => {
  it('--config', async () => {
    const { dir } = await workspace();
    const result = await runGuarded(['init', '--state', 'state', '--config', 'fifo'], dir);
    expectRefused(result, `Cannot read the configuration file fifo: it ${FIFO}.`);
  });

  it("a configuration's clientSecretFile", async () => {
    const { dir, fifo } = await workspace();
    await writeFile(
      path.join(dir, 'aep.yaml'),
      'credentials:\n  clientId: abc\n  orgId: ORG@AdobeOrg\n  clientSecretFile: fifo\n',
    );
    const result = await runGuarded(['init', '--state', 'state', '--config', 'aep.yaml'], dir);
    // One problem, one line: no knock-on "missing a client secret".
    expectRefused(
      result,
      `Invalid AEP configuration: aep.yaml:4:21 credentials.clientSecretFile: cannot read the secret from ${fifo}: it ${FIFO}`,
    );
  });

  it('run --http-token-file (AUDIENCECTL_HTTP_TOKEN_FILE, named so: review 32, L-3)', async () => {
    const { dir } = await workspace();
    const result = await runGuarded(
      ['run', '--dir', 'audiences', '--emulator', '--state', 'state', '--listen', '127.0.0.1:0'],
      dir,
      { AUDIENCECTL_HTTP_TOKEN_FILE: 'fifo' },
    );
    expectRefused(result, `AUDIENCECTL_HTTP_TOKEN_FILE: fifo ${FIFO}`);
  });

  it('run --git-ssh-key-file (its variable, named so), which ssh would read at each fetch', async () => {
    const { dir } = await workspace();
    execFileSync('git', ['init', '-q', 'repo'], { cwd: dir });
    const result = await runGuarded(
      ['run', '--repo', path.join(dir, 'repo'), '--allow-file-urls', '--emulator', '--state', 'state'],
      dir,
      { AUDIENCECTL_LISTEN: '127.0.0.1:0', AUDIENCECTL_GIT_SSH_KEY_FILE: 'fifo' },
    );
    expectRefused(result, `AUDIENCECTL_GIT_SSH_KEY_FILE: fifo ${FIFO}`);
  });

  it("the state directory's lock", async () => {
    const { dir, store } = await workspace();
    execFileSync('mkfifo', [path.join(store, 'lock')]);
    const result = await runGuarded(['state', 'forget', 'gold', '--state', 'state'], dir);
    expectRefused(result, `cannot read the state lock ${store}/lock: it ${FIFO}`);
  });

  it("a PostgreSQL URL's sslrootcert", async () => {
    const { dir, fifo } = await workspace();
    const url = `postgres://app@127.0.0.1:1/db?sslrootcert=${encodeURIComponent(fifo)}`;
    const result = await runGuarded(['state', 'list', '--state', url], dir);
    expectRefused(result, `cannot read ${fifo}, the state URL's sslrootcert: it ${FIFO}`);
  });

  it('--state-password-file, once the server asks for the password', async () => {
    const { dir, fifo } = await workspace();
    const url = new URL(await postgres.freshLocation());
    url.password = '';
    const result = await runGuarded(
      ['state', 'list', '--state', url.href, '--state-password-file', fifo],
      dir,
      { PGPASSWORD: undefined, PGPASSFILE: path.join(dir, 'no-pgpass') },
    );
    expectRefused(result, `--state-password-file: cannot read the state password file ${fifo}: it ${FIFO}`);
  });
});

describe('a FIFO in the place of a cache of the state directory', () => {
  it('is ignored, as a damaged cache is: the plan is made from the records and manifests', async () => {
    const { dir, store } = await workspace();
    execFileSync('mkfifo', [
      path.join(store, 'state-snapshot.jsonl'),
      path.join(store, 'manifest-cache.jsonl'),
    ]);
    const result = await runGuarded(['plan', 'audiences', '--state', 'state'], dir);
    expect(
      result.hung,
      `killed after ${HANG_GUARD_MS} ms; it printed: ${result.stdout}${result.stderr}`,
    ).toBe(false);
    expect(result.stderr).not.toMatch(/\n\s+at /);
    expect(result.code).toBe(0);
    expect(result.stdout).toContain(
      'Plan: 1 to create, 0 to update, 0 to replace, 0 to delete, 0 to forget, 1 run(s) to start',
    );
  });
});
