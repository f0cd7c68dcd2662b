import { describe, expect, it } from 'vitest';
import { helmBinaries, template } from './helm.js';

/** A configured, applying controller with its credentials in the chart's Secret. */
const SETUP = {
  git: { url: 'https://github.com/acme/audiences.git', auth: 'token' },
  aep: { orgId: 'ABC123DEF456@AdobeOrg' },
  secret: { gitToken: 't', aepClientId: 'id', aepClientSecret: 's' },
};
type Values = Record<string, unknown>;

function over(base: Values, override: Values): Values {
  const out: Values = { ...base };
  for (const [key, value] of Object.entries(override)) {
    const prior = out[key];
    const both = [prior, value].every((v) => typeof v === 'object' && v !== null && !Array.isArray(v));
    out[key] = both ? over(prior as Values, value as Values) : value;
  }
  return out;
}

/** helm 4 names a failing value `/a/b`, helm 3 `a.b`. */
function namesValue(stderr: string, dotted: string): boolean {
  return stderr.includes(`'/${dotted.replaceAll('.', '/')}'`) || stderr.includes(`${dotted}:`);
}

const SSH_KEY = '-----BEGIN OPENSSH PRIVATE KEY-----\nAAAA\n-----END OPENSSH PRIVATE KEY-----\n';

/** [what, values over SETUP, the value the schema names]. Each is a defect someone shipped or could. */
const REFUSED: [string, Values, string][] = [
  ['no AEP org for an applying controller', { aep: { orgId: '' } }, 'aep.orgId'],
  ['no AEP client id', { secret: { aepClientId: '' } }, 'secret.aepClientId'],
  [
    'no AEP client secret for a dry run that refreshes',
    { reconcile: { dryRun: true }, secret: { aepClientSecret: '' } },
    'secret.aepClientSecret',
  ],
  [
    'no AEP credentials for a dry run that refreshes every 3600 s',
    { reconcile: { dryRun: true, refreshInterval: 3600 }, secret: { aepClientId: '' } },
    'secret.aepClientId',
  ],
  ['a duration the app refuses (1.5h)', { git: { interval: '1.5h' } }, 'git.interval'],
  ['an empty duration', { reconcile: { resyncInterval: '' } }, 'reconcile.resyncInterval'],
  ['a duration with an unknown unit', { reconcile: { refreshInterval: '1w' } }, 'reconcile.refreshInterval'],
  [
    'SSH without known hosts',
    { git: { url: 'git@github.com:acme/a.git', auth: 'ssh' }, secret: { gitSshPrivateKey: SSH_KEY } },
    'git.knownHosts',
  ],
  ['a sandbox ending in "-"', { aep: { sandbox: 'dev-' } }, 'aep.sandbox'],
  ['a sandbox with "_"', { aep: { sandbox: 'dev_1' } }, 'aep.sandbox'],
  ['an upper-case sandbox', { aep: { sandbox: 'Prod' } }, 'aep.sandbox'],
  ['two replicas on the file state', { replicaCount: 2 }, 'replicaCount'],
  ['postgres without a state URL', { state: { backend: 'postgres' } }, 'secret.stateUrl'],
  [
    'a string for the schema migration toggle',
    { state: { backend: 'postgres', migrate: 'false' }, secret: { stateUrl: 'postgres://u:p@db:5432/a' } },
    'state.migrate',
  ],
  ['a digest in the tag', { image: { tag: `1.0@sha256:${'a'.repeat(64)}` } }, 'image.tag'],
  ['a malformed digest', { image: { digest: 'sha256:abc' } }, 'image.digest'],
  ['an option-looking branch', { git: { branch: '--upload-pack=x' } }, 'git.branch'],
  ['a sub-path leaving the repository', { git: { path: '../etc' } }, 'git.path'],
  ['a string for a boolean', { reconcile: { dryRun: 'yes' } }, 'reconcile.dryRun'],
  ['a port out of range', { service: { port: 70000 } }, 'service.port'],
  ['a bad volume size', { persistence: { size: 'lots' } }, 'persistence.size'],
  ['an org id without @AdobeOrg', { aep: { orgId: 'ABC123' } }, 'aep.orgId'],
];

/**
 * The values that may hold a secret, refused by the templates (values.schema.json leaves them
 * alone: helm 4 quotes a value its schema refuses), in one line naming the key and why, with or
 * without the schema: [what, values over SETUP, the message].
 */
