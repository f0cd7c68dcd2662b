import { randomUUID } from 'node:crypto';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { once } from 'node:events';
import { connect, type Socket } from 'node:net';
import { afterEach, describe, expect, it } from 'vitest';
import {
  startHttpServer,
  type DaemonHttpServer,
  type HttpServerOptions,
} from '../../src/daemon/http-server.js';
import { readHttpToken } from '../../src/daemon/http-auth.js';
import { createMetrics } from '../../src/daemon/metrics.js';
import type { DaemonStatusProvider, PushNotice, StatusSnapshot } from '../../src/daemon/types.js';
import { DeliveryLog, signWebhook } from '../../src/daemon/webhook.js';

const SECRET = 'surface-webhook-secret-3b7e';
const TOKEN = 'surface-http-token-0123456789abcdef';

const snapshot: StatusSnapshot = {
  mode: 'apply',
  role: 'leader',
  readiness: { ready: true },
  source: {
    revision: 'abc',
    lastSyncAt: null,
    lastError: null,
    failures: 0,
    nextAttemptAt: null,
    retrying: false,
  },
  reconcile: {
    running: false,
    lastStartedAt: null,
    lastFinishedAt: null,
    lastResult: null,
    lastError: null,
  },
  plan: null,
  diagnostics: [],
  audiences: [],
  audiencesUnknown: null,
};

const provider: DaemonStatusProvider = {
  readiness: () => ({ ready: true }),
  status: () => snapshot,
  planMarkdown: () => '## Plan\n',
};

const servers: DaemonHttpServer[] = [];
const sockets: Socket[] = [];
afterEach(async () => {
  for (const socket of sockets.splice(0)) socket.destroy();
  for (const server of servers.splice(0)) await server.close();
});

async function start(options: Omit<HttpServerOptions, 'host' | 'port'>) {
  const server = await startHttpServer({ host: '127.0.0.1', port: 0, ...options });
  servers.push(server);
  return server;
}

function webhook(pushes: PushNotice[]) {
  return { secret: SECRET, branch: 'main', onPush: (notice: PushNotice) => pushes.push(notice) };
}

