import { createAepClient, type AepHttpClient } from '../aep/client.js';
import { createAepClientFromConfig, loadAepConfig, type AepClientExtras } from '../config.js';
import { safeUrl } from '../text/safe-url.js';

export type ConnectFlags = { config?: string; emulator?: boolean };

export type Connection = { client: AepHttpClient; close(): Promise<void>; target: string };

/**
 * The API client for a command: the embedded emulator with `--emulator` (the demo
 * credentials, nothing to configure), otherwise AEP as the configuration says.
 */
export async function connect(flags: ConnectFlags, extras: AepClientExtras = {}): Promise<Connection> {
  if (flags.emulator) {
    // Loaded only when asked for: most runs never need an HTTP server.
    const { DEMO_CLIENT, startEmulator } = await import('../emulator/index.js');
    const emulator = await startEmulator({ port: 0 });
    const client = createAepClient({
      baseUrl: emulator.apiBaseUrl,
      imsUrl: emulator.imsUrl,
      defaultAccess: { credentials: DEMO_CLIENT, budget: { requests: 50, intervalMs: 1000, concurrency: 8 } },
      ...extras,
    });
    return {
      client,
      close: () => emulator.close(),
      target: `the embedded emulator at ${safeUrl(emulator.url)}`,
    };
  }
  const config = loadAepConfig({ configFile: flags.config, env: process.env });
  return {
    client: createAepClientFromConfig(config, extras),
    close: () => Promise.resolve(),
    target: safeUrl(config.baseUrl),
  };
}
