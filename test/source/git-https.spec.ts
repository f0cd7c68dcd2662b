import { readFile, readdir, stat } from 'node:fs/promises';
import path from 'node:path';
import { Writable } from 'node:stream';
import { inspect } from 'node:util';
import { pino } from 'pino';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { SourceSyncError } from '../../src/source/errors.js';
import { GitSource } from '../../src/source/git-source.js';
import { createGitFixture, type GitFixture } from './helpers/git-fixture.js';
import { startHttpsGitServer, type HttpsGitServer } from './helpers/https-git-server.js';

const CANARY = 'ghp_CANARY7f3e9a1b2c4d6e8f0a1b2c3d4e5f6a7b8';
const WRONG = 'ghp_WRONGCANARY0000000000000000000000000000';

let fx: GitFixture;
let server: HttpsGitServer;
let sha: string;

function capture(): { logger: pino.Logger; text: () => string } {
  const lines: string[] = [];
  const stream = new Writable({
    write(chunk: Buffer, _encoding, done) {
      lines.push(chunk.toString());
      done();
    },
  });
  return { logger: pino({ level: 'trace' }, stream), text: () => lines.join('') };
}

/** Every file under dir, concatenated: the token must not be written anywhere. */
async function allFileText(dir: string): Promise<string> {
  let text = '';
  for (const entry of await readdir(dir, { recursive: true })) {
    const file = path.join(dir, entry);
    if ((await stat(file)).isFile()) text += await readFile(file, 'latin1');
  }
  return text;
}

beforeAll(async () => {
  fx = await createGitFixture();
  sha = await fx.commit({ 'audiences/gold.yaml': 'name: gold\n' });
  server = await startHttpsGitServer(fx.root, 'x-access-token', CANARY);
});
afterAll(async () => {
  await server.close();
  await fx.cleanup();
});

describe('GitSource over HTTPS with a token', () => {
  it('authenticates with the token and never logs, stores or sends it in the URL', async () => {
    const logs = capture();
    const workDir = `${fx.workDir}-ok`;
    const src = new GitSource(
      { url: `${server.url}/remote.git`, workDir, token: CANARY, caFile: server.caFile, path: 'audiences' },
      { logger: logs.logger },
    );
    const result = await src.sync();
    expect(result.revision).toBe(sha);
    expect(await readdir(result.dir)).toEqual(['gold.yaml']);
    expect(server.authorized).toBeGreaterThan(0);
    expect(logs.text()).toContain(sha);
    expect(logs.text()).not.toContain(CANARY);
    expect(await allFileText(workDir)).not.toContain(CANARY);
    for (const request of server.seen.filter((line) => !line.startsWith('{'))) {
      expect(request).not.toContain(CANARY);
    }
  });

  it('reports refused credentials as SOURCE_AUTH_FAILED without the token', async () => {
    const logs = capture();
    const src = new GitSource(
      { url: `${server.url}/remote.git`, workDir: `${fx.workDir}-bad`, token: WRONG, caFile: server.caFile },
      { logger: logs.logger },
    );
    const error: unknown = await src.sync().catch((e: unknown) => e);
    expect(error).toBeInstanceOf(SourceSyncError);
    expect((error as SourceSyncError).code).toBe('SOURCE_AUTH_FAILED');
    const everything = [
      (error as Error).message,
      (error as Error).stack,
      inspect(error, { depth: 10 }),
      JSON.stringify(error),
      logs.text(),
    ].join('\n');
    expect(everything).toContain('credentials');
    expect(everything).not.toContain(WRONG);
    expect(everything).not.toContain(Buffer.from(`x-access-token:${WRONG}`).toString('base64'));
  });

  it('scrubs credentials a server echoes back, whatever the user name and base64 alignment', async () => {
    const logs = capture();
    server.echo = ['deploy-bot:', 'x', 'xy', 'xyz', '{"t":"'];
    try {
      const src = new GitSource(
        {
          url: `${server.url}/remote.git`,
          workDir: `${fx.workDir}-echo`,
          token: CANARY,
          tokenUsername: 'deploy-bot',
          caFile: server.caFile,
        },
        { logger: logs.logger },
      );
      const error: unknown = await src.sync().catch((e: unknown) => e);
      expect(error).toBeInstanceOf(SourceSyncError);
      const message = (error as Error).message;
      // The server's words arrive (the test would prove nothing otherwise), the credentials do not.
      expect(message).toMatch(
        /remote error: you sent Basic \*\*\*; also \*\*\* \*\*\* \*\*\* \*\*\* \*\*\*$/,
      );
      const everything = [message, inspect(error, { depth: 10 }), logs.text()].join('\n');
      expect(everything).not.toContain(CANARY);
      for (const prefix of ['deploy-bot:', 'x', 'xy', 'xyz']) {
        const encoded = Buffer.from(`${prefix}${CANARY}`).toString('base64');
        expect(everything).not.toContain(encoded.slice(8, -4));
      }
    } finally {
      server.echo = undefined;
    }
  });

  it('verifies the server certificate', async () => {
    const src = new GitSource({
      url: `${server.url}/remote.git`,
      workDir: `${fx.workDir}-tls`,
      token: CANARY,
    });
    const error: unknown = await src.sync().catch((e: unknown) => e);
    expect((error as SourceSyncError).code).toBe('SOURCE_FETCH_FAILED');
    expect((error as Error).message).toMatch(/certificate|SSL/i);
    expect((error as Error).message).not.toContain(CANARY);
  });

  it('fails fast without prompting when no token is configured', async () => {
    const src = new GitSource({
      url: `${server.url}/remote.git`,
      workDir: `${fx.workDir}-none`,
      caFile: server.caFile,
    });
    const error: unknown = await src.sync().catch((e: unknown) => e);
    expect((error as SourceSyncError).code).toBe('SOURCE_AUTH_FAILED');
  });
});

