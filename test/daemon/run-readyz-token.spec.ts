import { randomUUID } from 'node:crypto';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { controllerEnv } from './helpers/controller.js';
import { controllerSpec } from './helpers/controller-spec.js';

/**
 * /readyz is open (the kubelet sends no token), and answered a controller not ready with its sync
 * error's whole text: the repository's URL (an internal host, a private repository's path) or
 * IMS's answer, which the HTTP token keeps to /status (401 without it). The kubelet reads only the
 * status code: a request without the token is told the error's code, and where its message is.
 */

const TOKEN = `readyz-token-${randomUUID()}`;
const spec = controllerSpec('audiencectl-readyz-');

type Ready = { ready: boolean; reason?: string };

async function readyz(url: string, token?: string): Promise<{ code: number; body: Ready }> {
  const response = await fetch(
    `${url}/readyz`,
    token ? { headers: { authorization: `Bearer ${token}` } } : {},
  );
  return { code: response.status, body: (await response.json()) as Ready };
}

describe('audiencectl run with an HTTP token: /readyz of a controller whose repository cannot be fetched', () => {
  it('tells a request without the token 503 and the error code only; the token reads the message', async () => {
    const { em: emulator, root } = await spec.setUp();
    const repository = path.join(root, 'team-private-audiences.git');
    const controller = await spec.start(
      [
        ...['--repo', repository, '--allow-file-urls', '--state', path.join(root, 'state')],
        ...['--work-dir', path.join(root, 'work'), '--interval', '1h'],
      ],
      { ...controllerEnv(emulator), AUDIENCECTL_HTTP_TOKEN: TOKEN },
    );
    await controller.waitForLog((line) => line.msg === 'sync failed');

    const open = await readyz(controller.url);
    expect(open).toEqual({
      code: 503,
      body: {
        ready: false,
        reason: 'no successful sync yet: SOURCE_FETCH_FAILED (its message: GET /status, with the HTTP token)',
      },
    });
    expect((await fetch(`${controller.url}/status`)).status).toBe(401);

    // With the token (the chart's helm test pod sends it), the reason says it all, as /status does.
    const told = await readyz(controller.url, TOKEN);
    expect(told.code).toBe(503);
    expect(told.body.reason).toMatch(/^no successful sync yet: SOURCE_FETCH_FAILED: /);
    expect(told.body.reason).toContain('team-private-audiences.git');
    const status = await fetch(`${controller.url}/status`, { headers: { authorization: `Bearer ${TOKEN}` } });
    const source = ((await status.json()) as { source: { lastError: { message: string } | null } }).source;
    expect(told.body.reason).toBe(
      `no successful sync yet: SOURCE_FETCH_FAILED: ${source.lastError?.message ?? ''}`,
    );
  });
});
