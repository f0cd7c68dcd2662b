import { afterEach, beforeAll, describe, expect, it } from 'vitest';
import { signWebhook } from '../../src/daemon/webhook.js';
import { assertBuilt, cleanUp, type TestParts } from './helpers/controller.js';
import { controllerWithMountedSecret } from './helpers/mounted-secret.js';

// Review secrets-45 (leftover 1). AUDIENCECTL_WEBHOOK_SECRET had no file form: the chart gave
// it as a variable (secretKeyRef), which a running pod never sees change, so a secret rotated
// in the Secret (and on GitHub) had every delivery refused as badly signed until a restart.
// AUDIENCECTL_WEBHOOK_SECRET_FILE (--webhook-secret-file) names a file read again when it
// changes, as the HTTP token file is: the rotated secret is taken, the old one refused, a
// rewrite holding no usable secret kept out (logged without it), and neither ever shown.

const OLD = 'webhook-OLD-canary-0123456789abcdef';
const NEW = 'webhook-NEW-canary-fedcba9876543210';

let parts: TestParts = {};

beforeAll(assertBuilt);

afterEach(async () => {
  await cleanUp(parts);
  parts = {};
});

/** A GitHub ping signed with `secret`: 200 when the controller holds that secret, 401 else. */
async function pingSignedWith(url: string, secret: string): Promise<number> {
  const body = JSON.stringify({ zen: 'Keep it logically awesome.', hook_id: 1 });
  const answer = await fetch(`${url}/webhook`, {
    method: 'POST',
    headers: {
      'content-type': 'application/json',
      'x-github-event': 'ping',
      'x-hub-signature-256': signWebhook(secret, body),
    },
    body,
  });
  await answer.arrayBuffer();
  return answer.status;
}

describe('a webhook secret given as a file (review secrets-45, leftover 1)', () => {
  it('is read again when its file changes: the rotated secret is taken, the old one refused, a bad rewrite kept out, neither shown', async () => {
    const { ctl, file, rotate } = await controllerWithMountedSecret(parts, {
      prefix: 'audiencectl-webhook-rotate-',
      key: 'secret',
      first: OLD,
      // As the chart gives it: the variable naming the mounted file.
      give: (file) => ({ env: { AUDIENCECTL_WEBHOOK_SECRET_FILE: file } }),
    });
    expect(await pingSignedWith(ctl.url, OLD)).toBe(200);
    expect(await pingSignedWith(ctl.url, NEW)).toBe(401);

    await rotate('v2', NEW);
    expect(await pingSignedWith(ctl.url, NEW)).toBe(200);
    expect(await pingSignedWith(ctl.url, OLD)).toBe(401);

    // A rewrite holding no usable secret (too short) keeps the secret read before, and says so.
    await rotate('v3', 'too-short');
    expect(await pingSignedWith(ctl.url, 'too-short')).toBe(401);
    expect(await pingSignedWith(ctl.url, NEW)).toBe(200);
    expect(await pingSignedWith(ctl.url, OLD)).toBe(401);
    const kept = ctl.logs.filter((line) => /holds no usable webhook secret/.test(line.msg ?? ''));
    expect(kept).toHaveLength(1);
    expect(kept[0]?.['file']).toBe(file);
    expect(String(kept[0]?.['reason'])).toContain('at least 16 characters');
    expect(String(kept[0]?.['reason'])).toContain('AUDIENCECTL_WEBHOOK_SECRET_FILE');
    const status = await fetch(`${ctl.url}/status`);
    const metrics = await fetch(`${ctl.url}/metrics`);
    const shown = JSON.stringify(ctl.logs) + ctl.stdout() + (await status.text()) + (await metrics.text());
    expect(shown).not.toContain(OLD);
    expect(shown).not.toContain(NEW);
    expect((await ctl.stop()).code).toBe(0);
  });
});
