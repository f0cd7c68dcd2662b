import { createServer, request as httpRequest, type IncomingMessage, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';

export type GatewayRequest = {
  method: string;
  url: string;
  headers: IncomingMessage['headers'];
  body: Buffer;
};
type Answer = { status: number; headers: IncomingMessage['headers']; body: Buffer };

export const pathOf = (request: GatewayRequest) => request.url.split('?')[0] ?? '';

export type LateLandingGateway = Awaited<ReturnType<typeof lateLandingGateway>>;

/**
 * A gateway in front of the emulator's API for a request that lands late. Once armed, it keeps
 * the first request `keeps` accepts from the service: answered 504 at once (`answer504`, the
 * gateway's own timeout), or never answered (the client is killed). The test hands it to the
 * service later (`deliver`), as the service behind finishing it; or `deliverAfter(test)`: right
 * after the first later request `test` accepts is answered, every request after it waiting until
 * the kept one is done.
 */
export async function lateLandingGateway(
  target: URL,
  keeps: (one: GatewayRequest) => boolean,
  answer504 = false,
) {
  let armed = false;
  let held: GatewayRequest | undefined;
  let heldReached!: () => void;
  const reached = new Promise<void>((resolve) => (heldReached = resolve));
  let after: ((one: GatewayRequest) => boolean) | undefined;
  let delivered: Promise<number> | undefined;
  const open = new Set<ServerResponse>();
  const forward = (one: GatewayRequest) =>
    new Promise<Answer>((resolve, reject) => {
      const out = httpRequest(
        {
          host: target.hostname,
          port: target.port,
          method: one.method,
          path: one.url,
          headers: { ...one.headers, host: target.host },
        },
        (answer) => {
          const chunks: Buffer[] = [];
          answer.on('data', (c: Buffer) => chunks.push(c));
          answer.on('end', () =>
            resolve({ status: answer.statusCode ?? 0, headers: answer.headers, body: Buffer.concat(chunks) }),
          );
        },
      );
      out.on('error', reject);
      out.end(one.body);
    });
  const deliver = () => (delivered ??= forward(held!).then((answer) => answer.status));
  const server = createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => {
      void (async () => {
        const one = {
          method: req.method ?? 'GET',
          url: req.url ?? '/',
          headers: req.headers,
          body: Buffer.concat(chunks),
        };
        if (armed && held === undefined && keeps(one)) {
          held = one;
          heldReached();
          if (answer504)
            res
              .writeHead(504, { 'content-type': 'text/html' })
              .end('<html><body>504 Gateway Time-out</body></html>');
          else open.add(res);
          return;
        }
        if (delivered) await delivered;
        const answer = await forward(one);
        const headers = { ...answer.headers };
        delete headers['transfer-encoding'];
        res.writeHead(answer.status, headers).end(answer.body);
        if (after?.(one)) {
          after = undefined;
          void deliver();
        }
      })().catch(() => res.destroy());
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  return {
    url: `http://127.0.0.1:${port}${target.pathname}`,
    arm: () => void (armed = true),
    /** Resolves once the kept request has reached the gateway. */
    reached: () => reached,
    deliver,
    deliverAfter: (test: (one: GatewayRequest) => boolean) => void (after = test),
    delivered: () => delivered,
    close: () => {
      for (const res of open) res.destroy();
      return new Promise<void>((resolve) => server.close(() => resolve()));
    },
  };
}
