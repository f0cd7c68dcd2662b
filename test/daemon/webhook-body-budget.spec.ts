import { connect, type Socket } from 'node:net';
import { afterEach, describe, expect, it } from 'vitest';
import { startHttpServer, type DaemonHttpServer } from '../../src/daemon/http-server.js';
import type { PushNotice } from '../../src/daemon/types.js';
import { signWebhook } from '../../src/daemon/webhook.js';
import { eventually } from './helpers/controller.js';

// Review 35b, M-1: what bodies being received keep in memory is bounded (16 MiB, all requests
// together); a request that cannot be signed is refused before its body; a signed delivery
// that finds the budget taken is told to come back (503), and the budget comes back as
// requests end, whether answered or abandoned.

const SECRET = 'body-budget-secret-7c41';
const MIB = 1024 * 1024;
let server: DaemonHttpServer | undefined;
const sockets: Socket[] = [];

afterEach(async () => {
  for (const socket of sockets.splice(0)) socket.destroy();
  await server?.close();
  server = undefined;
});

async function start(pushes: PushNotice[]): Promise<string> {
  server = await startHttpServer({
    host: '127.0.0.1',
    port: 0,
    webhook: { secret: SECRET, branch: 'main', onPush: (notice) => pushes.push(notice) },
  });
  return server.url;
}

/** A signed push padded to about `size` bytes. */
function deliver(url: string, id: string, size: number) {
  const body = JSON.stringify({ ref: 'refs/heads/main', after: 'a'.repeat(40), pad: ' '.repeat(size) });
  return fetch(`${url}/webhook`, {
    method: 'POST',
    headers: {
      'content-type': 'application/json',
      'x-github-event': 'push',
      'x-github-delivery': id,
      'x-hub-signature-256': signWebhook(SECRET, body),
    },
    body,
  });
}

/** Declares a 5 MiB body under a well-formed forged signature, sends 1 byte of it, and waits. */
function holdBody(url: string): Promise<Socket> {
  return new Promise((resolve, reject) => {
    const socket = connect(Number(new URL(url).port), '127.0.0.1', () => {
      socket.write(
        'POST /webhook HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\nX-GitHub-Event: push\r\n' +
          `X-Hub-Signature-256: sha256=${'0'.repeat(64)}\r\nContent-Length: ${5 * MIB - 64}\r\n` +
          'Expect: 100-continue\r\n\r\n',
      );
    });
    // `Expect: 100-continue`: the server's "100 Continue" says the request reached the parser.
    socket.once('data', () => socket.write('{', (error) => (error ? reject(error) : resolve(socket))));
    socket.on('error', () => undefined);
    sockets.push(socket);
  });
}

function statusLine(socket: Socket, request: string): Promise<string> {
  return new Promise((resolve) => {
    let text = '';
    socket.on('data', (chunk: Buffer) => (text += chunk.toString()));
    socket.on('close', () => resolve(text.split('\r\n')[0] ?? ''));
    socket.end(request);
  });
}

describe('webhook bodies kept at once', () => {
  it('refuses a request without a well-formed signature, or of another event, before its body', async () => {
    const url = await start([]);
    const port = Number(new URL(url).port);
    // A Content-Length of 5 MiB and no body sent: only an answer before reading ends this.
    const head = (headers: string) =>
      `POST /webhook HTTP/1.1\r\nHost: x\r\nConnection: close\r\nContent-Type: application/json\r\n${headers}Content-Length: ${5 * MIB - 64}\r\n\r\n`;
    expect(await statusLine(connect(port, '127.0.0.1'), head('X-GitHub-Event: push\r\n'))).toBe(
      'HTTP/1.1 401 Unauthorized',
    );
    expect(
      await statusLine(
        connect(port, '127.0.0.1'),
        head('X-GitHub-Event: push\r\nX-Hub-Signature-256: sha256=abc\r\n'),
      ),
    ).toBe('HTTP/1.1 401 Unauthorized');
    expect(
      await statusLine(
        connect(port, '127.0.0.1'),
        head(`X-GitHub-Event: issues\r\nX-Hub-Signature-256: sha256=${'0'.repeat(64)}\r\n`),
      ),
    ).toBe('HTTP/1.1 400 Bad Request');
  });

  it('answers 503 to a signed delivery while others hold the budget, and 401 to the unsigned ones', async () => {
    const pushes: PushNotice[] = [];
    const url = await start(pushes);
    // Three bodies of 5 MiB being received: 15 of the 16 MiB.
    const held = [await holdBody(url), await holdBody(url), await holdBody(url)];
    const refused = await deliver(url, 'd-1', 2 * MIB);
    expect(refused.status).toBe(503);
    expect(refused.headers.get('retry-after')).toBe('10');
    expect(await refused.json()).toEqual({
      error: 'too many webhook bodies being received at once; redeliver later',
    });
    // A small one still fits.
    expect((await deliver(url, 'd-2', 100)).status).toBe(202);
    // The held ones, sent in full, are refused as unsigned; their bytes come back with the answer.
    const answers = held.map((socket) => statusLine(socket, ' '.repeat(5 * MIB - 64 - 1)));
    expect(await Promise.all(answers)).toEqual(Array(3).fill('HTTP/1.1 401 Unauthorized'));
    expect((await deliver(url, 'd-3', 4 * MIB)).status).toBe(202);
    expect(pushes.map((push) => push.deliveryId)).toEqual(['d-2', 'd-3']);
  });

  it('gives the budget back as deliveries are answered, and as clients go away mid-body', async () => {
    const pushes: PushNotice[] = [];
    const url = await start(pushes);
    // Six of 4 MiB in a row outgrow 16 MiB unless each answered one gives its bytes back.
    const statuses: number[] = [];
    for (const id of ['d-1', 'd-2', 'd-3', 'd-4', 'd-5', 'd-6'])
      statuses.push((await deliver(url, id, 4 * MIB)).status);
    expect(statuses).toEqual([202, 202, 202, 202, 202, 202]);

    const held = [await holdBody(url), await holdBody(url), await holdBody(url)];
    expect((await deliver(url, 'held', 4 * MIB)).status).toBe(503);
    for (const socket of held) socket.destroy();
    // The server sees the clients go when it sees it: wait for that (a guard, not a deadline).
    let attempt = 0;
    const status = await eventually(
      async () => (await deliver(url, `after-${(attempt += 1)}`, 4 * MIB)).status,
      (code) => code === 202,
      10_000,
      'the budget back from abandoned bodies',
    );
    expect(status).toBe(202);
    expect(pushes).toHaveLength(7);
  });
});
