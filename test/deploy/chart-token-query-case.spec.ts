import { describe, expect, it } from 'vitest';
import { helmBinaries, template } from './helm.js';

/**
 * REVIEW-34a H-2. docs/deploy.md: a git.url carrying a token (`…?private_token=…`) is refused;
 * the token belongs in secret.gitToken. The chart's check (values.schema.json, git.url `not`
 * pattern) is case-sensitive, the app's is not: `?PRIVATE-TOKEN=` (GitLab's header name),
 * `?Private_Token=`, `?Access_Token=` pass the chart, which writes the URL, token and all, into
 * the ConfigMap (`AUDIENCECTL_REPO_URL`, readable by whoever may read ConfigMaps in the
 * namespace) and prints it in the NOTES of `helm install`/`upgrade` (CD job logs); only then
 * does the pod refuse it (`repository URL refused: its query carries a credential
 * ("PRIVATE-TOKEN")`) and crash-loop.
 *
 * Once fixed, each is refused by `helm template`, without showing the token (see H-1).
 */
const SETUP = {
  aep: { orgId: 'ABC123DEF456@AdobeOrg' },
  secret: { aepClientId: 'id', aepClientSecret: 's' },
};

const URLS: [string, string][] = [
  ['https://gitlab.example.com/acme/audiences.git?PRIVATE-TOKEN=glpat-CANARY0101', 'glpat-CANARY0101'],
  ['https://gitlab.example.com/acme/audiences.git?Private_Token=glpat-CANARY0102', 'glpat-CANARY0102'],
  ['https://git.example.com/acme/audiences.git?Access_Token=CANARY0103', 'CANARY0103'],
];

describe.each(helmBinaries())('helm $major: a token in the git URL query, whatever its case', (bin) => {
  it.concurrent.each(URLS)('%s is refused and never rendered', async (url, canary) => {
    const result = await template(bin, { values: { ...SETUP, git: { url } } });
    expect(result.stdout).not.toContain(canary);
    expect(result.code).not.toBe(0);
  });
});
