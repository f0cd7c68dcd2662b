import { describe, expect, it } from 'vitest';
import { helmBinaries, template } from './helm.js';

/**
 * REVIEW-34a L-1. Bad input gets "one clear line naming file/line/flag" (HELPERS.md), and
 * docs/deploy.md says the templates refuse what would start a pod unable to sync, "before
 * anything runs". But most refusals come from values.schema.json patterns, which helm prints
 * as the pattern itself and never say why: `replicaCount: 2` on the file state is
 * "Must be less than or equal to 1" (helm 3) or "maximum: got 2, want 1" (helm 4), while the
 * chart's own message (`replicaCount > 1 needs state.backend postgres: the file state has one
 * writer`) is never reached; an `http://` repository URL is a 200-character regular
 * expression. And a `webhook.port` equal to `service.port` is not refused at all: the chart
 * renders a Service with two ports 8080 (the API server refuses it at install) and a
 * controller that exits with EADDRINUSE.
 */
const SETUP = {
  git: { url: 'https://github.com/acme/audiences.git' },
  aep: { orgId: 'ABC123DEF456@AdobeOrg' },
  secret: { aepClientId: 'id', aepClientSecret: 's', webhookSecret: '0123456789abcdef0123' },
};

describe.each(helmBinaries())('helm $major: refusals say what is wrong', (bin) => {
  it.concurrent('two replicas on the file state: says that they need the PostgreSQL state', async () => {
    const result = await template(bin, { values: { ...SETUP, replicaCount: 2 } });
    expect(result.code).not.toBe(0);
    expect(result.stderr).toContain('state.backend');
  });

  it.concurrent('an http:// repository URL: says https is needed, not a regular expression', async () => {
    const values = { ...SETUP, git: { url: 'http://git.example.com/acme/audiences.git' } };
    const result = await template(bin, { values });
    expect(result.code).not.toBe(0);
    expect(result.stderr).toContain('https');
    expect(result.stderr).not.toContain('^$|');
  });

  it.concurrent('the webhook on the http port number: refused, naming webhook.port', async () => {
    const values = { ...SETUP, webhook: { enabled: true, port: 8080 } };
    const result = await template(bin, { values });
    expect(result.code).not.toBe(0);
    expect(result.stderr).toContain('webhook.port');
  });
});
