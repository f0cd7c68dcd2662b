import { randomUUID } from 'node:crypto';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { Writable } from 'node:stream';
import { inspect } from 'node:util';
import { afterAll, afterEach, beforeAll, describe, expect, it, onTestFinished } from 'vitest';
import { createAepClient } from '../../src/aep/client.js';
import type { AepClientOptions } from '../../src/aep/options.js';
import { loadAepConfig } from '../../src/config.js';
import { startEmulator, type RunningEmulator } from '../../src/emulator/index.js';
import { componentLogger, createLogger, registerSecret, type Logger } from '../../src/log.js';
import { GitSource } from '../../src/source/git-source.js';
import { createGitFixture } from '../source/helpers/git-fixture.js';
import { startHttpsGitServer } from '../source/helpers/https-git-server.js';
import { json, startFakeAep, type FakeAep } from './fake-aep.js';
import { createAndWait, spec } from './helpers.js';

// Unique values that must never leave the process in any output.
const SECRET = `canary-secret-${randomUUID()}`;
const WRONG_SECRET = `canary-wrong-${randomUUID()}`;
const CONFIG_SECRET = `canary-config-${randomUUID()}`;
const TOKEN_PREFIX = `canary-token-${randomUUID()}`;
const URL_PASSWORD = `canaryurlpw${randomUUID()}`;
const URL_QUERY_SECRET = `canaryquery${randomUUID()}`;
// Secrets written where the configuration expects a name or a path.
const ENV_NAME_SECRET = `CanaryEnvName${randomUUID().replace(/-/g, '')}`;
const FILE_PATH_SECRET = `canary-file-${randomUUID()}`;
const SANDBOX_KEY_SECRET = `Canary-Key-${randomUUID()}`;
const GIT_TOKEN = `canary-git-${randomUUID()}`;
const CANARIES = [
  SECRET,
  WRONG_SECRET,
  CONFIG_SECRET,
  TOKEN_PREFIX,
  URL_PASSWORD,
  URL_QUERY_SECRET,
  ENV_NAME_SECRET,
  FILE_PATH_SECRET,
  SANDBOX_KEY_SECRET,
  GIT_TOKEN,
];
/** Any JWT, such as the emulator's access tokens. */
const JWT = /eyJ[\w-]{10,}\.[\w-]{10,}\.[\w-]{10,}/;

const CLIENT = { clientId: 'canary-client', clientSecret: SECRET, orgId: 'CANARY0RG@AdobeOrg' };

const lines: string[] = [];
const capture = new Writable({
  write(chunk: Buffer, _encoding, done) {
    lines.push(chunk.toString('utf8'));
    done();
  },
});
const root: Logger = createLogger({ level: 'trace', destination: capture });
const errors: unknown[] = [];

/** Every string an error can show: message, stack, inspect() of it and of each cause. */
function errorText(error: unknown): string {
  const parts: string[] = [];
  let current: unknown = error;
  for (let depth = 0; current !== undefined && depth < 10; depth += 1) {
    parts.push(inspect(current, { depth: 10, showHidden: true }));
    if (current instanceof Error) parts.push(current.toString());
    if (current instanceof Error) parts.push(current.stack ?? '', JSON.stringify(current));
    current = current instanceof Error ? current.cause : undefined;
  }
  return parts.join('\n');
}

/** What an application does with a failure: keep it, and log it as the CLI and daemon would. */
async function expectFailure(promise: Promise<unknown>): Promise<unknown> {
  const error = await promise.then(
    () => undefined,
    (caught: unknown) => caught,
  );
  expect(error).toBeInstanceOf(Error);
  errors.push(error);
  root.error({ err: error }, 'Operation failed');
  return error;
}

let emulator: RunningEmulator;
let fake: FakeAep;
beforeAll(async () => {
  emulator = await startEmulator({ host: '127.0.0.1', port: 0, clients: [CLIENT], operationDelayMs: 5 });
  fake = await startFakeAep({ tokenPrefix: TOKEN_PREFIX });
});
afterAll(async () => {
  await emulator.close();
  await fake.close();
});

function client(overrides: AepClientOptions = {}) {
  return createAepClient({
    baseUrl: emulator.apiBaseUrl,
    imsUrl: emulator.imsUrl,
    defaultAccess: { credentials: CLIENT },
    retry: { baseDelayMs: 1, maxDelayMs: 5, limit: 1 },
    timeouts: { responseMs: 200 },
    logger: root,
    ...overrides,
  });
}

