import { mkdir, readFile } from 'node:fs/promises';
import { connect, type Socket } from 'node:net';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { controllerEnv } from './helpers/controller.js';
import { controllerSpec } from './helpers/controller-spec.js';

// Review 35b, M-1 (fixed: src/daemon/webhook-body.ts). /webhook is the one endpoint docs/deploy.md exposes to the internet (an
// Ingress to it). Every request's body, up to 5 MiB, is buffered before its signature is
// looked at, and up to 256 connections are served at once: whoever can reach /webhook, with no
// secret, makes the controller hold 256 x 5 MiB: past the pod's memory limit, OOM-killed, mid-apply
// or not, as often as the sender likes. The chart's limit is now 1Gi, for the first pass at
// 10,000 audiences (docs/deploy.md "Memory", test/deploy/chart-memory-limit.spec.ts); what the
// chart requests, and the scheduler places the pod by, is 256Mi (helm/audiencectl/values.yaml):
// bodies without the secret must not take an idle controller past that.

const SECRET = 'review-35b-webhook-secret-0d8e';
const CHART_MEMORY_REQUEST_KB = 256 * 1024;
const CONNECTIONS = 48;
const BODY = 5 * 1024 * 1024 - 64;

const spec = controllerSpec('review-35b-flood-');

async function peakKb(pid: number): Promise<number> {
  const status = await readFile(`/proc/${pid}/status`, 'utf8');
  return Number(/^VmHWM:\s+(\d+) kB$/m.exec(status)?.[1]);
}

/** Sends headers and all of the body but its last byte; resolves once written. */
function almostAll(port: number): Promise<Socket> {
  return new Promise((resolve, reject) => {
    const socket = connect(port, '127.0.0.1', () => {
      socket.write(
        'POST /webhook HTTP/1.1\r\nHost: audiencectl\r\nContent-Type: application/json\r\n' +
          `X-GitHub-Event: push\r\nX-GitHub-Delivery: forged\r\nX-Hub-Signature-256: sha256=${'0'.repeat(64)}\r\n` +
          `Content-Length: ${BODY}\r\n\r\n`,
      );
      socket.write(Buffer.alloc(BODY - 1, 0x20), (error) => (error ? reject(error) : resolve(socket)));
    });
    socket.on('error', reject);
  });
}

function answer(socket: Socket): Promise<string> {
  return new Promise((resolve) => {
    let text = '';
    socket.on('data', (chunk: Buffer) => {
      text += chunk.toString();
      if (text.includes('\r\n\r\n')) resolve(text.split('\r\n')[0]!);
    });
    socket.on('close', () => resolve(text.split('\r\n')[0] ?? ''));
  });
}

describe('unsigned webhook bodies (review 35b)', () => {
  it('does not let requests without the secret hold more memory than the chart requests for the pod', async ({
    onTestFinished,
  }) => {
    const sockets: Socket[] = [];
    onTestFinished(() => {
      for (const socket of sockets) socket.destroy();
    });
    const { em: emulator, root } = await spec.setUp();
    const dir = path.join(root, 'manifests');
    await mkdir(dir);
    const controller = await spec.start(
      [
        '--dir',
        dir,
        '--state',
        path.join(root, 'state'),
        '--interval',
        '1h',
        '--webhook-listen',
        '127.0.0.1:0',
      ],
      { ...controllerEnv(emulator), AUDIENCECTL_WEBHOOK_SECRET: SECRET, AUDIENCECTL_LOG_LEVEL: 'info' },
    );
    const started = controller.logs.find((line) => line.msg === 'controller started') ?? {};
    const port = Number(new URL(String(started['webhookUrl'])).port);
    const pid = controller.child.pid!;
    // Started and idle, it is well under the limit.
    const idle = await peakKb(pid);
    expect(idle).toBeLessThan(CHART_MEMORY_REQUEST_KB / 2);

    for (let i = 0; i < CONNECTIONS; i += 1) sockets.push(await almostAll(port));
    const answers = sockets.map(answer);
    for (const socket of sockets) socket.write(' ');
    const statuses = await Promise.all(answers);
    // Every one was refused: none carried the secret.
    expect(new Set(statuses)).toEqual(new Set(['HTTP/1.1 401 Unauthorized']));
    const peak = await peakKb(pid);
    expect(
      peak,
      `peak RSS ${Math.round(peak / 1024)} MiB (${Math.round(idle / 1024)} MiB idle)`,
    ).toBeLessThan(CHART_MEMORY_REQUEST_KB);
  });
});
