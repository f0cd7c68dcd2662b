import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { signWebhook } from '../../src/daemon/webhook.js';
import { DEMO_CLIENT, DEMO_SANDBOX } from '../../src/emulator/index.js';
import { manifestYaml } from '../helpers/manifests.js';
import { controllerEnv, eventually, eventuallyLogged, sleep } from './helpers/controller.js';
import { controllerSpec } from './helpers/controller-spec.js';

const SECRET = 'webhook-secret-e2e-7c1d';

const spec = controllerSpec('audiencectl-run-');

function delivery(url: string, body: string, signature: string): Promise<Response> {
  return fetch(`${url}/webhook`, {
    method: 'POST',
    headers: {
      'content-type': 'application/json',
      'x-github-event': 'push',
      'x-github-delivery': 'e2e-1',
      'x-hub-signature-256': signature,
    },
    body,
  });
}

describe('audiencectl run with a webhook', () => {
  it('refuses a bad signature without syncing, and syncs on a good one', async () => {
    const { em: emulator, root: stateRoot } = await spec.setUp();
    const fixture = await spec.gitFixture();
    const first = await fixture.commit({ 'README.md': 'audiences\n' });
    // A one-hour interval: after the startup sync, only the webhook can trigger one.
    const controller = await spec.start(
      [
        ...['--repo', fixture.bare, '--allow-file-urls', '--work-dir', fixture.workDir],
        ...['--state', path.join(stateRoot, 'state'), '--interval', '1h', '--resync-interval', '2h'],
      ],
      { ...controllerEnv(emulator), AUDIENCECTL_WEBHOOK_SECRET: SECRET },
    );
    const ctl = controller;
    await eventuallyLogged(
      [ctl],
      () => ctl.status(),
      (s) => s.source.revision === first,
      5_000,
      'the first sync',
    );

    const pushed = await fixture.commit({
      'gold.yaml': manifestYaml('gold', { ingestion: { onCreate: false } }),
    });
    const body = JSON.stringify({
      ref: 'refs/heads/main',
      after: pushed,
      repository: { full_name: 'acme/a' },
    });

    const forged = await delivery(ctl.url, body, signWebhook('not-the-secret', body));
    expect(forged.status).toBe(401);
    await sleep(700);
    expect((await ctl.status()).source.revision).toBe(first);
    expect(emulator.control.counters().requests).toBe(0);

    const accepted = await delivery(ctl.url, body, signWebhook(SECRET, body));
    expect(accepted.status).toBe(202);
    await eventuallyLogged(
      [ctl],
      () => ctl.status(),
      (s) => s.source.revision === pushed,
      10_000,
      'the webhook sync',
    );
    const em = emulator;
    await eventually(
      () => em.control.listAudiences(DEMO_CLIENT.orgId, DEMO_SANDBOX).length,
      (n) => n === 1,
      5_000,
      'the audience',
    );

    // A push to another branch is acknowledged and ignored.
    const other = JSON.stringify({ ref: 'refs/heads/develop' });
    const ignored = await delivery(ctl.url, other, signWebhook(SECRET, other));
    expect(ignored.status).toBe(200);
    expect(JSON.stringify(ctl.logs)).not.toContain(SECRET);
    expect((await ctl.stop()).code).toBe(0);
  });
});
