import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createAepClientFromConfig, describeAepConfig, loadAepConfig } from '../../src/config.js';
import { UsageError } from '../../src/errors.js';
import { DEMO_CLIENT, startEmulator, type RunningEmulator } from '../../src/emulator/index.js';
import { redactText } from '../../src/log.js';

const dir = mkdtempSync(path.join(tmpdir(), 'audiencectl-config-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));
function file(name: string, text: string): string {
  const full = path.join(dir, name);
  writeFileSync(full, text);
  return full;
}

function usageError(fn: () => unknown): UsageError {
  try {
    fn();
  } catch (error) {
    if (error instanceof UsageError) return error;
    throw error;
  }
  throw new Error('expected a UsageError');
}

const ENV = {
  AEP_CLIENT_ID: 'env-client',
  AEP_CLIENT_SECRET: 'env-secret-value',
  AEP_ORG_ID: 'ENV@AdobeOrg',
};

describe('from the environment alone', () => {
  it('gives one sandbox with the defaults', () => {
    const config = loadAepConfig({ env: { ...ENV, AEP_SANDBOX: 'dev' } });
    expect(config.defaultSandbox).toBe('dev');
    expect(Object.keys(config.sandboxes)).toEqual(['dev']);
    expect(config.sandboxes['dev']).toMatchObject({
      credentials: {
        clientId: 'env-client',
        clientSecret: 'env-secret-value',
        orgId: 'ENV@AdobeOrg',
        scopes: [
          'openid',
          'session',
          'AdobeID',
          'read_organizations',
          'additional_info.projectedProductContext',
        ],
        hints: { clientId: 'AEP_CLIENT_ID', clientSecret: 'AEP_CLIENT_SECRET', orgId: 'AEP_ORG_ID' },
      },
      budget: { requests: 10, intervalMs: 1000, concurrency: 4 },
    });
    expect(config.defaultAccess?.credentials.clientId).toBe('env-client');
    expect(config.baseUrl).toBe('https://platform.adobe.io/data/core/ais');
    expect(config.imsUrl).toBe('https://ims-na1.adobelogin.com/ims/token/v3');
    expect(config.timeouts.requestMs).toBe(60_000);
    expect(config.retry.limit).toBe(4);
  });

  it('reads AEP_SCOPES, AEP_BASE_URL and AEP_IMS_URL; the default sandbox is prod', () => {
    const config = loadAepConfig({
      env: {
        ...ENV,
        AEP_SCOPES: 'openid, AdobeID ,openid',
        AEP_BASE_URL: 'http://localhost:1/x',
        AEP_IMS_URL: 'http://localhost:2/ims',
      },
    });
    expect(config.defaultSandbox).toBe('prod');
    expect(config.sandboxes['prod']?.credentials.scopes).toEqual(['openid', 'AdobeID']);
    expect(config.baseUrl).toBe('http://localhost:1/x');
    expect(config.imsUrl).toBe('http://localhost:2/ims');
  });

  it('names the missing variables', () => {
    const error = usageError(() => loadAepConfig({ env: { AEP_CLIENT_ID: 'x' } }));
    expect(error.exitCode).toBe(1);
    expect(error.code).toBe('CONFIG_INVALID');
    expect(error.message).toMatch(/AEP_CLIENT_SECRET, AEP_ORG_ID: not set/);
  });

  it('refuses malformed variables', () => {
    const error = usageError(() =>
      loadAepConfig({ env: { ...ENV, AEP_BASE_URL: 'platform.adobe.io', AEP_SANDBOX: 'Prod' } }),
    );
    expect(error.message).toMatch(/AEP_SANDBOX: must be lowercase/);
    expect(error.message).toMatch(/AEP_BASE_URL: must be an http\(s\) URL/);
  });
});

describe('from a file', () => {
  it('reads several sandboxes, each with its credentials and budget; env fills the gaps', () => {
    file('prod.secret', 'prod-file-secret\n');
    const configFile = file(
      'several.yaml',
      `# audiencectl configuration
defaultSandbox: prod
credentials:
  clientId: shared-client
  clientSecretEnv: SHARED_SECRET
budget: { requests: 20, intervalMs: 2000 }
timeouts: { requestMs: 20000 }
retry: { limit: 2 }
sandboxes:
  prod:
    clientId: prod-client
    clientSecretFile: prod.secret
    orgId: PROD@AdobeOrg
    budget: { concurrency: 8 }
  dev: {}
  qa:
`,
    );
    const config = loadAepConfig({
      configFile,
      env: { SHARED_SECRET: 'shared-secret-value', AEP_ORG_ID: 'ENV@AdobeOrg' },
    });
    expect(Object.keys(config.sandboxes).sort()).toEqual(['dev', 'prod', 'qa']);
    expect(config.sandboxes['prod']).toMatchObject({
      credentials: {
        clientId: 'prod-client',
        clientSecret: 'prod-file-secret',
        orgId: 'PROD@AdobeOrg',
        hints: {
          clientId: 'sandboxes.prod.clientId in several.yaml',
          orgId: 'sandboxes.prod.orgId in several.yaml',
        },
      },
      budget: { requests: 20, intervalMs: 2000, concurrency: 8 },
    });
    expect(config.sandboxes['prod']?.credentials.hints?.clientSecret).toMatch(
      /prod\.secret \(sandboxes\.prod\.clientSecretFile in several\.yaml\)/,
    );
    expect(config.sandboxes['dev']).toMatchObject({
      credentials: {
        clientId: 'shared-client',
        clientSecret: 'shared-secret-value',
        orgId: 'ENV@AdobeOrg',
        hints: { orgId: 'AEP_ORG_ID' },
      },
      budget: { requests: 20, intervalMs: 2000, concurrency: 4 },
    });
    expect(config.timeouts).toMatchObject({ requestMs: 20_000, connectMs: 5000 });
    expect(config.retry).toMatchObject({ limit: 2, baseDelayMs: 300 });
    expect(config.warnings).toEqual([]);
    expect(redactText('prod-file-secret and shared-secret-value')).toBe('[REDACTED] and [REDACTED]');
    expect(JSON.stringify(describeAepConfig(config))).not.toMatch(/prod-file-secret|shared-secret-value/);
  });

  it('reads JSON too, and warns about a secret written in the file', () => {
    const configFile = file(
      'inline.json',
      JSON.stringify({
        sandboxes: { prod: { clientId: 'c', clientSecret: 'inline-secret-value', orgId: 'O@AdobeOrg' } },
      }),
    );
    const config = loadAepConfig({ configFile, env: {} });
    expect(config.sandboxes['prod']?.credentials.clientSecret).toBe('inline-secret-value');
    expect(config.warnings).toEqual([
      'sandboxes.prod.clientSecret in inline.json: a secret written in the configuration file; prefer clientSecretEnv or clientSecretFile.',
    ]);
    // Listed sandboxes only: no shared credentials, so no default access for others.
    expect(config.defaultAccess).toBeUndefined();
  });

  it('the file wins over the environment', () => {
    const configFile = file(
      'wins.yaml',
      'baseUrl: https://file.example/ais\ncredentials: { clientId: file-client }\n',
    );
    const config = loadAepConfig({ configFile, env: { ...ENV, AEP_BASE_URL: 'https://env.example/ais' } });
    expect(config.baseUrl).toBe('https://file.example/ais');
    expect(config.sandboxes['prod']?.credentials).toMatchObject({
      clientId: 'file-client',
      clientSecret: 'env-secret-value',
    });
  });
});

describe('clear errors: file, line, column and key', () => {
  it('unknown keys, wrong types, bad sandbox names: all reported at once', () => {
    const configFile = file(
      'bad.yaml',
      `credentials:
  clientId: c
  clientSecretEnv: SECRET
  orgId: O@AdobeOrg
sandboxs: {}
budget:
  requests: 0
sandboxes:
  Prod: {}
  dev:
    budget: { concurrency: two }
`,
    );
    const error = usageError(() => loadAepConfig({ configFile, env: { SECRET: 'secret-value-1' } }));
    expect(error.code).toBe('CONFIG_INVALID');
    expect(error.exitCode).toBe(1);
    expect(error.message.split('\n')).toEqual([
      `Invalid AEP configuration (from ${configFile} and the environment):`,
      `  ${configFile}:5:1 (top level): unknown key "sandboxs"`,
      `  ${configFile}:7:13 budget.requests: must be at least 1`,
      `  ${configFile}:9:3 sandboxes.Prod: invalid name "Prod": must be lowercase letters, digits and "-", at most 63`,
      `  ${configFile}:11:28 sandboxes.dev.budget.concurrency: Invalid input: expected number, received string`,
    ]);
  });

  it('a sandbox name of 64 characters is refused, as in manifests and --sandbox (at most 63)', () => {
    const long = 'a'.repeat(64);
    const configFile = file('long.yaml', `defaultSandbox: ${long}\nsandboxes:\n  ${long}: {}\n`);
    const error = usageError(() => loadAepConfig({ configFile, env: {} }));
    expect(error.message.split('\n').slice(1)).toEqual([
      `  ${configFile}:1:17 defaultSandbox: must be lowercase letters, digits and "-", at most 63`,
      `  ${configFile}:3:3 sandboxes.${long}: invalid name "${long}": must be lowercase letters, digits and "-", at most 63`,
    ]);
    const fromEnv = usageError(() => loadAepConfig({ env: { AEP_SANDBOX: long } }));
    expect(fromEnv.message).toContain('AEP_SANDBOX: must be lowercase letters, digits and "-", at most 63');
    const credentials = { AEP_CLIENT_ID: 'c', AEP_CLIENT_SECRET: 'secret-value-2', AEP_ORG_ID: 'O@AdobeOrg' };
    const config = loadAepConfig({ env: { ...credentials, AEP_SANDBOX: 'a'.repeat(63) } });
    expect(config.defaultSandbox).toBe('a'.repeat(63));
  });

  it('a wait no timer can hold is refused as a number of ms as it is as a duration (at most 24d), naming its key', () => {
    // 2^31 ms and more: Node.js fires such a timer after 1 ms (TimeoutOverflowWarning), so
    // every call timed out at once.
    const configFile = file(
      'long-waits.yaml',
      `timeouts: { responseMs: 3000000000, requestMs: 2147483648, connectMs: 30d, socketMs: 2147483647 }
retry: { maxDelayMs: 2147483648 }
budget: { intervalMs: 9007199254740993 }
`,
    );
    const error = usageError(() => loadAepConfig({ configFile, env: ENV }));
    expect(error.code).toBe('CONFIG_INVALID');
    expect(error.message.split('\n')).toEqual([
      `Invalid AEP configuration (from ${configFile} and the environment):`,
      `  ${configFile}:1:25 timeouts.responseMs: 3000000000 is too long (at most 24d)`,
      `  ${configFile}:1:48 timeouts.requestMs: 2147483648 is too long (at most 24d)`,
      `  ${configFile}:1:71 timeouts.connectMs: "30d" is too long (at most 24d)`,
      `  ${configFile}:2:22 retry.maxDelayMs: 2147483648 is too long (at most 24d)`,
      `  ${configFile}:3:23 budget.intervalMs: 9007199254740992 is too long (at most 24d)`,
    ]);
    // The longest a timer holds, 2^31 - 1 ms, is taken, as 24d is.
    const longest = file('longest.yaml', 'timeouts: { responseMs: 2147483647, requestMs: 24d }\n');
    expect(loadAepConfig({ configFile: longest, env: ENV }).timeouts).toMatchObject({
      responseMs: 2_147_483_647,
      requestMs: 2_073_600_000,
    });
  });

  it('YAML syntax errors have a position', () => {
    const configFile = file('syntax.yaml', 'sandboxes:\n  prod: {\n');
    const error = usageError(() => loadAepConfig({ configFile, env: {} }));
    expect(error.message).toMatch(/syntax\.yaml:\d+:\d+ \(syntax\):/);
  });

  it('secrets that cannot be found', () => {
    const configFile = file(
      'secrets.yaml',
      `sandboxes:
  prod: { clientId: a, orgId: O@AdobeOrg, clientSecretEnv: NOT_SET_ANYWHERE }
  dev: { clientId: a, orgId: O@AdobeOrg, clientSecretFile: missing.secret }
  qa: { clientId: a, orgId: O@AdobeOrg, clientSecret: s-value-1, clientSecretEnv: X }
  stage: { clientId: a }
`,
    );
    const error = usageError(() => loadAepConfig({ configFile, env: {} }));
    expect(error.message).toMatch(
      /secrets\.yaml:2:\d+ sandboxes\.prod\.clientSecretEnv: environment variable NOT_SET_ANYWHERE is not set/,
    );
    expect(error.message).toMatch(
      /sandboxes\.dev\.clientSecretFile: no file at the path it gives \(relative paths start at .*; the path is not shown/,
    );
    expect(error.message).toMatch(
      /sandboxes\.qa\.clientSecret: give only one of clientSecret, clientSecretEnv and clientSecretFile/,
    );
    expect(error.message).toMatch(
      /sandboxes\.stage: sandbox "stage" is missing a client secret \(clientSecretEnv, clientSecretFile, AEP_CLIENT_SECRET or AEP_CLIENT_SECRET_FILE\) and an org id/,
    );
  });

  it('a config file that cannot be read', () => {
    const error = usageError(() => loadAepConfig({ configFile: path.join(dir, 'nope.yaml'), env: ENV }));
    expect(error.code).toBe('CONFIG_UNREADABLE');
    expect(error.message).toMatch(/Cannot read the configuration file .*nope\.yaml \(ENOENT\)/);
  });
});

describe('one problem, one line; no knock-on problems', () => {
  it('a single problem is one line, naming its place', () => {
    const configFile = file('one.yaml', 'sandboxs: {}\n');
    const error = usageError(() => loadAepConfig({ configFile, env: ENV }));
    expect(error.message).toBe(
      `Invalid AEP configuration: ${configFile}:1:1 (top level): unknown key "sandboxs"`,
    );
    const fromEnv = usageError(() =>
      loadAepConfig({ env: { AEP_CLIENT_ID: 'x', AEP_ORG_ID: 'O@AdobeOrg' } }),
    );
    expect(fromEnv.message).toBe(
      'Invalid AEP configuration: AEP_CLIENT_SECRET: not set: the AEP credentials come from AEP_CLIENT_ID, AEP_CLIENT_SECRET (or AEP_CLIENT_SECRET_FILE) and AEP_ORG_ID, or from a file given with --config',
    );
  });

  it('a secret named but not found is one problem: the sandbox is not also said to miss a secret', () => {
    const configFile = file(
      'named.yaml',
      `credentials:
  clientId: c
  orgId: O@AdobeOrg
  clientSecretFile: missing.secret
sandboxes:
  prod: {}
  dev: { clientSecretEnv: NOT_SET_ANYWHERE }
  qa: { clientSecretEnv: NOT_SET_EITHER, clientId: q }
`,
    );
    const error = usageError(() => loadAepConfig({ configFile, env: {} }));
    expect(error.message.split('\n')).toEqual([
      `Invalid AEP configuration (from ${configFile} and the environment):`,
      `  ${configFile}:4:21 credentials.clientSecretFile: no file at the path it gives (relative paths start at ${dir}; the path is not shown, in case it is a secret)`,
      `  ${configFile}:7:27 sandboxes.dev.clientSecretEnv: environment variable NOT_SET_ANYWHERE is not set`,
      `  ${configFile}:8:26 sandboxes.qa.clientSecretEnv: environment variable NOT_SET_EITHER is not set`,
    ]);
    // What else is missing is still said, without the secret.
    const orgless = file('orgless.yaml', 'credentials:\n  clientId: c\n  clientSecretFile: missing.secret\n');
    expect(
      usageError(() => loadAepConfig({ configFile: orgless, env: {} }))
        .message.split('\n')
        .slice(1),
    ).toEqual([
      `  ${orgless}:3:21 credentials.clientSecretFile: no file at the path it gives (relative paths start at ${dir}; the path is not shown, in case it is a secret)`,
      `  ${orgless}:2:3 credentials: sandbox "prod" is missing an org id (orgId, or AEP_ORG_ID); set it there, under "credentials:", or in the environment`,
    ]);
  });

  it('an unknown key whose name is not shown is counted in words', () => {
    const one = file('hidden-one.yaml', 'credentials:\n  s3cr3t-v4lue: 1\n');
    expect(usageError(() => loadAepConfig({ configFile: one, env: ENV })).message).toBe(
      `Invalid AEP configuration: ${one}:2:3 credentials: 1 unknown key (its name is not shown: it may hold a secret)`,
    );
    const mixed = file('hidden-mixed.yaml', 'credentials:\n  s3cr3t-v4lue: 1\n  extra: 2\n  t0k3n: 3\n');
    expect(usageError(() => loadAepConfig({ configFile: mixed, env: ENV })).message).toBe(
      `Invalid AEP configuration: ${mixed}:2:3 credentials: unknown keys "extra" and 2 more (their names are not shown: they may hold a secret)`,
    );
  });
});

describe('the client built from a configuration', () => {
  let emulator: RunningEmulator;
  beforeAll(async () => {
    emulator = await startEmulator({ host: '127.0.0.1', port: 0 });
  });
  afterAll(async () => {
    await emulator.close();
  });

  it('talks to each sandbox with its credentials', async () => {
    const configFile = file(
      'emulator.yaml',
      `baseUrl: ${emulator.apiBaseUrl}
imsUrl: ${emulator.imsUrl}
credentials:
  clientId: ${DEMO_CLIENT.clientId}
  clientSecretEnv: DEMO_SECRET
  orgId: ${DEMO_CLIENT.orgId}
sandboxes:
  prod: { budget: { requests: 50 } }
  dev: {}
`,
    );
    const config = loadAepConfig({ configFile, env: { DEMO_SECRET: DEMO_CLIENT.clientSecret } });
    const client = createAepClientFromConfig(config);
    for (const sandbox of ['prod', 'dev']) {
      await expect(client.getOperation(sandbox, 'x')).rejects.toMatchObject({ status: 404 });
    }
    const sandboxes = emulator.control.requestLog().map((entry) => entry.sandbox);
    expect(sandboxes).toContain('prod');
    expect(sandboxes).toContain('dev');
  });
});
