import { execFile, spawn } from 'node:child_process';
import { once } from 'node:events';
import { readFile } from 'node:fs/promises';
import type { IncomingMessage, ServerResponse } from 'node:http';
import { createServer } from 'node:https';
import type { AddressInfo } from 'node:net';
import path from 'node:path';
import { promisify } from 'node:util';

const run = promisify(execFile);

export type HttpsGitServer = {
  url: string;
  /** The self-signed certificate, to pass as the source's caFile. */
  caFile: string;
  /** Every request line and header the server received, for leak checks. */
  seen: string[];
  /** Requests that carried the right credentials. */
  authorized: number;
  /** While true, requests are held open and never answered (a stalled server). */
  hang: boolean;
  /**
   * While set, a request with credentials is answered with a git `ERR` line that echoes
   * its Authorization header and the base64 of `prefix + password` for each prefix given
   * (a hostile or careless server; git prints it as "remote error: ...").
   */
  echo: string[] | undefined;
  /** The token requests must carry from now on (a rotated credential). */
  token: string;
  close(): Promise<void>;
};

async function selfSignedCert(dir: string): Promise<{ key: string; cert: string }> {
  const key = path.join(dir, 'tls.key');
  const cert = path.join(dir, 'tls.crt');
  await run('openssl', [
    'req',
    '-x509',
    '-newkey',
    'rsa:2048',
    '-nodes',
    '-days',
    '1',
    '-subj',
    '/CN=127.0.0.1',
    '-addext',
    'subjectAltName=IP:127.0.0.1',
    '-keyout',
    key,
    '-out',
    cert,
  ]);
  return { key, cert };
}

/** Runs `git http-backend` as CGI for one request (the smart HTTP protocol). */
function cgi(root: string, req: IncomingMessage, res: ServerResponse, user: string): void {
  const url = new URL(req.url ?? '/', 'https://localhost');
  const child = spawn('git', ['http-backend'], {
    env: {
      PATH: process.env.PATH,
      GIT_PROJECT_ROOT: root,
      GIT_HTTP_EXPORT_ALL: '1',
      GIT_CONFIG_NOSYSTEM: '1',
      PATH_INFO: url.pathname,
      QUERY_STRING: url.search.slice(1),
      REQUEST_METHOD: req.method ?? 'GET',
      CONTENT_TYPE: req.headers['content-type'] ?? '',
      HTTP_CONTENT_ENCODING: req.headers['content-encoding'] ?? '',
      GIT_PROTOCOL: String(req.headers['git-protocol'] ?? ''),
      REMOTE_USER: user,
      REMOTE_ADDR: '127.0.0.1',
    },
  });
  req.pipe(child.stdin);
  const chunks: Buffer[] = [];
  child.stdout.on('data', (chunk: Buffer) => chunks.push(chunk));
  child.on('close', () => {
    const out = Buffer.concat(chunks);
    const split = out.indexOf('\r\n\r\n');
    const head = out.subarray(0, split).toString('latin1');
    let status = 200;
    const headers: Record<string, string> = {};
    for (const line of head.split('\r\n')) {
      const colon = line.indexOf(':');
      const name = line.slice(0, colon).trim();
      const value = line.slice(colon + 1).trim();
      if (name.toLowerCase() === 'status') status = Number.parseInt(value, 10);
      else headers[name] = value;
    }
    res.writeHead(status, headers).end(out.subarray(split + 4));
  });
}

function echoCredentials(res: ServerResponse, authorization: string, prefixes: string[]): void {
  const password = Buffer.from(authorization.replace(/^Basic /, ''), 'base64')
    .toString('utf8')
    .replace(/^[^:]*:/, '');
  const encoded = prefixes.map((prefix) => Buffer.from(`${prefix}${password}`).toString('base64'));
  const line = `ERR you sent ${authorization}; also ${encoded.join(' ')}\n`;
  const packet = `${(line.length + 4).toString(16).padStart(4, '0')}${line}`;
  res.writeHead(200, { 'Content-Type': 'application/x-git-upload-pack-advertisement' }).end(packet);
}

/** A real HTTPS git server on 127.0.0.1 that requires Basic auth `user:token`. */
export async function startHttpsGitServer(
  root: string,
  user: string,
  token: string,
): Promise<HttpsGitServer> {
  const { key, cert } = await selfSignedCert(root);
  const basic = (secret: string) => `Basic ${Buffer.from(`${user}:${secret}`).toString('base64')}`;
  let expected = basic(token);
  let current = token;
  const state = { seen: [] as string[], authorized: 0, hang: false, echo: undefined as string[] | undefined };
  const server = createServer({ key: await readFile(key), cert: await readFile(cert) }, (req, res) => {
    state.seen.push(`${req.method} ${req.url}`, JSON.stringify(req.headers));
    if (state.hang) return;
    if (state.echo && req.headers.authorization) {
      echoCredentials(res, req.headers.authorization, state.echo);
      return;
    }
    if (req.headers.authorization !== expected) {
      req.resume();
      res.writeHead(401, { 'WWW-Authenticate': 'Basic realm="git"' }).end('unauthorized');
      return;
    }
    state.authorized += 1;
    cgi(root, req, res, user);
  });
  server.listen(0, '127.0.0.1');
  await once(server, 'listening');
  const { port } = server.address() as AddressInfo;
  return {
    url: `https://127.0.0.1:${port}`,
    caFile: cert,
    get seen() {
      return state.seen;
    },
    get authorized() {
      return state.authorized;
    },
    get echo() {
      return state.echo;
    },
    set echo(value: string[] | undefined) {
      state.echo = value;
    },
    get token() {
      return current;
    },
    set token(value: string) {
      current = value;
      expected = basic(value);
    },
    get hang() {
      return state.hang;
    },
    set hang(value: boolean) {
      state.hang = value;
    },
    close: () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
}
