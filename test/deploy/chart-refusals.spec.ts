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

/**
 * Refused by values.schema.json (types, enums, ranges, empty values), which names the value and
 * says what it wants: [what, values over SETUP, the value the schema names].
 */
const REFUSED: [string, Values, string][] = [
  ['an empty duration', { reconcile: { resyncInterval: '' } }, 'reconcile.resyncInterval'],
  [
    'a string for the schema migration toggle',
    { state: { backend: 'postgres', migrate: 'false' }, secret: { stateUrl: 'postgres://u:p@db:5432/a' } },
    'state.migrate',
  ],
  ['a string for a boolean', { reconcile: { dryRun: 'yes' } }, 'reconcile.dryRun'],
  ['a port out of range', { service: { port: 70000 } }, 'service.port'],
  ['no replica', { replicaCount: 0 }, 'replicaCount'],
];

/**
 * Refused by the templates (a schema pattern or condition is printed as such and never says
 * why), in one line naming the value and why, with or without the schema:
 * [what, values over SETUP, the message]. Each is a defect someone shipped or could.
 */
const REFUSED_WHY: [string, Values, string][] = [
  [
    'no AEP org for an applying controller',
    { aep: { orgId: '' } },
    'aep.orgId is required (only a dry run with reconcile.refreshInterval 0 needs no AEP access)',
  ],
  [
    'no AEP client id',
    { secret: { aepClientId: '' } },
    'set secret.aepClientId and secret.aepClientSecret, or secret.existingSecret',
  ],
  [
    'no AEP client secret for a dry run that refreshes',
    { reconcile: { dryRun: true }, secret: { aepClientSecret: '' } },
    'set secret.aepClientId and secret.aepClientSecret, or secret.existingSecret',
  ],
  [
    'no AEP credentials for a dry run that refreshes every 3600 s',
    { reconcile: { dryRun: true, refreshInterval: 3600 }, secret: { aepClientId: '' } },
    'set secret.aepClientId and secret.aepClientSecret, or secret.existingSecret',
  ],
  [
    'a duration the app refuses (1.5h)',
    { git: { interval: '1.5h' } },
    'git.interval "1.5h" is not a duration: 30s, 10m, 1h30m, 2d, 500ms, or a number of seconds',
  ],
  [
    'a duration with an unknown unit',
    { reconcile: { refreshInterval: '1w' } },
    'reconcile.refreshInterval "1w" is not a duration: 30s, 10m, 1h30m, 2d, 500ms, or a number of seconds',
  ],
  [
    'SSH without known hosts',
    { git: { url: 'git@github.com:acme/a.git', auth: 'ssh' }, secret: { gitSshPrivateKey: SSH_KEY } },
    'git.auth is ssh: set git.knownHosts (ssh-keyscan), or git.ssh.insecureAcceptNewHostKeys=true',
  ],
  [
    'a sandbox ending in "-"',
    { aep: { sandbox: 'dev-' } },
    'aep.sandbox "dev-" is not a sandbox name: lower-case letters, digits and -, not starting or ending with -',
  ],
  ['a sandbox with "_"', { aep: { sandbox: 'dev_1' } }, 'aep.sandbox "dev_1" is not a sandbox name'],
  ['an upper-case sandbox', { aep: { sandbox: 'Prod' } }, 'aep.sandbox "Prod" is not a sandbox name'],
  [
    'two replicas on the file state',
    { replicaCount: 2 },
    'replicaCount > 1 needs state.backend postgres: the file state has one writer',
  ],
  [
    'postgres without a state URL',
    { state: { backend: 'postgres' } },
    'state.backend is postgres: set secret.stateUrl or secret.existingSecret',
  ],
  [
    'a webhook without its secret',
    { webhook: { enabled: true } },
    'webhook.enabled: set secret.webhookSecret',
  ],
  [
    'a token on /status without the token',
    { httpAuth: { enabled: true } },
    'httpAuth.enabled: set secret.httpToken',
  ],
  [
    'the webhook on the http port number',
    { webhook: { enabled: true, port: 8080 }, secret: { webhookSecret: '0123456789abcdef' } },
    'webhook.port equals service.port: the Service would carry one port twice; give the webhook a port of its own, or 0 to serve /webhook on service.port',
  ],
  [
    'a LoadBalancer without the token on /status',
    { service: { type: 'LoadBalancer' } },
    'service.type LoadBalancer publishes the http port, with /status, /plan and /metrics (your audiences), on an address outside the cluster: set httpAuth.enabled (a token on them), or keep ClusterIP and let an Ingress reach /webhook alone',
  ],
  [
    'a NodePort without the token on /status',
    { service: { type: 'NodePort' } },
    'service.type NodePort publishes the http port',
  ],
  [
    'a digest in the tag',
    { image: { tag: '1.0@sha256:abc' } },
    'image.tag "1.0@sha256:abc" is not an image tag: up to 128 letters, digits, _ . and -, not starting with . or - (a digest goes in image.digest)',
  ],
  [
    'a malformed digest',
    { image: { digest: 'sha256:abc' } },
    'image.digest "sha256:abc" is not a digest: sha256: and 64 lower-case hexadecimal digits',
  ],
  [
    'an option-looking branch',
    { git: { branch: '--upload-pack=x' } },
    'git.branch "--upload-pack=x" is not a branch name: no blanks or ~ ^ : ? * [ \\, and no leading - (git would read it as an option)',
  ],
  [
    'a sub-path leaving the repository',
    { git: { path: '../etc' } },
    'git.path "../etc" is not a directory inside the repository: relative, names of letters, digits, _ . and - joined by /, no . or .. segment',
  ],
  [
    'a bad volume size',
    { persistence: { size: 'lots' } },
    'persistence.size "lots" is not a Kubernetes quantity: a number with a unit such as 512Mi or 1Gi',
  ],
  [
    'a bad work dir size',
    { workDir: { sizeLimit: '1 GB' } },
    'workDir.sizeLimit "1 GB" is not a Kubernetes quantity',
  ],
  [
    'an org id without @AdobeOrg',
    { aep: { orgId: 'ABC123' } },
    'aep.orgId "ABC123" is not an IMS organisation id: letters and digits, then @AdobeOrg',
  ],
  [
    'a scrape interval with a blank',
    { serviceMonitor: { enabled: true, interval: '30 s' } },
    'serviceMonitor.interval "30 s" is not a Prometheus duration: e.g. 30s, 1m30s',
  ],
  [
    'a variable name with "-"',
    { extraEnv: [{ name: 'A-B', value: 'x' }] },
    'extraEnv: "A-B" is not an environment variable name: letters, digits and _, not starting with a digit',
  ],
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
    'a token in the git URL query, in upper case',
    { git: { url: 'https://gitlab.example.com/acme/a.git?PRIVATE-TOKEN=glpat-abc' } },
    'git.url holds a credential in its query',
  ],
  [
    'a token in the git URL query, its name percent-encoded',
    { git: { url: 'https://gitlab.example.com/acme/a.git?%74oken=glpat-abc' } },
    'git.url holds a percent-encoded name in its query: write the name plainly',
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
    'an AEP URL without its scheme (not quoted: review-37d M-1)',
    { aep: { baseUrl: 'platform.adobe.io' } },
    'aep.baseUrl is not a URL: https:// (http:// for a local emulator); the value is not shown, as it may hold a credential',
  ],
  [
    'a password in the IMS URL',
    { aep: { imsUrl: 'https://svc:pw@ims.example/ims/token/v3' } },
    'aep.imsUrl holds a user or password before its host',
  ],
  [
    'a state URL of another scheme',
    { state: { backend: 'postgres' }, secret: { stateUrl: 'mysql://u:p@db/a' } },
    'secret.stateUrl must start with postgres:// or postgresql://',
  ],
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

