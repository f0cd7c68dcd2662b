import http from 'node:http';
import https from 'node:https';
import net from 'node:net';
import tls from 'node:tls';
import { HttpProxyAgent, HttpsProxyAgent } from 'hpagent';
import { safeUrl } from '../text/safe-url.js';
import { PROXY_FAILURE } from './proxy-failure.js';
import {
  checkProxyVariables,
  defaultPort,
  proxyFor,
  variableName,
  type ProxyEnv,
} from './proxy-variables.js';

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
