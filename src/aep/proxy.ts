import http from 'node:http';
import https from 'node:https';
import net from 'node:net';
import tls from 'node:tls';
import { HttpProxyAgent, HttpsProxyAgent } from 'hpagent';
import { UsageError } from '../errors.js';
import { safeUrl, userInfoMisread } from '../text/safe-url.js';
import { registerSecret } from '../text/secrets.js';
import { PROXY_FAILURE } from './proxy-failure.js';

export type ProxyEnv = Readonly<Record<string, string | undefined>>;

/** The variable as curl and git read it: the lower-case name first. */
function variable(env: ProxyEnv, name: string): string | undefined {
  const value = (env[name.toLowerCase()] ?? env[name.toUpperCase()])?.trim();
  return value === undefined || value === '' ? undefined : value;
}

/** The name of the variable `variable` reads (`http_proxy` or `HTTP_PROXY`), for messages. */
function variableName(env: ProxyEnv, name: string): string {
  return env[name.toLowerCase()] === undefined ? name.toUpperCase() : name.toLowerCase();
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

/** `value` without what precedes an `@` (a user and password), as a message may show it. */
function redactedValue(value: string): string {
  const scheme = /^[a-z][a-z0-9+.-]*:\/\//i.exec(value)?.[0] ?? '';
  const rest = value.slice(scheme.length);
  const at = rest.lastIndexOf('@');
  return at < 0 ? value : `${scheme}***@${rest.slice(at + 1)}`;
}

/**
 * What is wrong with HTTPS_PROXY and HTTP_PROXY, one text per variable: a value that is
 * no http:// or https:// URL. Checked when the client is made, before any plan is shown
 * or any call made; the value is shown without its user and password.
 */
export function proxyProblems(env: ProxyEnv): string[] {
  const problems: string[] = [];
  for (const name of ['https_proxy', 'http_proxy']) {
    const value = variable(env, name);
    if (value === undefined) continue;
    let url: URL | undefined;
    try {
      url = proxyUrl(value);
    } catch {
      url = undefined;
    }
    // Read as host `user` and a port, and the rest of the password as a path: no part shown.
    if (url !== undefined && userInfoMisread(url.href)) {
      problems.push(
        `${variableName(env, name)}: the URL holds "@" after its host and port: a proxy password holding / ? or # must be percent-encoded (%2F %3F %23, and @ as %40), as must an "@" in its path; the value is not shown`,
      );
      continue;
    }
    if (url !== undefined && (url.protocol === 'http:' || url.protocol === 'https:') && url.hostname !== '')
      continue;
    problems.push(
      `${variableName(env, name)}: ${JSON.stringify(redactedValue(value))} is not a proxy URL (e.g. http://proxy.example:3128 or http://user:password@proxy.example:3128)`,
    );
  }
  return problems;
}

/** Throws one UsageError naming each proxy variable that is no proxy URL. */
export function assertProxySettings(env: ProxyEnv): void {
  const problems = proxyProblems(env);
  if (problems.length > 0) throw new UsageError('BAD_PROXY', problems.join('; '));
}

/** How messages name the proxy of a failure: `HTTPS_PROXY=http://proxy:3128`, without credentials. */
function proxyLabel(env: ProxyEnv, name: string, proxy: URL): string {
  return `${variableName(env, name)}=${safeUrl(proxy.href).replace(/\/$/, '')}`;
}

/**
 * The callback of an agent's createConnection, marking an error as the proxy's: hpagent
 * reports through it only what happened before the tunnel was open (the proxy could not
 * be reached, or answered the CONNECT with something other than 200).
 */
function markingProxyFailures(label: string, callback: Connected | undefined): Connected | undefined {
  if (callback === undefined) return undefined;
  return (error, socket) => {
    if (error) Object.assign(error, { [PROXY_FAILURE]: label });
    callback(error, socket);
  };
}

/**
 * A proxy's password goes to the proxy only (Proxy-Authorization): registered as a secret,
 * it shows in no log line or error, whatever text (a proxy's 407 page, a transport error)
 * quotes it.
 */
function registerProxyPasswords(env: ProxyEnv): void {
  for (const name of ['https_proxy', 'http_proxy']) {
    const value = variable(env, name);
    if (value === undefined) continue;
    let password: string;
    try {
      ({ password } = proxyUrl(value));
    } catch {
      continue; // Not a URL: proxyAgents refuses it.
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
 * What a client's making checks of the proxy variables (proxyAgents): whether one is set, its
 * password registered as a secret and each variable refused (UsageError) unless a proxy URL.
 * A client made only at its first call (connect.ts) checks them here first, as it was made.
 */
export function checkProxyVariables(env: ProxyEnv): boolean {
  if (variable(env, 'https_proxy') === undefined && variable(env, 'http_proxy') === undefined) return false;
  registerProxyPasswords(env);
  assertProxySettings(env);
  return true;
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

type Labelled<O> = O & { label: string };

class ProxyAgent extends HttpProxyAgent {
  readonly #label: string;

  constructor({ label, ...options }: Labelled<ConstructorParameters<typeof HttpProxyAgent>[0]>) {
    super(options);
    this.#label = label;
  }

  override createConnection(options: http.ClientRequestArgs, callback?: Connected) {
    return super.createConnection(bracketed(options), markingProxyFailures(this.#label, callback));
  }
}

class TlsProxyAgent extends HttpsProxyAgent {
  readonly #label: string;

  constructor({ label, ...options }: Labelled<ConstructorParameters<typeof HttpsProxyAgent>[0]>) {
    super(options);
    this.#label = label;
  }

  override createConnection(options: https.RequestOptions, callback?: Connected) {
    return super.createConnection(bracketed(options), markingProxyFailures(this.#label, callback));
  }
}

type AddRequest = (request: http.ClientRequest, options: http.RequestOptions) => void;
type Routed<A extends http.Agent> = { direct: A; proxied: (proxy: URL, label: string) => A };

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
      agent = agents.proxied(proxy, proxyLabel(env, `${protocol.slice(0, -1)}_proxy`, proxy));
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
  if (!checkProxyVariables(env)) return undefined;
  const options = { keepAlive: true };
  return {
    http: routingAgent('http:', env, {
      direct: new http.Agent(options),
      proxied: (proxy, label) => new ProxyAgent({ ...options, proxy, label }),
    }),
    https: routingAgent('https:', env, {
      direct: new https.Agent(options),
      proxied: (proxy, label) => new TlsProxyAgent({ ...options, proxy, label }),
    }),
  };
}