function deliver(url: string, delivery: string) {
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

async function open(port: number): Promise<Socket> {
  const socket = connect(port, '127.0.0.1');
  sockets.push(socket);
  socket.on('error', () => undefined);
  await once(socket, 'connect');
  return socket;
}

/** Resolves with what the server sent once it closes the socket. */
function closedBy(socket: Socket): Promise<string> {
  let received = '';
  socket.on('data', (chunk: Buffer) => (received += chunk.toString('latin1')));
  return new Promise((resolve) => socket.once('close', () => resolve(received)));
}

/** Sends `byte` every few ms until the server closes the socket (a client that never finishes). */
function dribble(socket: Socket, byte: string): void {
  const timer = setInterval(() => {
    if (socket.destroyed || socket.writableEnded) clearInterval(timer);
    else socket.write(byte);
  }, 20);
  socket.once('close', () => clearInterval(timer));
}

describe('webhook deliveries are de-duplicated', () => {
  it('syncs once for a delivery replayed many times, and again for a new delivery', async () => {
    const pushes: PushNotice[] = [];
    const server = await start({ status: provider, webhook: webhook(pushes) });
    const id = randomUUID();
    const first = await deliver(server.url, id);
    expect(first.status).toBe(202);
    for (let replay = 0; replay < 10; replay += 1) {
      const again = await deliver(server.url, id);
      expect(again.status).toBe(200);
      expect(await again.json()).toEqual({ action: 'ignored', reason: 'duplicate' });
    }
    expect((await deliver(server.url, randomUUID())).status).toBe(202);
    expect(pushes.map((push) => push.deliveryId)).toHaveLength(2);
    expect(pushes[0]?.deliveryId).toBe(id);
  });

  it('remembers a bounded number of ids, forgetting the oldest', () => {
    const log = new DeliveryLog(3);
    for (const id of ['a', 'b', 'c', 'd']) expect(log.firstTime(id)).toBe(true);
    expect(log.size).toBe(3);
    expect(log.firstTime('d')).toBe(false);
    expect(log.firstTime('b')).toBe(false);
    expect(log.firstTime('a')).toBe(true);
    expect(log.firstTime(undefined)).toBe(true);
    expect(log.firstTime(undefined)).toBe(true);
  });
});

describe('the HTTP token', () => {
  it('guards /status, /plan and /metrics; the probes and the signed webhook stay open', async () => {
    const pushes: PushNotice[] = [];
    const metrics = createMetrics({ defaultMetrics: false });
    const server = await start({
      status: provider,
      metrics: metrics.registry,
      webhook: webhook(pushes),
      authToken: TOKEN,
    });
    for (const route of ['/status', '/plan', '/metrics']) {
      const bare = await fetch(`${server.url}${route}`);
      expect(bare.status).toBe(401);
      expect(bare.headers.get('www-authenticate')).toBe('Bearer realm="audiencectl"');
      const wrong = await fetch(`${server.url}${route}`, { headers: { authorization: `Bearer ${TOKEN}x` } });
      expect(wrong.status).toBe(401);
      const basic = await fetch(`${server.url}${route}`, { headers: { authorization: `Basic ${TOKEN}` } });
      expect(basic.status).toBe(401);
      const right = await fetch(`${server.url}${route}`, { headers: { authorization: `Bearer ${TOKEN}` } });
      expect(right.status).toBe(200);
    }
    expect((await fetch(`${server.url}/healthz`)).status).toBe(200);
    expect((await fetch(`${server.url}/readyz`)).status).toBe(200);
    expect((await deliver(server.url, randomUUID())).status).toBe(202);
    expect(pushes).toHaveLength(1);
  });
});

describe('readHttpToken', () => {
  it('reads the token or its file, trimmed, and refuses what cannot be a token', async () => {
    const dir = await mkdtemp(path.join(tmpdir(), 'audiencectl-token-'));
    try {
      const file = path.join(dir, 'token');
      await writeFile(file, `  ${TOKEN}\n`);
      expect(readHttpToken({ file })).toBe(TOKEN);
      expect(readHttpToken({ token: TOKEN })).toBe(TOKEN);
      expect(readHttpToken({})).toBeUndefined();
      expect(() => readHttpToken({ token: TOKEN, file })).toThrow(/not both/);
      expect(() => readHttpToken({ token: 'short' })).toThrow(/at least 16 characters/);
      const missing = path.join(dir, TOKEN);
      expect(() => readHttpToken({ file: missing })).toThrow(
        '--http-token-file: cannot read the path given (ENOENT)',
      );
    } finally {
      await rm(dir, { recursive: true, force: true });
    }
  });
});

describe('a webhook-only listener', () => {
  it("serves /webhook and, for a load balancer's health check, /healthz; nothing else", async () => {
    const pushes: PushNotice[] = [];
    const server = await start({ webhook: webhook(pushes) });
    expect((await deliver(server.url, randomUUID())).status).toBe(202);
    // An ingress or load balancer in front of the webhook port checks a GET path on that port
    // (GKE's default is the serving port's probe path): it answers without a token, and says nothing.
    const health = await fetch(`${server.url}/healthz`);
    expect([health.status, await health.text()]).toEqual([200, '{"status":"ok"}']);
    for (const route of ['/readyz', '/status', '/plan', '/metrics'])
      expect((await fetch(`${server.url}${route}`)).status).toBe(404);
  });
});

describe('slow and numerous connections', () => {
  const limits = { headersTimeoutMs: 200, requestTimeoutMs: 400, checkIntervalMs: 50 };

  it('closes a connection that sends its body a byte at a time', async () => {
    const server = await start({ status: provider, webhook: webhook([]), limits });
    const socket = await open(server.port);
    const closed = closedBy(socket);
    socket.write(
      // A well-formed signature and a push: a request without one is refused before its body.
      'POST /webhook HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\nX-GitHub-Event: push\r\n' +
        `X-Hub-Signature-256: sha256=${'0'.repeat(64)}\r\nContent-Length: 100000\r\n\r\n{`,
    );
    dribble(socket, ' ');
    expect(await closed).toMatch(/^HTTP\/1\.1 408 /);
  });

  it('closes a connection that never finishes its headers', async () => {
    const server = await start({ status: provider, limits });
    const socket = await open(server.port);
    const closed = closedBy(socket);
    socket.write('GET /healthz HTTP/1.1\r\nHost: x\r\n');
    dribble(socket, 'X');
    expect(await closed).toMatch(/^HTTP\/1\.1 408 /);
  });

  it('closes connections past the cap as they arrive, and keeps the others', async () => {
    const server = await start({ status: provider, limits: { maxConnections: 2 } });
    const kept = [await open(server.port), await open(server.port)];
    const extra = await open(server.port);
    expect(await closedBy(extra)).toBe('');
    for (const socket of kept) expect(socket.destroyed).toBe(false);
    // The ones kept are still served.
    const [first] = kept;
    const answered = closedBy(first as Socket);
    first?.end('GET /healthz HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n');
    expect(await answered).toMatch(/^HTTP\/1\.1 200 /);
  });
});
