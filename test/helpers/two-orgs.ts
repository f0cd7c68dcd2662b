import { afterEach } from 'vitest';
import { createAepClient, type AepHttpClient } from '../../src/aep/client.js';
import type { RetryPolicy } from '../../src/aep/retry-policy.js';
import {
  DEMO_CLIENT,
  startEmulator,
  type RateLimitSettings,
  type RunningEmulator,
} from '../../src/emulator/index.js';
import { PARTNER } from './partner-org.js';

export type TwoOrgs = { em: RunningEmulator; client: AepHttpClient };

/**
 * For specs of an org's throttle. The function returned starts an emulator serving DEMO_CLIENT's
 * org and PARTNER's, one bucket of `rateLimit` each, and a client of it with DEMO_CLIENT's
 * credentials for every sandbox but `partner`, PARTNER's, retrying by `retry`. The emulator is
 * closed after each test.
 */
export function useTwoOrgs(): (
  rateLimit: RateLimitSettings,
  retry: Partial<RetryPolicy>,
) => Promise<TwoOrgs> {
  let emulator: RunningEmulator | undefined;
  afterEach(async () => {
    await emulator?.close();
    emulator = undefined;
  });
  return async (rateLimit, retry) => {
    const em = await startEmulator({
      host: '127.0.0.1',
      port: 0,
      clients: [DEMO_CLIENT, PARTNER],
      rateLimit,
    });
    emulator = em;
    const budget = { requests: 1000, intervalMs: 1000, concurrency: 4 };
    const client = createAepClient({
      baseUrl: em.apiBaseUrl,
      imsUrl: em.imsUrl,
      defaultAccess: { credentials: DEMO_CLIENT, budget },
      sandboxes: { partner: { credentials: PARTNER, budget } },
      retry,
      compat: { operationsPath: 'plural' },
    });
    return { em, client };
  };
}
