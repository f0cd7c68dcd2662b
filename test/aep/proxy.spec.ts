import { execFile } from 'node:child_process';
import { existsSync } from 'node:fs';
import { mkdir, writeFile } from 'node:fs/promises';
import http from 'node:http';
import https from 'node:https';
import net from 'node:net';
import type { AddressInfo } from 'node:net';
import path from 'node:path';
import { promisify } from 'node:util';
import { afterEach, describe, expect, it } from 'vitest';
import { proxyAgents } from '../../src/aep/proxy.js';
import { bypassesProxy, proxyFor } from '../../src/aep/proxy-variables.js';
import { redactText } from '../../src/log.js';
import { startEmulator, type RunningEmulator } from '../../src/emulator/index.js';
import { runCli, withTempDir } from '../helpers/cli.js';
import { runCliInProcess } from '../helpers/cli-in-process.js';
import { manifestYaml } from '../helpers/manifests.js';
import { clientFor, failure, spec } from './helpers.js';

type Proxy = {
  url: string;
  tunnels: string[];
  /** Each CONNECT's request line and Host header, as received. */
  requests: { line: string; host: string | undefined }[];
  authorizations: string[];
  close(): Promise<void>;
};

/** `host:port` or `[v6]:port` (RFC 9110 authority-form); anything else is no CONNECT target. */
function authority(target: string): { host: string; port: number } | undefined {
  const match = /^(?:\[([0-9a-f:.]+)\]|([^:[\]]+)):(\d+)$/i.exec(target);
  if (!match) return undefined;
  return { host: match[1] ?? match[2] ?? '', port: Number(match[3]) };
}

