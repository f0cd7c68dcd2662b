import { UsageError } from '../errors.js';
import { userInfoMisread } from '../text/safe-url.js';
import { registerSecret } from '../text/secrets.js';

// Apart from proxy.ts (the agents): checking the variables is all a command does until its
// first call, and proxy.ts's imports (hpagent, node:https, node:tls, node:net) cost every
// apply their loading.

export type ProxyEnv = Readonly<Record<string, string | undefined>>;

/** The variable as curl and git read it: the lower-case name first. */
function variable(env: ProxyEnv, name: string): string | undefined {
  const value = (env[name.toLowerCase()] ?? env[name.toUpperCase()])?.trim();
  return value === undefined || value === '' ? undefined : value;
}

/** The name of the variable `variable` reads (`http_proxy` or `HTTP_PROXY`), for messages. */
export function variableName(env: ProxyEnv, name: string): string {
  return env[name.toLowerCase()] === undefined ? name.toUpperCase() : name.toLowerCase();
}

export function defaultPort(protocol: string): string {
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
