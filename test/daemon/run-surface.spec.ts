import { randomUUID } from 'node:crypto';
import { mkdir, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { signWebhook } from '../../src/daemon/webhook.js';
import { runCli } from '../helpers/cli.js';
import { controllerEnv } from './helpers/controller.js';
import { controllerSpec } from './helpers/controller-spec.js';

const SECRET = `surface-webhook-${randomUUID()}`;
const SHORT_SECRET = 'hook-7d41-short';
const TOKEN = `surface-token-${randomUUID()}`;

const spec = controllerSpec('audiencectl-surface-');

function deliver(url: string, delivery: string): Promise<Response> {
  const body = JSON.stringify({ ref: 'refs/heads/main', after: 'c0ffee' });
  return fetch(`${url}/webhook`, {
    method: 'POST',
    headers: {
      'content-type': 'application/json',
      'x-github-event': 'push',
      'x-github-delivery': delivery,
      'x-hub-signature-256': signWebhook(SECRET, body),
    },
    body,
  });
}

describe('audiencectl run: the HTTP surface', () => {
  it('serves /webhook alone on --webhook-listen, de-duplicates deliveries, and guards /status with the token', async () => {
    const { em: emulator, root } = await spec.setUp();
    const dir = path.join(root, 'manifests');
    await mkdir(dir);
    const tokenFile = path.join(root, 'http-token');
    await writeFile(tokenFile, `${TOKEN}\n`);
    const controller = await spec.start(
      [
        ...['--dir', dir, '--state', path.join(root, 'state'), '--interval', '1h'],
        ...['--webhook-listen', '127.0.0.1:0', '--http-token-file', tokenFile],
      ],
      // Ending in a newline, as a Secret made from a file does: GitHub signs without it.
      { ...controllerEnv(emulator), AUDIENCECTL_WEBHOOK_SECRET: `${SECRET}\n` },
    );
    const ctl = controller;
    const started = ctl.logs.find((line) => line.msg === 'controller started') ?? {};
    const hooks = String(started['webhookUrl']);
    expect(hooks).toMatch(/^http:\/\/127\.0\.0\.1:\d+$/);
    expect(hooks).not.toBe(ctl.url);

    // The main listener: probes open, state behind the token, no webhook.
    expect((await fetch(`${ctl.url}/healthz`)).status).toBe(200);
    expect((await fetch(`${ctl.url}/status`)).status).toBe(401);
    expect((await fetch(`${ctl.url}/metrics`)).status).toBe(401);
    const status = await fetch(`${ctl.url}/status`, { headers: { authorization: `Bearer ${TOKEN}` } });
    expect(status.status).toBe(200);
    expect((await deliver(ctl.url, randomUUID())).status).toBe(404);

    // The webhook listener: only /webhook; a replayed delivery syncs once.
    expect((await fetch(`${hooks}/status`, { headers: { authorization: `Bearer ${TOKEN}` } })).status).toBe(
      404,
    );
    const id = randomUUID();
    expect((await deliver(hooks, id)).status).toBe(202);
    for (let replay = 0; replay < 5; replay += 1) {
      const again = await deliver(hooks, id);
      expect(await again.json()).toEqual({ action: 'ignored', reason: 'duplicate' });
    }
    await ctl.waitForLog((line) => line.msg === 'webhook ignored' && line['reason'] === 'duplicate');
    const triggered = ctl.logs.filter((line) => line.msg === 'webhook push: sync triggered');
    expect(triggered.map((line) => line['deliveryId'])).toEqual([id]);

    const text = JSON.stringify(ctl.logs);
    expect(text).not.toContain(TOKEN);
    expect(text).not.toContain(SECRET);
    expect((await ctl.stop()).code).toBe(0);
  });

  it('refuses a token given twice, --webhook-listen without a secret and a short secret, in one line', async () => {
    const root = await spec.tempDir();
    const tokenFile = path.join(root, 'http-token');
    await writeFile(tokenFile, `${TOKEN}\n`);
    const base = ['run', '--dir', root, '--state', path.join(root, 'state'), '--emulator'];
    const env = { AUDIENCECTL_LISTEN: '127.0.0.1:0' };
    const cases = [
      {
        args: [...base, '--http-token-file', tokenFile],
        env: { ...env, AUDIENCECTL_HTTP_TOKEN: TOKEN },
        error: /not both/,
      },
      {
        args: [...base, '--webhook-listen', '127.0.0.1:0'],
        env,
        error: /--webhook-listen needs a webhook secret/,
      },
      {
        args: [...base, '--webhook-secret', SHORT_SECRET],
        env,
        error: /webhook secret .* must be at least 16 characters/,
      },
    ];
    for (const { args, env: extra, error } of cases) {
      const result = await runCli(args, { env: extra });
      expect(result.code).toBe(1);
      expect(result.stderr).toMatch(error);
      expect(result.stderr.trim().split('\n')).toHaveLength(1);
      expect(result.stderr).not.toContain(TOKEN);
      expect(result.stderr).not.toContain(SHORT_SECRET);
    }
  });
});
