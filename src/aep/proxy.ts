import http from 'node:http';
import https from 'node:https';
import net from 'node:net';
import tls from 'node:tls';
import { HttpProxyAgent, HttpsProxyAgent } from 'hpagent';
import { registerSecret } from '../text/secrets.js';

export type ProxyEnv = Readonly<Record<string, string | undefined>>;

/** The variable as curl and git read it: the lower-case name first. */
function variable(env: ProxyEnv, name: string): string | undefined {
  const value = (env[name.toLowerCase()] ?? env[name.toUpperCase()])?.trim();
  return value === undefined || value === '' ? undefined : value;
}

function defaultPort(protocol: string): string {
  return protocol === 'https:' ? '443' : '80';
}

/** `host`, `host:port`, `[v6]`, `[v6]:port` or a bare IPv6 address; a leading `.` or `*.` dropped. */
function splitEntry(entry: string): { entryHost: string; entryPort: string | undefined } {
  const bracketed = /^\[([^\]]*)\](?::(\d+))?$/.exec(entry);
  if (bracketed) return { entryHost: bracketed[1] ?? '', entryPort: bracketed[2] };
  const withPort = /^([^:]*):(\d+)$/.exec(entry);
  const host = withPort ? (withPort[1] ?? '') : entry;
  return { entryHost: host.replace(/^\*?\./, ''), entryPort: withPort?.[2] };
}

/**
 * Whether NO_PROXY exempts `host:port`: `*` exempts everything; an entry exempts
 * its host and the host's subdomains (`example.com`, `.example.com`, `*.example.com`),
 * on any port or on the one it names (`example.com:8443`).
 */
export function bypassesProxy(host: string, port: string, noProxy: string | undefined): boolean {
  const name = host.toLowerCase().replace(/^\[|\]$/g, '');
  for (const raw of (noProxy ?? '').split(/[\s,]+/)) {
    const entry = raw.trim().toLowerCase();
    if (entry === '') continue;
    if (entry === '*') return true;
    const { entryHost, entryPort } = splitEntry(entry);
    if (entryPort !== undefined && entryPort !== port) continue;
    if (name === entryHost || name.endsWith(`.${entryHost}`)) return true;
  }
  return false;
}

/** The proxy for `url` as HTTPS_PROXY, HTTP_PROXY and NO_PROXY say, or undefined for a direct connection. */
export function proxyFor(url: URL, env: ProxyEnv): URL | undefined {
  const proxy = variable(env, url.protocol === 'https:' ? 'https_proxy' : 'http_proxy');
  if (proxy === undefined) return undefined;
  if (bypassesProxy(url.hostname, url.port || defaultPort(url.protocol), variable(env, 'no_proxy')))
    return undefined;
  return proxyUrl(proxy);
}

/** A proxy variable's value as a URL: "proxy.example.com:3128" without a scheme means http://, as for curl. */
function proxyUrl(value: string): URL {
  return new URL(/^[a-z][a-z0-9+.-]*:\/\//i.test(value) ? value : `http://${value}`);
}

/**
 * A proxy's password goes to the proxy only (Proxy-Authorization): registered as a secret,
 * it shows in no log line or error, whatever text (a proxy's 407 page, a transport error)
 * quotes it. A value that is no URL fails later, where the call names it.
 */
function registerProxyPasswords(env: ProxyEnv): void {
  for (const name of ['https_proxy', 'http_proxy']) {
    const value = variable(env, name);
    if (value === undefined) continue;
    let password: string;
    try {
      ({ password } = proxyUrl(value));
    } catch {
      continue; // Not a URL: proxyFor throws for it when a call is made.
    }
    // As written in the URL, and decoded where it decodes (a bare `%` does not).
    registerSecret(password);
    try {
      registerSecret(decodeURIComponent(password));
    } catch {
      // Registered as written.
    }
  }
}

/**
 * hpagent writes the CONNECT request-target and Host header as `${host}:${port}`: for an
 * IPv6 address that is `::1:443`, no authority (RFC 9110 wants `[::1]:443`), and a strict
 * proxy refuses it. So its agents are handed the address in brackets; the TLS handshake
 * in the tunnel still checks the certificate against the address itself.
 */
function bracketed(options: https.RequestOptions): https.RequestOptions {
  const { host } = options;
  if (typeof host !== 'string' || !net.isIPv6(host)) return options;
  const check = options.checkServerIdentity ?? tls.checkServerIdentity;
  return {
    ...options,
    host: `[${host}]`,
    checkServerIdentity: (name, cert) => check(name === `[${host}]` ? host : name, cert),
  };
}

type Connected = Parameters<http.Agent['createConnection']>[1];

class ProxyAgent extends HttpProxyAgent {
  override createConnection(options: http.ClientRequestArgs, callback?: Connected) {
    return super.createConnection(bracketed(options), callback);
  }
}

class TlsProxyAgent extends HttpsProxyAgent {
  override createConnection(options: https.RequestOptions, callback?: Connected) {
    return super.createConnection(bracketed(options), callback);
  }
}

type AddRequest = (request: http.ClientRequest, options: http.RequestOptions) => void;
type Routed<A extends http.Agent> = { direct: A; proxied: (proxy: URL) => A };

/** An agent that hands each request to a direct agent or to the agent of its proxy. */
function routingAgent<A extends http.Agent>(
  protocol: 'http:' | 'https:',
  env: ProxyEnv,
  agents: Routed<A>,
): A {
  const byProxy = new Map<string, A>();
  const router = agents.direct;
  const direct = Object.getPrototypeOf(router) as { addRequest: AddRequest };
  // addRequest is how a ClientRequest asks its agent for a socket (Node's http agent contract).
  (router as unknown as { addRequest: AddRequest }).addRequest = function route(request, options) {
    const host = options.hostname ?? options.host ?? 'localhost';
    const port = String(options.port ?? defaultPort(protocol));
    const proxy = proxyFor(new URL(`${protocol}//${host.includes(':') ? `[${host}]` : host}:${port}`), env);
    if (proxy === undefined) {
      direct.addRequest.call(router, request, options);
      return;
    }
    let agent = byProxy.get(proxy.href);
    if (agent === undefined) {
      agent = agents.proxied(proxy);
      byProxy.set(proxy.href, agent);
    }
    (agent as unknown as { addRequest: AddRequest }).addRequest(request, options);
  };
  return router;
}

/**
 * got's `agent` option for the AEP and IMS client: like git, it goes through
 * HTTPS_PROXY / HTTP_PROXY (a CONNECT tunnel; credentials in the proxy URL are sent
 * as Proxy-Authorization) except for NO_PROXY hosts. Undefined when no proxy is set,
 * so that nothing changes for everyone else.
 */
export function proxyAgents(env: ProxyEnv): { http: http.Agent; https: https.Agent } | undefined {
  if (variable(env, 'https_proxy') === undefined && variable(env, 'http_proxy') === undefined)
    return undefined;
  registerProxyPasswords(env);
  const options = { keepAlive: true };
  return {
    http: routingAgent('http:', env, {
      direct: new http.Agent(options),
      proxied: (proxy) => new ProxyAgent({ ...options, proxy }),
    }),
    https: routingAgent('https:', env, {
      direct: new https.Agent(options),
      proxied: (proxy) => new TlsProxyAgent({ ...options, proxy }),
    }),
  };
}
