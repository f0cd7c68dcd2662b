import { DEMO_CLIENT } from '../emulator/demo-client.js';
import type { ConfigProblem } from './types.js';

/**
 * Plain `http://` carries what audiencectl sends unencrypted: the client secret, in the IMS token
 * request's form body, and the access token of every API call. A one-letter slip
 * (`http://ims-na1.adobelogin.com/...`) sent the secret over the network in clear, and IMS's
 * redirect to https was refused only after it had (review secrets-42, M-2). git URLs are held
 * to https and ssh for the same reason (GIT_ALLOW_PROTOCOL). Plain http stays for this machine
 * (the emulator listens on loopback), and for an emulator elsewhere used with its own demo client
 * (emulatorsOwn).
 */
export const PLAIN_HTTP_REFUSED =
  'must be an https:// URL: plain http:// would send the client secret and access tokens unencrypted (http:// only to this machine: localhost, 127.0.0.1 or [::1]; or to an emulator on another host with its demo client, AEP_IMS_URL and AEP_BASE_URL both on it)';

/** A loopback host as a URL spells it (`127.0.0.1`, `[::1]`, `localhost`), never leaving this machine. */
function isLoopback(hostname: string): boolean {
  const host = hostname.toLowerCase().replace(/\.$/, '');
  return host === 'localhost' || host === '[::1]' || /^127(\.\d{1,3}){3}$/.test(host);
}

/** Whether `value` is an `http://` URL to another host than this machine (not a URL: false). */
export function isPlainHttpElsewhere(value: string): boolean {
  let url: URL;
  try {
    url = new URL(value);
  } catch {
    return false;
  }
  return url.protocol === 'http:' && !isLoopback(url.hostname);
}

/** A URL setting, under the key a problem with it is told by (`AEP_IMS_URL`, a file's `imsUrl`). */
export type UrlSetting = { key: string; url: string };

/** A client audiencectl would authenticate as. */
type Client = { clientId: string; clientSecret: string };

/**
 * An emulator on another host, as `audiencectl emulator --host <address>` prints its settings (a
 * CI service container, a compose service): IMS and the API on that one origin, and only its
 * demo client, whose secret is published (emulator/demo-client.ts). Nothing secret crosses the
 * network, and each token goes back only to the emulator that issued it; refusing it left the
 * emulator unusable from anywhere but its own machine (review verify-42, M-1).
 */
function emulatorsOwn(urls: readonly UrlSetting[], clients: readonly Client[]): boolean {
  const origins = new Set(urls.map(({ url }) => new URL(url).origin));
  return (
    origins.size === 1 &&
    clients.length > 0 &&
    clients.every((c) => c.clientId === DEMO_CLIENT.clientId && c.clientSecret === DEMO_CLIENT.clientSecret)
  );
}

/**
 * The problems of `urls` (the IMS and API URLs in use) given the `clients` audiencectl would send
 * there: each plain http:// URL to another host, unless they are an emulator's own (emulatorsOwn).
 */
export function plainHttpProblems(urls: readonly UrlSetting[], clients: readonly Client[]): ConfigProblem[] {
  const elsewhere = urls.filter(({ url }) => isPlainHttpElsewhere(url));
  if (elsewhere.length === 0 || emulatorsOwn(urls, clients)) return [];
  return elsewhere.map(({ key }) => ({ key, message: PLAIN_HTTP_REFUSED }));
}
