import { createServer, request as httpRequest, type IncomingHttpHeaders } from 'node:http';
import type { AddressInfo } from 'node:net';

/** One answer of the emulator on its way to the client, headers included. */
export type HeadedAnswer = { method: string; path: string; status: number; headers: IncomingHttpHeaders };

/** What the answer becomes: another status and headers, and a body of its own (JSON) or the emulator's. */
export type Replacement = { status: number; headers: IncomingHttpHeaders; body?: unknown };

export type HeaderProxy = {
  /** Stands in for the emulator's origin: `${url}/data/core/ais`. */
  url: string;
  /** The emulator's API base URL as the client reaches it through the proxy. */
  apiBaseUrl: string;
  close(): Promise<void>;
};

/**
 * The emulator over real HTTP with chosen answers' status and headers replaced in transit, as a
 * gateway in front of the service answers (a 503 of its own, a Retry-After in another form); the
 * Date header stays the emulator's (the service's clock) unless the replacement drops it.
 */
export async function startHeaderProxy(
  apiBaseUrl: string,
  replace: (answer: HeadedAnswer) => Replacement | undefined,
): Promise<HeaderProxy> {
  const target = new URL(apiBaseUrl);
  const server = createServer((request, response) => {
    const outbound = httpRequest(
      {
        host: target.hostname,
        port: target.port,
        path: request.url,
        method: request.method,
        headers: request.headers,
      },
      (answer) => {
        const method = request.method ?? 'GET';
        const path = new URL(request.url ?? '/', target).pathname;
        const headers = { ...answer.headers };
        const replaced = replace({ method, path, status: answer.statusCode ?? 0, headers });
        // The emulator's Date (or none) goes on: node must not add its own.
        response.sendDate = false;
        if (replaced === undefined) {
          response.writeHead(answer.statusCode ?? 502, headers);
          answer.pipe(response);
          return;
        }
        answer.resume();
        const { body, ...head } = replaced;
        const text = body === undefined ? undefined : JSON.stringify(body);
        const out = { ...head.headers };
        delete out['content-length'];
        delete out['transfer-encoding'];
        if (text !== undefined) out['content-type'] = 'application/json';
        response.writeHead(head.status, out as Record<string, string>);
        answer.on('end', () => response.end(text));
      },
    );
    outbound.on('error', () => request.socket.destroy());
    request.pipe(outbound);
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  const url = `http://127.0.0.1:${port}`;
  return {
    url,
    apiBaseUrl: `${url}${target.pathname}`,
    close: () =>
      new Promise<void>((resolve, reject) => {
        server.closeAllConnections();
        server.close((error) => (error ? reject(error) : resolve()));
      }),
  };
}

/** The answer's Date header (the service's clock), in epoch ms. */
export function answerDate(headers: IncomingHttpHeaders): number {
  const date = Date.parse(headers.date ?? '');
  if (Number.isNaN(date)) throw new Error(`the answer carries no Date header: ${String(headers.date)}`);
  return date;
}

/** An HTTP date `ms` after the answer's Date, in the preferred form (IMF-fixdate). */
export function imfDate(headers: IncomingHttpHeaders, ms: number): string {
  return new Date(answerDate(headers) + ms).toUTCString();
}

/** An HTTP date `ms` after the answer's Date, in the obsolete asctime form (`Sun Nov  6 08:49:37 1994`, GMT). */
export function asctimeDate(headers: IncomingHttpHeaders, ms: number): string {
  const date = new Date(answerDate(headers) + ms);
  const [weekday, day, month, year, time] = date.toUTCString().replace(',', '').split(' ');
  return `${weekday} ${month} ${String(Number(day)).padStart(2, ' ')} ${time} ${year}`;
}

/** The body of a gateway's 503 in the platform's error shape. */
export function unavailableBody(requestId = 'proxy-503'): unknown {
  return {
    type: 'https://ns.adobe.com/aep/errors/100970-503',
    title: 'SERVICE_UNAVAILABLE',
    status: 503,
    detail: 'The service is unavailable; retry after the delay given.',
    report: { errorCode: '100970-503', requestId },
  };
}
