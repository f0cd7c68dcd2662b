import { describe, expect, it } from 'vitest';
import { find, helmBinaries, template } from './helm.js';

/**
 * REVIEW-34a M-4. docs/deploy.md: "Only /webhook is meant to be reachable from outside the
 * cluster: /status and /plan describe your audiences" (names, descriptions, fields and their
 * identity namespaces, source paths and base connection ids, labels, errors), and they are open
 * unless `httpAuth.enabled`. The chart offers `service.type: LoadBalancer` (and `NodePort`),
 * the quickest way to let GitHub reach the webhook, and then publishes the `http` port, with
 * /status, /plan and /metrics and no token, on an external address: nothing refuses it or
 * warns. With `webhook.port` set it publishes both ports on that address.
 *
 * Once fixed, such values are refused naming `httpAuth` (or `service.type`), or the exposed
 * Service carries no port that reaches the `http` listener.
 */
const SETUP = {
  git: { url: 'https://github.com/acme/audiences.git' },
  aep: { orgId: 'ABC123DEF456@AdobeOrg' },
  secret: { aepClientId: 'id', aepClientSecret: 's', webhookSecret: '0123456789abcdef0123' },
};

const CASES: [string, Record<string, unknown>][] = [
  [
    'a LoadBalancer for the webhook',
    { service: { type: 'LoadBalancer', port: 8080 }, webhook: { enabled: true } },
  ],
  [
    'a LoadBalancer with the webhook on a port of its own',
    { service: { type: 'LoadBalancer', port: 8080 }, webhook: { enabled: true, port: 8081 } },
  ],
  ['a NodePort', { service: { type: 'NodePort', port: 8080 }, webhook: { enabled: true } }],
];

describe.each(helmBinaries())(
  'helm $major: /status and /plan on an external address without a token',
  (bin) => {
    it.concurrent.each(CASES)('%s', async (_what, override) => {
      const result = await template(bin, { values: { ...SETUP, ...override } });
      if (result.code !== 0) {
        expect(result.stderr).toMatch(/httpAuth|service\.type/);
        return;
      }
      const exposed = result.objects.filter(
        (o) =>
          o.kind === 'Service' && ['LoadBalancer', 'NodePort'].includes((o.spec as { type: string }).type),
      );
      expect(exposed.length).toBeGreaterThan(0);
      const ports = exposed.flatMap((s) => (s.spec as { ports: { targetPort: string | number }[] }).ports);
      expect(ports.map((p) => p.targetPort)).not.toContain('http');
      expect(find(result.objects, 'Deployment').kind).toBe('Deployment');
    });
  },
);

describe.each(helmBinaries())('helm $major: an external Service with the token on /status', (bin) => {
  it.concurrent.each(['LoadBalancer', 'NodePort'])('%s is rendered', async (type) => {
    const values = {
      ...SETUP,
      secret: { ...SETUP.secret, httpToken: '0123456789abcdef0123' },
      httpAuth: { enabled: true },
      service: { type, port: 8080 },
      // /webhook on the http port (its own port is the default since review secrets-43 M-3).
      webhook: { enabled: true, port: 0 },
    };
    const result = await template(bin, { values });
    expect(result.stderr).toBe('');
    expect(find(result.objects, 'Service').spec).toMatchObject({
      type,
      ports: [{ name: 'http', port: 8080, targetPort: 'http', protocol: 'TCP' }],
    });
  });
});
