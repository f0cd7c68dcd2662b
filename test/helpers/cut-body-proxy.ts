import { createServer, type IncomingHttpHeaders, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import type { TestEmulator } from './with-emulator.js';

/** Hop-by-hop headers, not forwarded. */
const HOP = new Set(['host', 'connection', 'content-length', 'transfer-encoding', 'keep-alive']);

function forwardable(headers: IncomingHttpHeaders): Record<string, string> {
  const out: Record<string, string> = {};
  for (const [name, value] of Object.entries(headers)) {
    if (value === undefined || HOP.has(name)) continue;
    out[name] = Array.isArray(value) ? value.join(', ') : value;
  }
  return out;
}

/**
 * The emulator over real HTTP; the first answer to a request `cut` matches is sent with its
 * status, headers and full Content-Length, then 5 bytes of its body, then the connection is
 * destroyed. The emulator itself did what was asked.
 */
export async function cuttingProxy(
  emulator: TestEmulator,
  cut: (method: string, path: string) => boolean,
): Promise<{ url: string; cuts: () => number; close: () => Promise<void> }> {
  let cuts = 0;
  const server: Server = createServer((request, response) => {
    const chunks: Buffer[] = [];
    request.on('data', (chunk: Buffer) => chunks.push(chunk));
    request.on('end', () => {
      const method = request.method ?? 'GET';
      const url = new URL(request.url ?? '/', emulator.url);
      void fetch(url, {
        method,
        headers: forwardable(request.headers),
        ...(method === 'GET' || method === 'HEAD' ? {} : { body: Buffer.concat(chunks) }),
        redirect: 'manual',
      }).then(async (answer) => {
        const body = Buffer.from(await answer.arrayBuffer());
        const headers: Record<string, string> = {};
        answer.headers.forEach((value, name) => {
          if (!HOP.has(name) && name !== 'content-encoding') headers[name] = value;
        });
        headers['content-length'] = String(body.length);
        response.writeHead(answer.status, headers);
        if (cuts === 0 && answer.status < 300 && cut(method, url.pathname)) {
          cuts += 1;
          response.write(body.subarray(0, 5));
          setTimeout(() => response.socket?.destroy(), 50);
          return;
        }
        response.end(body);
      });
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  return {
    url: `http://127.0.0.1:${port}`,
    cuts: () => cuts,
    close: () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
}
