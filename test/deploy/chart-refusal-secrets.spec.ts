import { describe, expect, it } from 'vitest';
import { helmBinaries, template } from './helm.js';

/**
 * REVIEW-34a H-1. docs/deploy.md ("Main values"): a git.url carrying a token is "refused,
 * unshown"; the Helm chart's Secret keeps the credentials out of every other object. But the
 * values a user gets wrong are refused by values.schema.json patterns, and helm 4 (the major
 * `npm run check:chart` downloads first) quotes the refused value in its error: the git token,
 * the PostgreSQL password, the HTTP bearer token and the webhook secret land in the CD job's
 * log. Each value below is one a user plausibly mistypes; each holds a canary that must not
 * appear in helm's output, whichever major runs.
 */
const SETUP = {
  git: { url: 'https://github.com/acme/audiences.git' },
  aep: { orgId: 'ABC123DEF456@AdobeOrg' },
  secret: { aepClientId: 'id', aepClientSecret: 's' },
};

const CASES: [string, Record<string, unknown>, string][] = [
  [
    'a token in the git URL',
    { git: { url: 'https://x-access-token:ghp_CANARYgit0001@github.com/acme/audiences.git' } },
    'ghp_CANARYgit0001',
  ],
  [
    'a token as the git URL user',
    { git: { url: 'https://glpat-CANARYgit0002@gitlab.com/acme/audiences.git' } },
    'glpat-CANARYgit0002',
  ],
  [
    'a token in an scp-like git URL',
    { git: { url: 'deploy:CANARYgit0003@gitlab.com:acme/audiences.git' } },
    'CANARYgit0003',
  ],
  [
    'a PostgreSQL URL with a misspelt scheme',
    {
      state: { backend: 'postgres' },
      secret: { ...SETUP.secret, stateUrl: 'postgress://app:pgCANARY0004@db:5432/aud' },
    },
    'pgCANARY0004',
  ],
  [
    'an HTTP token pasted with a blank',
    { httpAuth: { enabled: true }, secret: { ...SETUP.secret, httpToken: 'CANARYhttp0005 0123456789' } },
    'CANARYhttp0005',
  ],
  [
    'a webhook secret one character short',
    { webhook: { enabled: true }, secret: { ...SETUP.secret, webhookSecret: 'CANARYhook0006' } },
    'CANARYhook0006',
  ],
];

describe.each(helmBinaries())('helm $major: a refused secret value is not shown', (bin) => {
  it.concurrent.each(CASES)('%s', async (_what, override, canary) => {
    const values = { ...SETUP, ...override, aep: SETUP.aep };
    const result = await template(bin, { values });
    expect(result.code).not.toBe(0);
    expect(result.stdout + result.stderr).not.toContain(canary);
  });
});