describe('GitSource over SSH', () => {
  it('runs ssh with the configured key and reports a connection failure as typed', async () => {
    const keyFile = path.join(fx.root, 'id_test');
    const { writeFile } = await import('node:fs/promises');
    await writeFile(keyFile, 'not a real key\n', { mode: 0o600 });
    const src = new GitSource({
      url: 'ssh://git@127.0.0.1:1/repo.git',
      workDir: `${fx.workDir}-ssh`,
      sshKeyFile: keyFile,
    });
    const error: unknown = await src.sync().catch((e: unknown) => e);
    expect((error as SourceSyncError).code).toBe('SOURCE_FETCH_FAILED');
    expect((error as Error).message).toMatch(/ssh: connect to host 127\.0\.0\.1 port 1/);
  });

  it('refuses a key path that would break the ssh command before running git', () => {
    expect(() => new GitSource({ url: 'git@h:a/b.git', workDir: fx.workDir, sshKeyFile: "/k'x" })).toThrow(
      /must not contain quotes/,
    );
  });
});

describe('GitSource against a stalled server', () => {
  it('stops a fetch in progress when the signal is aborted', async () => {
    server.hang = true;
    try {
      const src = new GitSource({
        url: `${server.url}/remote.git`,
        workDir: `${fx.workDir}-abort`,
        caFile: server.caFile,
      });
      const controller = new AbortController();
      setTimeout(() => controller.abort(), 300);
      const error: unknown = await src.sync(controller.signal).catch((e: unknown) => e);
      expect((error as SourceSyncError).code).toBe('SOURCE_ABORTED');
      expect((error as Error).message).toMatch(/cancelled/);
    } finally {
      server.hang = false;
    }
  });

  it('gives up on a git process that stays silent past timeoutMs', async () => {
    server.hang = true;
    try {
      const src = new GitSource({
        url: `${server.url}/remote.git`,
        workDir: `${fx.workDir}-timeout`,
        caFile: server.caFile,
        timeoutMs: 500,
      });
      const error: unknown = await src.sync().catch((e: unknown) => e);
      expect((error as SourceSyncError).code).toBe('SOURCE_ABORTED');
      expect((error as Error).message).toMatch(/timed out/);
    } finally {
      server.hang = false;
    }
  });

  it('fetches shallowly when asked', async () => {
    await fx.commit({ 'audiences/silver.yaml': 'name: silver\n' });
    const head = await fx.commit({ 'audiences/bronze.yaml': 'name: bronze\n' });
    const workDir = `${fx.workDir}-shallow`;
    const src = new GitSource({
      url: `${server.url}/remote.git`,
      workDir,
      token: CANARY,
      caFile: server.caFile,
      depth: 1,
    });
    const result = await src.sync();
    expect(result.revision).toBe(head);
    expect((await readdir(path.join(result.dir, 'audiences'))).sort()).toEqual([
      'bronze.yaml',
      'gold.yaml',
      'silver.yaml',
    ]);
    expect(await readFile(path.join(workDir, 'repo', '.git', 'shallow'), 'utf8')).toContain(head);
  });
});
