import { connect } from 'node:net';
import { Writable } from 'node:stream';
import { pino } from 'pino';
import { afterEach, describe, expect, it } from 'vitest';
import type { HttpLimits } from '../../src/daemon/http-limits.js';
import { parseListenAddress, startHttpServer, type DaemonHttpServer } from '../../src/daemon/http-server.js';
import { createMetrics } from '../../src/daemon/metrics.js';
import type { DaemonStatusProvider, PushNotice, Readiness, StatusSnapshot } from '../../src/daemon/types.js';
import { signWebhook } from '../../src/daemon/webhook.js';
import { parseExposition, sampleValue } from './helpers/prom-text.js';

const SECRET = 'wh-secret-CANARY-91f2';

const snapshot: StatusSnapshot = {
  mode: 'dry-run',
  role: 'leader',
  readiness: { ready: true },
  source: {
    revision: 'abc123',
    lastSyncAt: '2026-01-01T00:00:00.000Z',
    lastError: null,
    failures: 0,
    nextAttemptAt: null,
    retrying: false,
  },
  reconcile: {
    running: false,
    lastStartedAt: null,
    lastFinishedAt: null,
    lastResult: 'success',
    lastError: null,
  },
  plan: {
    revision: 'abc123',
    summary: { create: 1 },
    plannedAt: '2026-01-01T00:00:00.000Z',
    state: 'dry-run',
  },
  diagnostics: [{ file: 'bad.yaml', line: 3, column: 5, message: 'unknown key "nmae"' }],
  audiences: [{ sandbox: 'prod', key: 'gold', state: 'pending' }],
  audiencesUnknown: null,
};

/** A real provider backed by plain fields, as the reconcile loop will hold them. */
class StatusState implements DaemonStatusProvider {
  ready: Readiness = {
    ready: false,
    reason: 'waiting for the first successful sync',
    brief: 'waiting for the first successful sync',
  };
  plan: string | undefined;
  broken = false;
  readiness(): Readiness {
    return this.ready;
  }
  status(): StatusSnapshot {
    if (this.broken) throw new Error(`boom ${SECRET}`);
    return snapshot;
  }
  planMarkdown(): string | undefined {
    return this.plan;
  }
}

let server: DaemonHttpServer | undefined;
afterEach(async () => {
  await server?.close();
  server = undefined;
});

async function start(
  extra: {
    webhook?: boolean;
    metrics?: boolean;
    bodyLimit?: number;
    limits?: Partial<HttpLimits>;
    /** The followed repository's path: pushes naming another go to `others`. */
    repository?: string;
  } = {},
) {
  const state = new StatusState();
  const pushes: PushNotice[] = [];
  const others: PushNotice[] = [];
  const lines: string[] = [];
  const logger = pino(
    { level: 'trace' },
    new Writable({
      write(chunk: Buffer, _encoding, done) {
        lines.push(chunk.toString());
        done();
      },
    }),
  );
  const metrics = createMetrics({ defaultMetrics: false });
  server = await startHttpServer({
    host: '127.0.0.1',
    port: 0,
    status: state,
    logger,
    ...(extra.metrics === false ? {} : { metrics: metrics.registry }),
    ...(extra.webhook === false
      ? {}
      : {
          webhook: {
            secret: SECRET,
            branch: 'main',
            onPush: (n) => pushes.push(n),
            ...(extra.repository === undefined
              ? {}
              : { repository: extra.repository, onOtherRepository: (n: PushNotice) => others.push(n) }),
          },
        }),
    ...(extra.bodyLimit === undefined ? {} : { webhookBodyLimit: extra.bodyLimit }),
    ...(extra.limits === undefined ? {} : { limits: extra.limits }),
  });
  return { state, pushes, others, logs: () => lines.join(''), metrics, url: server.url };
}

function hook(url: string, event: string, body: string, headers: Record<string, string> = {}) {
  return fetch(`${url}/webhook`, {
    method: 'POST',
    headers: {
      'content-type': 'application/json',
      'x-github-event': event,
      'x-github-delivery': 'delivery-1',
      'x-hub-signature-256': signWebhook(SECRET, body),
      ...headers,
    },
    body,
  });
}

