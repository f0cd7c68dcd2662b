import { readFile } from 'node:fs/promises';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { parseAllDocuments } from 'yaml';
import { chartDir, find, helmBinaries, helmWithValues, parseObjects, repoRoot } from './helm.js';

// Review secrets-43 M-3 (last pass's known gap 2). `webhook.enabled: true` alone (the chart's
// default `webhook.port: 0`) serves POST /webhook on the same listener and Service port as
// /status, /plan and /metrics, open unless httpAuth is enabled: exposing the webhook to GitHub
// (the Ingress docs/deploy.md shows points at port `http`; a Prefix `/` path, a Gateway
// route without a path match, or `networkPolicy.webhookFrom` admitting the ingress controller
// to the http port) exposes what describes every audience. A user enabling a webhook expects
// only the webhook to be reachable: it should have its own listener and Service port by
// default, and the documented Ingress should point at it.

const SETUP = {
  git: { url: 'https://github.com/acme/audiences.git' },
  aep: { orgId: 'ABC123DEF456@AdobeOrg' },
  secret: { aepClientId: 'id', aepClientSecret: 's', webhookSecret: '0123456789abcdef0123' },
  webhook: { enabled: true },
};

describe('webhook.enabled with the chart defaults (review secrets-43, gap 2)', () => {
  it('serves /webhook on a listener and Service port of its own, not beside /status', async () => {
    for (const bin of helmBinaries()) {
      const args = ['template', 'audiencectl', chartDir, '-n', 'audiences'];
      const result = await helmWithValues(bin, args, SETUP);
      expect(result.code, result.stderr).toBe(0);
      const objects = parseObjects(result.stdout);
      const data = find(objects, 'ConfigMap').data as Record<string, string>;
      expect(data['AUDIENCECTL_WEBHOOK_LISTEN'], `helm ${bin.major}`).toBeDefined();
      const ports = (find(objects, 'Service').spec as { ports: { name: string; targetPort: string }[] })
        .ports;
      expect(ports.map((p) => p.targetPort)).toContain('webhook');
    }
  });

  it("docs/deploy.md's Ingress for the webhook points at the webhook's own port", async () => {
    const text = await readFile(path.join(repoRoot, 'docs', 'deploy.md'), 'utf8');
    const section = text.slice(text.indexOf('\n## GitHub webhook\n'));
    const block = /```yaml\n([\s\S]*?)```/.exec(section)?.[1] ?? '';
    const ingress = parseAllDocuments(block.replace(/^ {3}/gm, ''))
      .map((doc) => doc.toJS() as { kind?: string; spec?: unknown })
      .find((object) => object.kind === 'Ingress');
    expect(ingress, 'an Ingress example').toBeDefined();
    const backends = JSON.stringify(ingress?.spec);
    expect(backends).toContain('"port":{"name":"webhook"}');
  });
});