/** A CONNECT proxy on loopback that counts tunnels and only opens those to loopback addresses. */
async function startProxy(): Promise<Proxy> {
  const tunnels: string[] = [];
  const requests: Proxy['requests'] = [];
  const authorizations: string[] = [];
  const sockets = new Set<net.Socket>();
  const server = http.createServer((_request, response) => response.writeHead(405).end());
  server.on('connect', (request: http.IncomingMessage, client: net.Socket) => {
    sockets.add(client);
    tunnels.push(request.url ?? '');
    requests.push({
      line: `${request.method} ${request.url} HTTP/${request.httpVersion}`,
      host: request.headers.host,
    });
    authorizations.push(request.headers['proxy-authorization'] ?? '');
    const target = authority(request.url ?? '');
    if (target === undefined) {
      client.end('HTTP/1.1 400 Bad Request\r\n\r\n');
      return;
    }
    if (target.host !== '127.0.0.1' && target.host !== '::1') {
      client.end('HTTP/1.1 403 Forbidden\r\n\r\n');
      return;
    }
    const upstream = net.connect(target.port, target.host, () => {
      client.write('HTTP/1.1 200 Connection Established\r\n\r\n');
      upstream.pipe(client).pipe(upstream);
    });
    sockets.add(upstream);
    upstream.on('error', () => client.destroy());
    client.on('error', () => upstream.destroy());
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  return {
    url: `http://127.0.0.1:${port}`,
    tunnels,
    requests,
    authorizations,
    close: () =>
      new Promise((resolve) => {
        for (const socket of sockets) socket.destroy();
        server.close(() => resolve());
      }),
  };
}

/** Whether this machine can listen on ::1 (a container without IPv6 cannot). */
async function hasIpv6Loopback(): Promise<boolean> {
  const server = net.createServer();
  const listening = await new Promise<boolean>((resolve) => {
    server.once('error', () => resolve(false));
    server.listen(0, '::1', () => resolve(true));
  });
  if (listening) await new Promise((resolve) => server.close(resolve));
  return listening;
}

const ipv6 = await hasIpv6Loopback();

/** An HTTPS server on ::1 whose certificate names only the address ::1, and that certificate. */
async function startIpv6TlsServer(): Promise<{ port: number; ca: string; close(): Promise<void> }> {
  // An EC key: made in milliseconds, unlike RSA. The certificate goes to stdout after the key.
  const { stdout } = await promisify(execFile)('openssl', [
    'req',
    '-x509',
    '-newkey',
    'ec',
    '-pkeyopt',
    'ec_paramgen_curve:prime256v1',
    '-nodes',
    '-days',
    '1',
    '-subj',
    '/CN=ipv6-loopback',
    '-addext',
    'subjectAltName=IP:::1',
    '-keyout',
    '-',
    '-out',
    '-',
  ]);
  const cert = stdout.slice(stdout.indexOf('-----BEGIN CERTIFICATE-----'));
  const server = https.createServer({ key: stdout, cert }, (request, response) =>
    response.end(`hello over ${request.socket.localAddress}`),
  );
  await new Promise<void>((resolve) => server.listen(0, '::1', resolve));
  const { port } = server.address() as AddressInfo;
  return {
    port,
    ca: cert,
    close: () =>
      new Promise((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
}

const PROXY_VARS = ['HTTPS_PROXY', 'HTTP_PROXY', 'NO_PROXY', 'https_proxy', 'http_proxy', 'no_proxy'];
const saved = Object.fromEntries(PROXY_VARS.map((name) => [name, process.env[name]]));
const cleanup: (() => Promise<void>)[] = [];

/** The client reads the proxy variables when it is created, as the CLI's would at start. */
function setProxyEnv(env: Record<string, string>): void {
  for (const name of PROXY_VARS) delete process.env[name];
  Object.assign(process.env, env);
}

afterEach(async () => {
  for (const [name, value] of Object.entries(saved)) {
    if (value === undefined) delete process.env[name];
    else process.env[name] = value;
  }
  await Promise.all(cleanup.splice(0).map((close) => close()));
});

async function emulatorAndProxy(): Promise<{ emulator: RunningEmulator; proxy: Proxy; target: string }> {
  const emulator = await startEmulator({ host: '127.0.0.1', port: 0 });
  const proxy = await startProxy();
  cleanup.push(
    () => emulator.close(),
    () => proxy.close(),
  );
  return { emulator, proxy, target: new URL(emulator.apiBaseUrl).host };
}

describe('AEP and IMS behind an egress proxy', () => {
  it('tunnels the token request and the API calls through HTTP_PROXY', async () => {
    const { emulator, proxy, target } = await emulatorAndProxy();
    setProxyEnv({ HTTP_PROXY: proxy.url });
    const client = clientFor(emulator);
    const created = await client.createAudience('prod', spec());
    expect(created.operationId).toMatch(/.+/);
    expect(proxy.tunnels.length).toBeGreaterThan(0);
    expect(new Set(proxy.tunnels)).toEqual(new Set([target]));
    expect(emulator.control.counters().byEndpoint.imsToken.requests).toBe(1);
  });

  it('fails when the proxy refuses, so the calls cannot have gone direct', async () => {
    const { emulator, proxy } = await emulatorAndProxy();
    // The proxy opens tunnels to 127.0.0.1 only: "localhost" is refused.
    const viaName = { ...emulator, apiBaseUrl: emulator.apiBaseUrl.replace('127.0.0.1', 'localhost') };
    setProxyEnv({ http_proxy: proxy.url });
    const client = clientFor(viaName, {
      imsUrl: emulator.imsUrl.replace('127.0.0.1', 'localhost'),
      retry: { limit: 0 },
    });
    const error = await failure(client.createAudience('prod', spec()));
    // Named as the proxy's refusal, by the variable that chose it.
    expect(error.message).toMatch(
      new RegExp(
        `^The proxy http_proxy=${proxy.url} refused the tunnel \\(HTTP 403\\), asking IMS at http://localhost:\\d+/ims/token/v3 for a token: check http_proxy \\(or NO_PROXY\\) and the network\\.$`,
      ),
    );
    expect(proxy.tunnels[0]).toMatch(/^localhost:\d+$/);
    expect(emulator.control.counters().byEndpoint.imsToken.requests).toBe(0);
  });

  it('goes direct to NO_PROXY hosts', async () => {
    const { emulator, proxy } = await emulatorAndProxy();
    setProxyEnv({ HTTP_PROXY: proxy.url, HTTPS_PROXY: proxy.url, NO_PROXY: 'localhost,127.0.0.1' });
    const client = clientFor(emulator);
    await client.createAudience('prod', spec());
    expect(proxy.tunnels).toEqual([]);
  });

  it('sends https:// calls through HTTPS_PROXY with the proxy credentials, never in the error', async () => {
    const { proxy } = await emulatorAndProxy();
    const withCredentials = proxy.url.replace('http://', 'http://squid:s3cr3t-pw@');
    setProxyEnv({ HTTPS_PROXY: withCredentials, HTTP_PROXY: 'http://127.0.0.1:9' });
    const fake = {
      apiBaseUrl: 'https://aep.invalid/data/core/ais',
      imsUrl: 'https://ims.invalid/ims/token/v3',
    };
    const client = clientFor({ ...fake, clients: [] } as unknown as RunningEmulator, { retry: { limit: 0 } });
    const error = await failure(client.createAudience('prod', spec()));
    expect(proxy.tunnels).toEqual(['ims.invalid:443']);
    expect(proxy.authorizations).toEqual([`Basic ${Buffer.from('squid:s3cr3t-pw').toString('base64')}`]);
    expect(`${error.message} ${String(error.cause)}`).not.toContain('s3cr3t-pw');
  });

  // RFC 9110 authority-form: an IPv6 address in brackets; `::1:9443` is no authority.
  it.skipIf(!ipv6)(
    'asks for a tunnel to an IPv6 address as [::1]:port, and the calls go through (HTTP_PROXY)',
    async () => {
      const emulator = await startEmulator({ host: '::1', port: 0 });
      const proxy = await startProxy();
      cleanup.push(
        () => emulator.close(),
        () => proxy.close(),
      );
      const port = new URL(emulator.apiBaseUrl).port;
      setProxyEnv({ HTTP_PROXY: proxy.url });
      const client = clientFor(emulator);
      const created = await client.createAudience('prod', spec());
      expect(created.operationId).toMatch(/.+/);
      expect(emulator.control.counters().byEndpoint.imsToken.requests).toBe(1);
      expect(proxy.requests.length).toBeGreaterThan(0);
      for (const request of proxy.requests) {
        expect(request).toEqual({ line: `CONNECT [::1]:${port} HTTP/1.1`, host: `[::1]:${port}` });
      }
    },
  );

  it.skipIf(!ipv6)(
    'tunnels https:// to an IPv6 address as [::1]:port, and checks its certificate against ::1 (HTTPS_PROXY)',
    async () => {
      const target = await startIpv6TlsServer();
      const proxy = await startProxy();
      cleanup.push(
        () => target.close(),
        () => proxy.close(),
      );
      const agents = proxyAgents({ HTTPS_PROXY: proxy.url });
      const body = await new Promise<string>((resolve, reject) => {
        https
          .get(`https://[::1]:${target.port}/`, { agent: agents?.https, ca: target.ca }, (response) => {
            let text = '';
            response.setEncoding('utf8');
            response.on('data', (chunk: string) => (text += chunk));
            response.on('end', () => resolve(text));
          })
          .on('error', reject);
      });
      expect(body).toBe('hello over ::1');
      expect(proxy.requests).toEqual([
        { line: `CONNECT [::1]:${target.port} HTTP/1.1`, host: `[::1]:${target.port}` },
      ]);
    },
  );
});

describe('a proxy password', () => {
  it('is a secret once the proxy agents are made: scrubbed from any text, plain or in Basic credentials', () => {
    const password = 'pr0xy/pass-7f3a';
    expect(redactText(`squid:${password}`)).toBe(`squid:${password}`);
    proxyAgents({ HTTPS_PROXY: 'http://squid:pr0xy%2Fpass-7f3a@127.0.0.1:9' });
    expect(redactText(`407 for squid:${password} at the proxy`)).toBe(
      '407 for squid:[REDACTED] at the proxy',
    );
    const basic = Buffer.from(`squid:${password}`).toString('base64');
    expect(redactText(`Proxy-Authorization: Basic ${basic}`)).not.toContain(basic);
  });

  it('is a secret even with a bare % in it, which does not decode', () => {
    proxyAgents({ HTTP_PROXY: 'http://squid:50%off-proxy-pw@127.0.0.1:9' });
    expect(redactText('407 for squid:50%off-proxy-pw')).toBe('407 for squid:[REDACTED]');
  });
});

describe('proxyFor', () => {
  const env = {
    HTTPS_PROXY: 'http://secure:3128',
    HTTP_PROXY: 'plain:8080',
    NO_PROXY: '.corp.example,10.0.0.1,api.example:8443',
  };
  it.each([
    ['https://platform.adobe.io/x', env, 'http://secure:3128/'],
    ['http://platform.adobe.io/x', env, 'http://plain:8080/'],
    ['https://aep.corp.example/x', env, undefined],
    ['https://corp.example/x', env, undefined],
    ['https://notcorp.example/x', env, 'http://secure:3128/'],
    ['http://10.0.0.1/x', env, undefined],
    ['https://api.example:8443/x', env, undefined],
    ['https://api.example/x', env, 'http://secure:3128/'],
    ['https://a.b/x', { https_proxy: 'http://lower:1', HTTPS_PROXY: 'http://upper:1' }, 'http://lower:1/'],
    ['https://a.b/x', { HTTPS_PROXY: 'http://p:1', no_proxy: '*' }, undefined],
    ['https://a.b/x', { HTTP_PROXY: 'http://p:1' }, undefined],
    // Set but empty or blank: no proxy, as for curl.
    ['https://a.b/x', { HTTPS_PROXY: '' }, undefined],
    ['https://a.b/x', { HTTPS_PROXY: '  ' }, undefined],
    // An entry without a port names the URL's port, or the scheme's default.
    ['https://api.example/x', { HTTPS_PROXY: 'http://p:1', NO_PROXY: 'api.example:443' }, undefined],
    ['http://api.example/x', { HTTP_PROXY: 'http://p:1', NO_PROXY: 'api.example:80' }, undefined],
    ['http://api.example/x', { HTTP_PROXY: 'http://p:1', NO_PROXY: 'api.example:443' }, 'http://p:1/'],
    // Entries separated by blanks, written in capitals.
    ['https://b.example/x', { HTTPS_PROXY: 'http://p:1', NO_PROXY: 'a.example b.example' }, undefined],
    ['https://api.example/x', { HTTPS_PROXY: 'http://p:1', NO_PROXY: 'API.Example' }, undefined],
    ['https://a.b/x', {}, undefined],
  ])('%s with %j: %s', (url, vars, expected) => {
    expect(proxyFor(new URL(url), vars)?.href).toBe(expected);
  });

  it('matches NO_PROXY entries as curl does', () => {
    expect(bypassesProxy('sub.example.com', '443', 'example.com')).toBe(true);
    expect(bypassesProxy('sub.example.com', '443', '*.example.com')).toBe(true);
    expect(bypassesProxy('badexample.com', '443', 'example.com')).toBe(false);
    expect(bypassesProxy('::1', '80', '[::1]')).toBe(true);
    expect(bypassesProxy('example.com', '80', ' ,, ')).toBe(false);
    expect(bypassesProxy('Sub.EXAMPLE.com', '443', 'example.com')).toBe(true);
  });
});

/** A loopback port nothing listens on (a proxy that is down). */
async function deadPort(): Promise<number> {
  const server = net.createServer();
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  await new Promise<void>((resolve) => server.close(() => resolve()));
  return port;
}

describe('init behind a proxy, and a proxy that fails', () => {
  it("init's credentials check goes through HTTP_PROXY, as every other IMS call", async () => {
    const proxy = await startProxy();
    cleanup.push(() => proxy.close());
    await withTempDir(async (dir) => {
      const result = await runCliInProcess(['init', '--emulator', '--state', path.join(dir, 'state')], {
        env: { HTTP_PROXY: proxy.url },
      });
      expect(result).toMatchObject({ code: 0, stderr: '' });
      expect(proxy.tunnels).toHaveLength(1);
      expect(proxy.tunnels[0]).toMatch(/^127\.0\.0\.1:\d+$/);
    });
  });

  it('an unreachable proxy is named as such, without its password; init creates no store', async () => {
    const port = await deadPort();
    await withTempDir(async (dir) => {
      const state = path.join(dir, 'state');
      const result = await runCliInProcess(['init', '--emulator', '--state', state], {
        env: { HTTP_PROXY: `http://squid:s3cr3t-pw@127.0.0.1:${port}` },
      });
      expect(result.code).toBe(1);
      expect(result.stderr).toMatch(
        new RegExp(
          `^Error: Cannot reach the proxy HTTP_PROXY=http://127\\.0\\.0\\.1:${port} \\(ECONNREFUSED\\), asking IMS at http://127\\.0\\.0\\.1:\\d+/ims/token/v3 for a token: check HTTP_PROXY \\(or NO_PROXY\\) and the network\\.\\n$`,
        ),
      );
      expect(existsSync(state)).toBe(false);
    });
  });

  it('an AEP call through an unreachable HTTPS_PROXY names the proxy, not AEP_BASE_URL', async () => {
    const emulator = await startEmulator({ host: '127.0.0.1', port: 0 });
    cleanup.push(() => emulator.close());
    const port = await deadPort();
    // The token comes from the emulator directly (http://, no HTTP_PROXY); the API is https://.
    setProxyEnv({ HTTPS_PROXY: `http://squid:s3cr3t-pw@127.0.0.1:${port}` });
    const client = clientFor(
      { ...emulator, apiBaseUrl: 'https://aep.invalid/data/core/ais' },
      { retry: { limit: 0 } },
    );
    const error = await failure(client.createAudience('prod', spec()));
    expect(error.message).toMatch(
      new RegExp(`^Cannot reach the proxy HTTPS_PROXY=http://127\\.0\\.0\\.1:${port} \\(ECONNREFUSED\\) \\(`),
    );
    expect(error.message).toContain('check HTTPS_PROXY (or NO_PROXY) and the network.');
    expect(`${error.message} ${String(error.cause)}`).not.toContain('s3cr3t-pw');
  });

  it('a proxy variable that is no URL is refused before any plan or call, naming it, without the password', async () => {
    await withTempDir(async (dir) => {
      const m = path.join(dir, 'm');
      await mkdir(m);
      await writeFile(path.join(m, 'gold.yaml'), manifestYaml('gold'));
      const state = path.join(dir, 'state');
      expect((await runCliInProcess(['init', '--state-only', '--state', state])).code).toBe(0);
      const env = { HTTP_PROXY: 'http://squid:s3cr3t-pw@not a host:3128' };
      const line =
        'Error: HTTP_PROXY: "http://***@not a host:3128" is not a proxy URL (e.g. http://proxy.example:3128 or http://user:password@proxy.example:3128)\n';
      for (const args of [
        ['init', '--emulator', '--state', state],
        ['apply', m, '--emulator', '--auto-approve', '--state', state],
      ]) {
        const result = await runCliInProcess(args, { env });
        expect(result).toEqual({ code: 1, stdout: '', stderr: line });
      }
    });
  });

  // review 20a (the route H1 found for the state URL): read as host "squid", port 2024 and a
  // path holding the rest of the password, which "Cannot reach the proxy HTTP_PROXY=…" printed.
  it('a proxy password not percent-encoded (digits, then "/") is refused before any call, showing no part of it', async () => {
    await withTempDir(async (dir) => {
      const state = path.join(dir, 'state');
      const port = await deadPort();
      const result = await runCli(['init', '--emulator', '--state', state], {
        env: { HTTP_PROXY: `http://squid:2024/s3cr3t-pw@127.0.0.1:${port}` },
      });
      expect(result).toEqual({
        code: 1,
        stdout: '',
        stderr:
          'Error: HTTP_PROXY: the URL holds "@" after its host and port: a proxy password holding / ? or # must be percent-encoded (%2F %3F %23, and @ as %40), as must an "@" in its path; the value is not shown\n',
      });
      expect(existsSync(state)).toBe(false);
    });
  });
});
