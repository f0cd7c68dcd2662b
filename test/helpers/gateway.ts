import { createServer, request as forward, type IncomingHttpHeaders } from 'node:http';
import type { AddressInfo } from 'node:net';

/** A page the gateway answers itself: a proxy's or load balancer's, with its own clock. */
export type GatewayPage = { status: number; body: string; type?: string; location?: string; date: Date };

/** What the gateway does with a request: pass it on, hold it unanswered, or answer a page. */
export type GatewayChoice = 'pass' | 'hold' | GatewayPage;

export type Gateway = {
  /** Stands in for the emulator's url: `${url}/data/core/ais`. */
  url: string;
  /** Decides each request from now on by its method and path (with the query); default: pass. */
  choose(choice: (method: string, path: string) => GatewayChoice): void;
  /** Resolves once a request is held (the gateway has it and never answers it). */
  held: Promise<void>;
  close(): Promise<void>;
};

const HOP_BY_HOP = new Set(['connection', 'keep-alive', 'transfer-encoding']);

function endToEnd(headers: IncomingHttpHeaders): IncomingHttpHeaders {
  return Object.fromEntries(Object.entries(headers).filter(([name]) => !HOP_BY_HOP.has(name)));
}

/**
 * A gateway on loopback in front of `target` (the emulator): what sits between a client and
 * AEP. Passed on, an answer keeps the service's headers, its Date among them.
 */
export async function startGateway(target: string): Promise<Gateway> {
  let choice: (method: string, path: string) => GatewayChoice = () => 'pass';
  let hold!: () => void;
  const held = new Promise<void>((resolve) => (hold = resolve));
  const server = createServer((request, response) => {
    const method = request.method ?? 'GET';
    const chosen = choice(method, request.url ?? '/');
    if (chosen === 'hold') {
      hold();
      return;
    }
    if (chosen !== 'pass') {
      request.resume();
      // Node writes its own Date unless one is given: this one is the page's machine's.
      response.writeHead(chosen.status, {
        date: chosen.date.toUTCString(),
        ...(chosen.type === undefined ? {} : { 'content-type': chosen.type }),
        ...(chosen.location === undefined ? {} : { location: chosen.location }),
      });
      response.end(chosen.body);
      return;
    }
    const upstream = forward(
      new URL(request.url ?? '/', target),
      { method, headers: endToEnd(request.headers) },
      (answer) => {
        response.writeHead(answer.statusCode ?? 502, endToEnd(answer.headers));
        answer.pipe(response);
      },
    );
    upstream.on('error', () => request.socket.destroy());
    request.pipe(upstream);
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  return {
    url: `http://127.0.0.1:${port}`,
    choose: (next) => {
      choice = next;
    },
    held,
    close: () =>
      new Promise<void>((resolve, reject) => {
        server.closeAllConnections();
        server.close((error) => (error ? reject(error) : resolve()));
      }),
  };
}