describe('canary secrets appear in no output', () => {
  // Each test's own output is checked after it (and must not be empty), so no test
  // depends on another having run.
  afterEach(() => {
    const texts = [lines.join(''), ...errors.map(errorText)];
    lines.length = 0;
    errors.length = 0;
    expect(texts.join('').length, 'the test produced output to check').toBeGreaterThan(0);
    for (const text of texts) {
      for (const canary of CANARIES) expect(text).not.toContain(canary);
      expect(text).not.toMatch(JWT);
    }
  });

  it('success paths', async () => {
    const aep = client();
    const audienceId = await createAndWait(aep, 'prod', spec());
    await aep.patchAudience('prod', audienceId, { description: 'changed' });
    await aep.startRun('prod', audienceId, { dataFilterStartTime: 0 });
    await aep.listRuns('prod', audienceId);
    await aep.deleteAudience('prod', audienceId);
  });

  it('bad credentials', async () => {
    const aep = client({ defaultAccess: { credentials: { ...CLIENT, clientSecret: WRONG_SECRET } } });
    await expectFailure(aep.getOperation('prod', 'x'));
  });

  it('a refused token (401), renewed, then refused again', async () => {
    fake.fallback(json(401, { error_code: '401013', message: 'Oauth token is not valid' }));
    const aep = client({ baseUrl: fake.apiBaseUrl, imsUrl: fake.imsUrl });
    await expectFailure(aep.getOperation('prod', 'x'));
    expect(fake.tokenRequests()).toBe(2);
  });

  it('an error answer that echoes the token and the secret', async () => {
    fake.fallback((request) =>
      json(500, { message: `bad header ${String(request.headers.authorization)} for secret ${SECRET}` }),
    );
    const aep = client({ baseUrl: fake.apiBaseUrl, imsUrl: fake.imsUrl });
    const error = await expectFailure(aep.createAudience('prod', spec()));
    expect((error as Error).message).toMatch(/\[REDACTED\]/);
  });

  it('a 404 page of a proxy that echoes the token and the secret where its words are cut', async () => {
    fake.fallback((request) => ({
      status: 404,
      // The message quotes the page's first 80 characters: the token straddles the cut.
      body: `<html><title>${'n'.repeat(60)}${String(request.headers.authorization)} ${SECRET}</title></html>`,
      headers: { 'content-type': 'text/html' },
    }));
    const aep = client({ baseUrl: fake.apiBaseUrl, imsUrl: fake.imsUrl });
    const error = await expectFailure(aep.deleteAudience('prod', 'x'));
    expect(error).toMatchObject({ code: 'AEP_UNEXPECTED_RESPONSE' });
    expect((error as Error).message).toContain('nnnnBearer [REDACTED]');
  });

  it('500, lost answers, timeouts, refused connections', async () => {
    const aep = client();
    emulator.control.queueFault({ kind: 'error500', endpoint: 'createAudience' });
    await expectFailure(aep.createAudience('prod', spec()));
    emulator.control.queueFault({ kind: 'responseLost', endpoint: 'createAudience' });
    await expectFailure(aep.createAudience('prod', spec()));
    emulator.control.setFaults({ slowMs: 1000 });
    emulator.control.queueFault({ kind: 'slow', endpoint: 'getOperation', count: 2 });
    await expectFailure(aep.getOperation('prod', 'x'));
    emulator.control.clearFaults();
    await expectFailure(client({ baseUrl: 'http://127.0.0.1:9/ais' }).getOperation('prod', 'x'));
    await expectFailure(client({ imsUrl: 'http://127.0.0.1:9/ims' }).getOperation('prod', 'x'));
  });

  it('configuration errors', () => {
    const dir = mkdtempSync(path.join(tmpdir(), 'audiencectl-canary-'));
    onTestFinished(() => rmSync(dir, { recursive: true, force: true }));
    const file = (name: string, text: string) => {
      writeFileSync(path.join(dir, name), text);
      return path.join(dir, name);
    };
    const attempts = [
      () =>
        loadAepConfig({
          configFile: file(
            'c.yaml',
            `sandboxes:\n  prod: { clientId: a, clientSecret: ${CONFIG_SECRET}, clientSecretEnv: X, orgId: O }\n  dev: { clientSecret: ${CONFIG_SECRET}, typo: 1 }\n`,
          ),
          env: { X: SECRET },
        }),
      () => loadAepConfig({ env: { AEP_CLIENT_SECRET: SECRET, AEP_BASE_URL: SECRET } }),
      () =>
        loadAepConfig({
          configFile: file(
            'names.yaml',
            `credentials: { clientId: a, orgId: O }\nsandboxes:\n  prod: { clientSecretEnv: ${ENV_NAME_SECRET} }\n  dev: { clientSecretFile: ${FILE_PATH_SECRET} }\n`,
          ),
          env: {},
        }),
      () =>
        loadAepConfig({
          configFile: file(
            'keys.yaml',
            `sandboxes:\n  ${SANDBOX_KEY_SECRET}: {}\n  qa: { ${SANDBOX_KEY_SECRET}: 1 }\n`,
          ),
          env: {},
        }),
    ];
    for (const load of attempts) {
      // The outcome is read outside the try: a load that succeeds fails the test.
      let refused: unknown;
      try {
        load();
      } catch (error) {
        refused = error;
      }
      expect(refused).toBeInstanceOf(Error);
      errors.push(refused);
      root.error({ err: refused }, 'Configuration refused');
    }
  });

  it('URLs with user info and secret query parameters', async () => {
    const base = `http://deployer:${URL_PASSWORD}@127.0.0.1:9/ais?sig=${URL_QUERY_SECRET}`;
    await expectFailure(client({ baseUrl: base }).getOperation('prod', 'x'));
    const ims = `http://deployer:${URL_PASSWORD}@127.0.0.1:9/ims?client_secret=${URL_QUERY_SECRET}`;
    const error = await expectFailure(client({ imsUrl: ims }).getOperation('prod', 'x'));
    expect((error as Error).message).toContain(
      'Cannot reach IMS at http://127.0.0.1:9/ims?client_secret=***',
    );
    root.warn({ url: base, imsUrl: ims }, 'URLs logged carelessly');
  });

  it('a git server that echoes the Basic credentials of a non-default user', async () => {
    const fixture = await createGitFixture();
    const server = await startHttpsGitServer(fixture.root, 'deploy-bot', GIT_TOKEN);
    try {
      await fixture.commit({ 'a.yaml': 'x: 1\n' });
      server.echo = ['deploy-bot:', 'a', 'ab', 'abc'];
      const source = new GitSource(
        {
          url: `${server.url}/remote.git`,
          workDir: fixture.workDir,
          token: GIT_TOKEN,
          tokenUsername: 'deploy-bot',
          caFile: server.caFile,
        },
        { logger: root },
      );
      const error = await expectFailure(source.sync());
      expect((error as Error).message).toContain('remote error: you sent Basic ***');
    } finally {
      await server.close();
      await fixture.cleanup();
    }
  });

  it('a long-running process that registered many access tokens since the client secret', () => {
    for (let index = 0; index < 600; index += 1)
      registerSecret(`access-token-${index}-${randomUUID()}`, 'token');
    root.warn(`Late message with ${SECRET} and ${GIT_TOKEN}`);
    root.warn({ basic: Buffer.from(`someone:${GIT_TOKEN}`).toString('base64') }, 'Late basic');
  });

  it('values logged carelessly are scrubbed too', () => {
    const log = componentLogger(root, 'careless', { sandbox: 'prod' });
    log.info({ clientSecret: SECRET, nested: { deeper: { value: `x${SECRET}y` } } }, 'Values');
    log.info({ headers: { authorization: `Bearer ${TOKEN_PREFIX}-1-abcdefgh` } }, 'Headers');
    log.warn(`A message with ${SECRET} inside`);
  });

  it('the log lines stay useful: fixed messages, details in fields', async () => {
    await expectFailure(
      client({ defaultAccess: { credentials: { ...CLIENT, clientSecret: WRONG_SECRET } } }).getOperation(
        'prod',
        'x',
      ),
    );
    const parsed = lines.map((line) => JSON.parse(line) as Record<string, unknown>);
    expect(parsed.some((line) => line['msg'] === 'IMS refused the token request')).toBe(true);
    expect(parsed.some((line) => line['component'] === 'aep')).toBe(true);
  });
});
