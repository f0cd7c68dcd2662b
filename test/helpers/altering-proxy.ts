import { createServer, type IncomingHttpHeaders } from 'node:http';
import type { AddressInfo } from 'node:net';

/** One answer of the service, on its way to the client. */
export type Answer = {
  method: string;
  /** Without the query. */
  path: string;
  query: URLSearchParams;
  status: number;
  /** The parsed JSON; undefined for an empty body (only with `emptyBodies`). */
  body: unknown;
};

/** An answer of another status: `reply(404, {...})`. */
class Reply {
  constructor(
    readonly status: number,
    readonly body: unknown,
    /** `body` is the text to send as it is, not JSON. */
    readonly raw = false,
  ) {}
}

export function reply(status: number, body: unknown): Reply {
  return new Reply(status, body);
}

/** An answer whose body is `text` as it is (empty, HTML, not JSON). */
export function replyText(status: number, text: string): Reply {
  return new Reply(status, text, true);
}

/**
 * Returns the body to send instead (JSON), a `reply(...)`, or undefined to pass the answer on as it is;
 * or a promise of one, which the answer waits for.
 */
export type Alteration = (answer: Answer) => unknown;

export type AlteringProxy = {
  /** Stands in for the emulator's url: `${url}/data/core/ais`, `${url}/ims/token/v3`. */
  url: string;
  /** Alters the answers from now on; undefined passes everything on unchanged. */
  alter(alteration: Alteration | undefined): void;
  /** Rewrites the requests' path and query (`/data/...?...`) before they are forwarded; undefined: as sent. */
  rewrite(rewriting: ((url: string) => string) | undefined): void;
  close(): Promise<void>;
};

/** Whether an answer of `status` is a refusal the proxy was asked to let alterations see. */
function altersRefusal(options: { refusals?: boolean }, status: number): boolean {
  return options.refusals === true && status >= 400 && status < 500;
}

const HOP_BY_HOP = new Set(['host', 'connection', 'content-length', 'transfer-encoding', 'keep-alive']);

function forwardable(headers: IncomingHttpHeaders): Record<string, string> {
  const out: Record<string, string> = {};
  for (const [name, value] of Object.entries(headers)) {
    if (value === undefined || HOP_BY_HOP.has(name)) continue;
    out[name] = Array.isArray(value) ? value.join(', ') : value;
  }
  return out;
}

/**
 * The emulator over real HTTP, with chosen answers altered in transit: what a gateway or
 * another version of the service might send (a success of another shape) and the emulator
 * never does. Everything else (status, the request itself, what the emulator did) is the
 * emulator's own.
 */
export async function startAlteringProxy(
  target: string,
  /**
   * `emptyBodies`: empty successes (a DELETE's 204) go through the alteration too, with `body`
   * undefined. `noDate`: answers carry no Date header (the emulator's is not passed on, and
   * node's own is not added): a client measures no offset to AEP's clock. `refusals`: answers
   * of a 4xx status go through the alteration too (a service that words its refusals otherwise).
   */
  options: { emptyBodies?: boolean; noDate?: boolean; refusals?: boolean } = {},
): Promise<AlteringProxy> {
  let alteration: Alteration | undefined;
  let rewriting: ((url: string) => string) | undefined;
  const server = createServer((request, response) => {
    const chunks: Buffer[] = [];
    request.on('data', (chunk: Buffer) => chunks.push(chunk));
    request.on('end', () => {
      const method = request.method ?? 'GET';
      const body = chunks.length > 0 ? Buffer.concat(chunks) : undefined;
      const url = rewriting ? rewriting(request.url ?? '/') : (request.url ?? '/');
      void fetch(`${target}${url}`, {
        method,
        headers: forwardable(request.headers),
        ...(body && method !== 'GET' ? { body } : {}),
      })
        .then(async (answer) => {
          let text = await answer.text();
          let status = answer.status;
          const { pathname: path, searchParams: query } = new URL(url, target);
          if (
            alteration &&
            (text !== '' || options.emptyBodies) &&
            (status < 300 || altersRefusal(options, status))
          ) {
            const body: unknown = text === '' ? undefined : JSON.parse(text);
            const altered: unknown = await alteration({ method, path, query, status, body });
            if (altered instanceof Reply) {
              status = altered.status;
              text = altered.raw ? String(altered.body) : JSON.stringify(altered.body);
            } else if (altered !== undefined) text = JSON.stringify(altered);
          }
          const type = answer.headers.get('content-type');
          if (options.noDate) response.sendDate = false;
          response.writeHead(status, type ? { 'content-type': type } : {});
          response.end(text);
        })
        // The emulator dropped the connection (a `drop` or `responseLost` fault): so does the proxy.
        .catch(() => request.socket.destroy());
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  return {
    url: `http://127.0.0.1:${port}`,
    alter: (next) => {
      alteration = next;
    },
    rewrite: (next) => {
      rewriting = next;
    },
    close: () =>
      new Promise<void>((resolve, reject) => {
        server.closeAllConnections();
        server.close((error) => (error ? reject(error) : resolve()));
      }),
  };
}