const REFUSED_UNSHOWN: [string, Values, string][] = [
  [
    'a token in the git URL',
    { git: { url: 'https://x-access-token:ghp_abc@github.com/acme/a.git' } },
    'git.url holds a user or password before its host: https:// takes neither',
  ],
  [
    'a token as the git URL user',
    { git: { url: 'https://ghp_abc@github.com/acme/a.git' } },
    'git.url holds a user or password before its host: https:// takes neither',
  ],
  [
    'a token in the git URL query',
    { git: { url: 'https://gitlab.example.com/acme/a.git?private_token=glpat-abc' } },
    'git.url holds a credential in its query',
  ],
  [
    'a password in an ssh URL',
    { git: { url: 'ssh://git:secret@github.com/acme/a.git' } },
    'git.url holds a password after its user: ssh:// takes none',
  ],
  [
    'a password in an scp-like URL',
    { git: { url: 'deploy:secret@gitlab.com:acme/a.git' } },
    'git.url holds a password after its user: user@host:path takes none',
  ],
  ['a transport helper URL', { git: { url: 'ext::sh -c touch% /tmp/x' } }, 'git.url holds a blank'],
  [
    'a transport helper URL without blanks',
    { git: { url: 'ext::nc' } },
    'git.url must use https:// or ssh://',
  ],
  ['an http:// URL', { git: { url: 'http://github.com/a/b.git' } }, 'git.url must use https:// or ssh://'],
  [
    'a host starting with "-"',
    { git: { url: 'ssh://-oProxyCommand=x/a.git' } },
    'git.url is not a repository URL',
  ],
  [
    'an HTTP token shorter than the app accepts',
    { httpAuth: { enabled: true }, secret: { httpToken: 'short' } },
    'secret.httpToken must be at least 16 characters without blanks',
  ],
  [
    'a webhook secret shorter than the app accepts',
    { secret: { webhookSecret: ' short-secret \n' } },
    'secret.webhookSecret is shorter than 16 characters',
  ],
  [
    'a state URL of another scheme',
    { state: { backend: 'postgres' }, secret: { stateUrl: 'mysql://u:p@db/a' } },
    'secret.stateUrl must start with postgres:// or postgresql://',
  ],
];

/** Refused by the template helper too, for `--skip-schema-validation`: [what, values over SETUP, message]. */
const REFUSED_BY_HELPER: [string, Values, string][] = [
  ['no AEP org', { aep: { orgId: '' } }, 'aep.orgId is required'],
  [
    'no AEP credentials',
    { secret: { aepClientSecret: '' } },
    'set secret.aepClientId and secret.aepClientSecret',
  ],
  [
    'SSH without known hosts',
    { git: { url: 'git@github.com:acme/a.git', auth: 'ssh' }, secret: { gitSshPrivateKey: SSH_KEY } },
    'set git.knownHosts',
  ],
  ['two replicas on the file state', { replicaCount: 2 }, 'replicaCount > 1 needs state.backend postgres'],
  ['postgres without a state URL', { state: { backend: 'postgres' } }, 'set secret.stateUrl'],
  ['a webhook without its secret', { webhook: { enabled: true } }, 'set secret.webhookSecret'],
  ['a token on /status without the token', { httpAuth: { enabled: true } }, 'set secret.httpToken'],
];

/** Repository URLs the controller fetches, each form once: none may be refused by the URL checks. */
const ACCEPTED_URLS = [
  'https://github.com/acme/a.git',
  'https://gitlab.example.com:8443/acme/sub/a.git',
  'https://gitlab.example.com/acme/a%40b.git',
  'https://github.com/acme/a.git?ref=x',
  'ssh://git@github.com/acme/a.git',
  'ssh://git@github.com:2222/acme/a.git',
  'ssh://github.com/acme/a.git',
  'git@github.com:acme/a.git',
];

const ACCEPTED_DURATIONS = ['90', '500ms', '30s', '10m', '1h30m', '2d', '1d12h', '0'];

describe.each(helmBinaries())('helm $major refuses', (bin) => {
  it.concurrent('nothing in the base setup used below', async () => {
    const result = await template(bin, { values: SETUP });
    expect(result.stderr).toBe('');
    expect(result.code).toBe(0);
  });

  it.concurrent.each(REFUSED)('%s', async (_what, override, value) => {
    const result = await template(bin, { values: over(SETUP, override) });
    expect(result.code).not.toBe(0);
    expect(result.stderr).toContain("values don't meet the specifications of the schema");
    expect(namesValue(result.stderr, value), result.stderr).toBe(true);
  });

  it.concurrent.each(REFUSED_UNSHOWN)('%s, in one line naming the key', async (_what, override, message) => {
    for (const args of [[], ['--skip-schema-validation']]) {
      const result = await template(bin, { values: over(SETUP, override), args });
      expect(result.code).not.toBe(0);
      const [line] = result.stderr.split('\n');
      expect(line).toMatch(/^Error: execution error at \(audiencectl\/templates\/[a-z]+\.yaml:1:4\): /);
      expect(line).toContain(message);
    }
  });

  it.concurrent.each(REFUSED_BY_HELPER)('%s, even without the schema', async (_what, override, message) => {
    const result = await template(bin, { values: over(SETUP, override), args: ['--skip-schema-validation'] });
    expect(result.code).not.toBe(0);
    expect(result.stderr).toContain(message);
  });

  it.concurrent('no repository URL the controller fetches', async () => {
    for (const url of ACCEPTED_URLS) {
      const result = await template(bin, { values: over(SETUP, { git: { url } }) });
      expect(result.stderr, url).toBe('');
    }
  });

  it.concurrent('no duration the app accepts', async () => {
    for (const duration of ACCEPTED_DURATIONS) {
      const values = over(SETUP, {
        git: { interval: duration },
        reconcile: { resyncInterval: duration, refreshInterval: duration },
      });
      const result = await template(bin, { values });
      expect(result.stderr, duration).toBe('');
    }
  });
});
