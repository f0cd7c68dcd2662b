import { describe, expect, it } from 'vitest';
import { find, helmBinaries, template } from './helm.js';

/**
 * REVIEW-37d L-2. git.url `…?token=…` is refused; the same token after a `;` query separator
 * (`?ref=main;token=…`) or in the fragment (`#access_token=…`) passed the chart's check, which
 * wrote the URL, token and all, into the ConfigMap (`AUDIENCECTL_REPO_URL`) and the NOTES of
 * `helm install` (the CD log). Both are refused, and the token reaches neither the rendered
 * objects nor the error; a `;` or a fragment without a credential still renders.
 */
const SETUP = {
  aep: { orgId: 'ABC123DEF456@AdobeOrg' },
  secret: { aepClientId: 'id', aepClientSecret: 's' },
};

const CREDENTIAL = 'git.url holds a credential in its query or fragment';
const ENCODED = 'git.url holds a percent-encoded name in its query';
const IN_PATH = 'git.url holds a credential in a ;name=value parameter of its path';
const ENCODED_IN_PATH = 'git.url holds a percent-encoded name in a ;name=value parameter of its path';
const URLS: [string, string, string][] = [
  ['https://github.com/acme/audiences.git?ref=main;token=ghpCANARY0202', 'ghpCANARY0202', CREDENTIAL],
  ['https://github.com/acme/audiences.git#access_token=ghpCANARY0204', 'ghpCANARY0204', CREDENTIAL],
  ['https://github.com/acme/audiences.git#ref=main;Private-Token=ghpCANARY0205', 'ghpCANARY0205', CREDENTIAL],
  ['git@github.com:acme/audiences.git?ref=main;sig=ghpCANARY0206', 'ghpCANARY0206', CREDENTIAL],
  ['https://github.com/acme/audiences.git?ref=main;%74oken=ghpCANARY0207', 'ghpCANARY0207', ENCODED],
  // refusals-38: a `;name=value` path parameter, which git sends with every request and the
  // ConfigMap and NOTES showed as written.
  ['https://github.com/acme/audiences.git;token=ghpCANARY0211', 'ghpCANARY0211', IN_PATH],
  ['https://git.example.com/scm/acme;JSESSIONID=CANARY0212/audiences.git', 'CANARY0212', IN_PATH],
  ['git@github.com:acme/audiences.git;v=1;access_token=ghpCANARY0213', 'ghpCANARY0213', IN_PATH],
  ['ssh://git@github.com/acme/audiences.git;%74oken=ghpCANARY0214', 'ghpCANARY0214', ENCODED_IN_PATH],
];

describe.each(helmBinaries())('helm $major: git.url with a credential after ; or in the fragment', (bin) => {
  it.concurrent.each(URLS)('%s is refused and never rendered', async (url, canary, message) => {
    const result = await template(bin, { values: { ...SETUP, git: { url } } });
    expect(result.stdout + result.stderr).not.toContain(canary);
    expect(result.code).toBe(1);
    expect(result.stderr).toContain(message);
  });

  it('renders a ; and a fragment that carry no credential', async () => {
    const url = 'https://github.com/acme/audiences.git?ref=main;depth=1#main';
    const inPath = 'https://github.com/acme;v=1/audiences.git;tokens';
    const kept = await template(bin, { values: { ...SETUP, git: { url: inPath } } });
    expect(kept.code, kept.stderr).toBe(0);
    const result = await template(bin, { values: { ...SETUP, git: { url } } });
    expect(result.code).toBe(0);
    const config = find(result.objects, 'ConfigMap') as { data?: Record<string, string> };
    expect(config.data?.AUDIENCECTL_REPO_URL).toBe(
      'https://github.com/acme/audiences.git?ref=main;depth=1#main',
    );
  });
});
