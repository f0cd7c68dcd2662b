/**
 * Plain `http://` carries what audiencectl sends unencrypted: the client secret, in the IMS token
 * request's form body, and the access token of every API call. A one-letter slip
 * (`http://ims-na1.adobelogin.com/...`) sent the secret over the network in clear, and IMS's
 * redirect to https was refused only after it had (review secrets-42, M-2). git URLs are held
 * to https and ssh for the same reason (GIT_ALLOW_PROTOCOL). Plain http stays for this machine:
 * the emulator listens on loopback.
 */
export const PLAIN_HTTP_REFUSED =
  'must be an https:// URL: plain http:// would send the client secret and access tokens unencrypted (http:// only to this machine: localhost, 127.0.0.1 or [::1], as for the emulator)';

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
