import { describe, expect, it } from 'vitest';
import { find, helmBinaries, template, type K8sObject } from './helm.js';

/**
 * REVIEW-34a M-1. With `networkPolicy.enabled` the chart admits the `http` port only from pods
 * of the release's namespace (`httpFrom` empty). The chart's own example
 * `ci/postgres-values.yaml` also enables the ServiceMonitor: the Prometheus the Operator runs
 * (in its own namespace, `release: prometheus` in docs/deploy.md) is then refused at the
 * pod, no `audiencectl_*` series exists, and the alert docs/deploy.md recommends
 * (`time() - audiencectl_last_successful_sync_timestamp_seconds > 900`) can never fire for a
 * stuck controller. Likewise `/webhook` served on the `http` port (`webhook.port: 0`, the
 * default and ci/token-values.yaml) is unreachable from an ingress controller in another
 * namespace, and `networkPolicy.webhookFrom` is then dropped without a word.
 *
 * Once fixed, `helm template` either refuses these values naming `networkPolicy.httpFrom`
 * (and, for the webhook, `webhook.port`), or renders a policy that admits more than the
 * release namespace's pods on the port those consumers use.
 */
type Peer = Record<string, unknown>;
type Rule = { ports?: { port: string | number }[]; from?: Peer[] };

/** Whether some rule admits, on `port`, a peer other than "every pod of this namespace". */
function admitsBeyondNamespace(objects: K8sObject[], port: string): boolean {
  const policy = find(objects, 'NetworkPolicy').spec as { ingress: Rule[] };
  return policy.ingress.some((rule) => {
    const onPort = (rule.ports ?? []).some((p) => p.port === port);
    if (!onPort) return false;
    if (rule.from === undefined) return true; // any source
    return rule.from.some((peer) => JSON.stringify(peer) !== JSON.stringify({ podSelector: {} }));
  });
}

describe.each(helmBinaries())(
  'helm $major: the NetworkPolicy and the chart consumers outside the namespace',
  (bin) => {
    it.concurrent(
      'ci/postgres-values.yaml: Prometheus can scrape the ServiceMonitor it enables',
      async () => {
        const result = await template(bin, { files: ['postgres-values.yaml'] });
        if (result.code !== 0) {
          expect(result.stderr).toContain('networkPolicy.httpFrom');
          return;
        }
        expect(find(result.objects, 'ServiceMonitor').kind).toBe('ServiceMonitor');
        expect(admitsBeyondNamespace(result.objects, 'http')).toBe(true);
      },
    );

    it.concurrent('/webhook on the http port is reachable from the webhookFrom peers', async () => {
      const values = {
        git: { url: 'https://github.com/acme/audiences.git' },
        aep: { orgId: 'ABC123DEF456@AdobeOrg' },
        secret: { aepClientId: 'id', aepClientSecret: 's', webhookSecret: '0123456789abcdef0123' },
        webhook: { enabled: true, port: 0 },
        networkPolicy: {
          enabled: true,
          webhookFrom: [
            { namespaceSelector: { matchLabels: { 'kubernetes.io/metadata.name': 'ingress-nginx' } } },
          ],
        },
      };
      const result = await template(bin, { values });
      if (result.code !== 0) {
        expect(result.stderr).toMatch(/webhook\.port|networkPolicy\.httpFrom/);
        return;
      }
      expect(admitsBeyondNamespace(result.objects, 'http')).toBe(true);
    });
  },
);

/** What the consumers' rules must not open: [what, values, the policy's ingress rules]. */
const HTTP_NAMESPACE = { ports: [{ port: 'http', protocol: 'TCP' }], from: [{ podSelector: {} }] };
const BASE = {
  git: { url: 'https://github.com/acme/audiences.git' },
  aep: { orgId: 'ABC123DEF456@AdobeOrg' },
  secret: { aepClientId: 'id', aepClientSecret: 's', webhookSecret: '0123456789abcdef0123' },
};
const KEPT: [string, Record<string, unknown>, unknown[]][] = [
  ['no ServiceMonitor: no Prometheus rule', { networkPolicy: { enabled: true } }, [HTTP_NAMESPACE]],
  [
    'the ServiceMonitor with metricsFrom emptied: no rule admitting anyone',
    { serviceMonitor: { enabled: true }, networkPolicy: { enabled: true, metricsFrom: [] } },
    [HTTP_NAMESPACE],
  ],
  [
    'the ServiceMonitor with the default metricsFrom: Prometheus pods only',
    { serviceMonitor: { enabled: true }, networkPolicy: { enabled: true } },
    [
      HTTP_NAMESPACE,
      {
        ports: [{ port: 'http', protocol: 'TCP' }],
        from: [
          {
            namespaceSelector: {},
            podSelector: { matchLabels: { 'app.kubernetes.io/name': 'prometheus' } },
          },
        ],
      },
    ],
  ],
  [
    'the webhook on the http port without webhookFrom: the http port not opened to anyone',
    { webhook: { enabled: true, port: 0 }, networkPolicy: { enabled: true } },
    [HTTP_NAMESPACE],
  ],
  [
    'the webhook on a port of its own without webhookFrom: that port open, http unchanged',
    { webhook: { enabled: true, port: 8081 }, networkPolicy: { enabled: true } },
    [HTTP_NAMESPACE, { ports: [{ port: 'webhook', protocol: 'TCP' }] }],
  ],
];

describe.each(helmBinaries())(
  'helm $major: the NetworkPolicy opens no more than its consumers need',
  (bin) => {
    it.concurrent.each(KEPT)('%s', async (_what, values, ingress) => {
      const result = await template(bin, { values: { ...BASE, ...values } });
      expect(result.stderr).toBe('');
      expect(find(result.objects, 'NetworkPolicy').spec).toEqual({
        podSelector: {
          matchLabels: {
            'app.kubernetes.io/name': 'audiencectl',
            'app.kubernetes.io/instance': 'audiencectl',
          },
        },
        policyTypes: ['Ingress'],
        ingress,
      });
    });
  },
);
