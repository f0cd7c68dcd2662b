import got from 'got';
import { accessOrgOf, imsOrgOf, type AepCredentials } from '../aep/credentials.js';
import { ImsToken } from '../aep/ims-token.js';
import { proxyAgents } from '../aep/proxy.js';
import { assertProxySettings } from '../aep/proxy-variables.js';
import type { OrgOf } from '../state/org-binding.js';
import { safeUrl } from '../text/safe-url.js';
import { loadConfigFor, warnOnStderr, type ConnectFlags } from './connect.js';
import { emulatorCredentials } from './emulator-credentials.js';

// `init`'s credentials check, in a file of its own: it loads got and the IMS token code, which
// `init --state-only`, `init --help` and an init refused for its flags never use (issue 15).

/** IMS is asked once per client; a slow IMS must not hang a setup step. */
const TOKEN_TIMEOUT_MS = 30_000;

/** One token request per distinct client: proves the id, secret, scopes and IMS URL. */
async function checkCredentials(imsUrl: string, clients: readonly AepCredentials[]): Promise<string[]> {
  // Through HTTPS_PROXY / HTTP_PROXY (NO_PROXY aside), as every other AEP and IMS call.
  const agent = proxyAgents(process.env);
  const http = got.extend({
    timeout: { request: TOKEN_TIMEOUT_MS },
    retry: { limit: 1 },
    ...(agent === undefined ? {} : { agent }),
  });
  const seen = new Set<string>();
  const lines: string[] = [];
  for (const credentials of clients) {
    const id = JSON.stringify([credentials.clientId, credentials.clientSecret, credentials.scopes ?? null]);
    if (seen.has(id)) continue;
    seen.add(id);
    await new ImsToken({ imsUrl, credentials, http }).get();
    lines.push(
      `Credentials: IMS at ${safeUrl(imsUrl)} issued a token to client ${credentials.clientId} (org ${credentials.orgId}).`,
    );
  }
  return lines;
}

/** What the credentials check found: its lines, and the org of each sandbox they reach. */
export type Checked = { lines: string[]; orgOf: OrgOf };

export async function credentialsCheck(flags: ConnectFlags): Promise<Checked> {
  // Before anything starts (the emulator's server would keep the process alive).
  assertProxySettings(process.env);
  if (flags.emulator) {
    // As `apply --emulator`: the embedded emulator and its published demo client.
    const { DEMO_CLIENT, startEmulator } = await import('../emulator/index.js');
    const emulator = await startEmulator({ port: 0 });
    try {
      const demo = emulatorCredentials(DEMO_CLIENT);
      const lines = await checkCredentials(emulator.imsUrl, [demo]);
      // The demo client reaches every sandbox: a store bound to another org is refused here,
      // as apply --emulator refuses it (it said "ready" for a store apply then refused).
      return { lines, orgOf: (sandbox) => imsOrgOf(sandbox, demo, false) };
    } finally {
      await emulator.close();
    }
  }
  const config = await loadConfigFor(flags, warnOnStderr);
  const clients = [
    ...(config.defaultAccess ? [config.defaultAccess] : []),
    ...Object.values(config.sandboxes),
  ].map((access) => access.credentials);
  const lines = await checkCredentials(config.imsUrl, clients);
  // Each sandbox's org as the client names it (AepClient.orgOf), without building one.
  return { lines, orgOf: (sandbox) => accessOrgOf(sandbox, config.sandboxes, config.defaultAccess) };
}