const ACCEPTED_DURATIONS = ['90', '500ms', '30s', '10m', '1h30m', '2d', '1d12h'];

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

  it.concurrent.each([...REFUSED_WHY, ...REFUSED_UNSHOWN])(
    '%s, in one line saying why',
    async (_what, override, message) => {
      for (const args of [[], ['--skip-schema-validation']]) {
        const result = await template(bin, { values: over(SETUP, override), args });
        expect(result.code).not.toBe(0);
        const [line] = result.stderr.split('\n');
        expect(line).toMatch(/^Error: execution error at \(audiencectl\/templates\/[a-z]+\.yaml:1:4\): /);
        expect(line).toContain(message);
      }
    },
  );

  it.concurrent('no repository URL the controller fetches', async () => {
    for (const url of ACCEPTED_URLS) {
      // Each with the credential of its transport: a token over https://, a deploy key over ssh.
      const ssh = { auth: 'ssh', knownHosts: 'github.com ssh-ed25519 AAAA' };
      const values = url.startsWith('https://')
        ? over(SETUP, { git: { url } })
        : over(SETUP, { git: { url, ...ssh }, secret: { gitSshPrivateKey: SSH_KEY } });
      const result = await template(bin, { values });
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
    // 0 is "never" for the refresh alone: the app refuses a fetch or resync interval of 0.
    const never = await template(bin, { values: over(SETUP, { reconcile: { refreshInterval: '0' } }) });
    expect(never.stderr).toBe('');
  });
});