describe('daemon HTTP server', () => {
  it('serves health, readiness driven by the provider, status and plan', async () => {
    const { state, url } = await start();
    expect(await (await fetch(`${url}/healthz`)).json()).toEqual({ status: 'ok' });

    const notReady = await fetch(`${url}/readyz`);
    expect(notReady.status).toBe(503);
    expect(await notReady.json()).toEqual({ ready: false, reason: 'waiting for the first successful sync' });
    state.ready = { ready: true };
    expect((await fetch(`${url}/readyz`)).status).toBe(200);

    const status = await fetch(`${url}/status`);
    expect(status.headers.get('content-type')).toMatch(/^application\/json/);
    expect(await status.json()).toEqual(snapshot);

    expect((await fetch(`${url}/plan`)).status).toBe(404);
    state.plan = '## Plan\n\n+ create gold\n';
    const plan = await fetch(`${url}/plan`);
    expect(plan.headers.get('content-type')).toBe('text/markdown; charset=utf-8');
    expect(await plan.text()).toBe('## Plan\n\n+ create gold\n');
  });

  it('serves metrics as Prometheus text, or 404 when disabled', async () => {
    const { metrics, url } = await start();
    metrics.steps.inc({ kind: 'create', result: 'ok' });
    const response = await fetch(`${url}/metrics`);
    expect(response.headers.get('content-type')).toMatch(/^text\/plain; version=0\.0\.4/);
    const exposition = parseExposition(await response.text());
    expect(sampleValue(exposition, 'audiencectl_steps_total', { kind: 'create' })).toBe(1);
    await server?.close();
    server = undefined;
    const { url: bare } = await start({ metrics: false });
    expect((await fetch(`${bare}/metrics`)).status).toBe(404);
  });

  it('triggers a sync for a signed push to the watched branch, verified over the raw bytes', async () => {
    const { pushes, url } = await start();
    // Odd spacing and key order: re-serialised JSON would not match the signature.
    const body = '{ "after" : "deadbeef",\n  "ref":"refs/heads/main" }';
    const response = await hook(url, 'push', body);
    expect(response.status).toBe(202);
    expect(await response.json()).toEqual({ action: 'sync' });
    expect(pushes).toEqual([{ ref: 'refs/heads/main', after: 'deadbeef', deliveryId: 'delivery-1' }]);
  });

  it('answers 401 to a bad or missing signature and never triggers', async () => {
    const { pushes, url, logs } = await start();
    const body = JSON.stringify({ ref: 'refs/heads/main' });
    expect(
      (await hook(url, 'push', body, { 'x-hub-signature-256': signWebhook('wrong', body) })).status,
    ).toBe(401);
    const unsigned = await fetch(`${url}/webhook`, {
      method: 'POST',
      headers: { 'content-type': 'application/json', 'x-github-event': 'push' },
      body,
    });
    expect(unsigned.status).toBe(401);
    expect(pushes).toEqual([]);
    expect(logs()).toContain('webhook rejected');
    expect(logs()).not.toContain(SECRET);
  });

  it('logs at most 64 characters of the event and delivery headers of a refused request (review 37d)', async () => {
    const { url, logs } = await start();
    // Anyone can send these to an exposed /webhook: headers of 7,000 characters (Node takes 16 KB of headers) would be a 14 KB log line each.
    const event = `push${'e'.repeat(7_000)}`;
    const delivery = `id-${'d'.repeat(7_000)}`;
    const refused = await hook(url, event, '{}', {
      'x-github-delivery': delivery,
      'x-hub-signature-256': 'sha256=00',
    });
    expect(refused.status).toBe(401);
    const line = logs()
      .split('\n')
      .find((text) => text.includes('webhook rejected'));
    expect(JSON.parse(line!)).toMatchObject({
      event: `push${'e'.repeat(60)}… (7004 characters)`,
      deliveryId: `id-${'d'.repeat(61)}… (7003 characters)`,
    });
  });

  it('accepts ping and other branches without a sync, and refuses other events', async () => {
    const { pushes, url } = await start();
    const ping = await hook(url, 'ping', JSON.stringify({ zen: 'hi', hook_id: 1 }));
    expect(ping.status).toBe(200);
    expect(await ping.json()).toEqual({ action: 'ignored', reason: 'ping' });
    const other = await hook(url, 'push', JSON.stringify({ ref: 'refs/heads/dev' }));
    expect(other.status).toBe(200);
    expect(await other.json()).toEqual({ action: 'ignored', reason: 'other-branch' });
    const issues = await hook(url, 'issues', JSON.stringify({ action: 'opened' }));
    expect(issues.status).toBe(400);
    expect(pushes).toEqual([]);
  });

  it('handles bodies without a JSON content type, and refuses oversized ones', async () => {
    const { pushes, url } = await start({ bodyLimit: 1024 });
    const body = JSON.stringify({ ref: 'refs/heads/main' });
    expect((await hook(url, 'push', body, { 'content-type': 'text/plain' })).status).toBe(202);
    expect(pushes).toHaveLength(1);
    const big = JSON.stringify({ ref: 'refs/heads/main', pad: 'x'.repeat(4096) });
    expect((await hook(url, 'push', big)).status).toBe(413);
    expect(pushes).toHaveLength(1);
  });

  it('hands a push naming another repository to the followed branch, at a commit, to be checked; once per delivery', async () => {
    const { pushes, others, url } = await start({ repository: 'acme/audiences' });
    const commit = 'c'.repeat(40);
    const named = (ref: string, after: string) =>
      JSON.stringify({ ref, after, repository: { full_name: 'acme/segments' } });
    const checked = await hook(url, 'push', named('refs/heads/main', commit));
    expect(checked.status).toBe(202);
    expect(await checked.json()).toEqual({ action: 'check', reason: 'other-repository' });
    const again = await hook(url, 'push', named('refs/heads/main', commit));
    expect(await again.json()).toEqual({ action: 'ignored', reason: 'duplicate' });
    // Another branch, a branch deleted (all zeros), no commit: nothing to check.
    for (const [ref, after, id] of [
      ['refs/heads/dev', commit, 'd-2'],
      ['refs/heads/main', '0'.repeat(40), 'd-3'],
      ['refs/heads/main', 'HEAD', 'd-4'],
    ] as const) {
      const ignored = await hook(url, 'push', named(ref, after), { 'x-github-delivery': id });
      expect(await ignored.json()).toEqual({ action: 'ignored', reason: 'other-repository' });
    }
    expect(others).toEqual([
      { ref: 'refs/heads/main', after: commit, deliveryId: 'delivery-1', repository: 'acme/segments' },
    ]);
    expect(pushes).toEqual([]);
  });

  it('has no webhook route without a secret', async () => {
    const { url } = await start({ webhook: false });
    expect((await hook(url, 'push', '{}')).status).toBe(404);
  });

  it('answers 500 without details when the provider fails', async () => {
    const { state, url, logs } = await start();
    state.broken = true;
    const response = await fetch(`${url}/status`);
    expect(response.status).toBe(500);
    expect(await response.text()).not.toContain('boom');
    expect(logs()).toContain('http handler failed');
  });

  it('stops listening on close', async () => {
    const { url } = await start();
    await server?.close();
    server = undefined;
    await expect(fetch(`${url}/healthz`)).rejects.toThrow();
  });

  it('cuts a request still being received on close: a body sent a byte at a time does not hold a shutdown', async () => {
    const hour = 3_600_000;
    const { url } = await start({ limits: { requestTimeoutMs: hour, idleTimeoutMs: hour } });
    const socket = connect(Number(new URL(url).port), '127.0.0.1');
    socket.on('error', () => undefined);
    const closed = new Promise<void>((resolve) => socket.once('close', () => resolve()));
    // `Expect: 100-continue`: the server's answer says it has the request, and waits for its body.
    const received = new Promise<void>((resolve) => socket.once('data', () => resolve()));
    socket.write(
      // A well-formed signature and a push: a request without one is refused before its body.
      'POST /webhook HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\nX-GitHub-Event: push\r\n' +
        `X-Hub-Signature-256: sha256=${'0'.repeat(64)}\r\nContent-Length: 1000\r\nExpect: 100-continue\r\n\r\n`,
    );
    await received;
    socket.write('{');
    await server?.close();
    server = undefined;
    await closed;
    expect(socket.destroyed).toBe(true);
  });
});

describe('parseListenAddress', () => {
  it.each([
    ['8080', { host: '0.0.0.0', port: 8080 }],
    [':9090', { host: '0.0.0.0', port: 9090 }],
    ['127.0.0.1:0', { host: '127.0.0.1', port: 0 }],
    ['[::]:8080', { host: '::', port: 8080 }],
    ['localhost:80', { host: 'localhost', port: 80 }],
  ])('reads %s', (text, expected) => {
    expect(parseListenAddress(text)).toEqual(expected);
  });

  it.each(['', 'http://x:80', '1.2.3.4', '0.0.0.0:99999', 'a b:80'])('refuses %j', (text) => {
    expect(() => parseListenAddress(text)).toThrow(/listen address/);
  });
});
