import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { expect, it } from 'vitest';
import { watchHeldCalls } from '../../src/apply/held-calls.js';
import { readServiceOffset } from '../../src/apply/service-time.js';
import { DEMO_SANDBOX } from '../../src/emulator/index.js';
import { executorEnv } from '../helpers/executor-env.js';
import { withEmulator } from '../helpers/with-emulator.js';

/**
 * Each step calls through a client of its own that watches the one client (held-calls.ts), and
 * the creates sent at once share one read of AEP's clock per client (service-time.ts): behind a
 * budget of a few requests, a read per step would hold the creates back (lock-lost-calls hung
 * an hour's budget on it). Two steps reading at once send one request.
 */
it("two steps' watched clients reading AEP's clock at once send one read", async () => {
  const stateDir = await mkdtemp(path.join(tmpdir(), 'audiencectl-clock-shared-'));
  try {
    await withEmulator({}, async (emulator) => {
      const { client } = executorEnv(emulator, stateDir);
      const first = watchHeldCalls(client).client;
      const second = watchHeldCalls(client).client;
      const offsets = await Promise.all([
        readServiceOffset(first, DEMO_SANDBOX, undefined),
        readServiceOffset(second, DEMO_SANDBOX, undefined),
      ]);
      expect(offsets.every((offset) => typeof offset === 'number')).toBe(true);
      const reads = emulator.control.requestLog().filter((entry) => entry.endpoint === 'listAudiences');
      expect(reads).toHaveLength(1);
    });
  } finally {
    await rm(stateDir, { recursive: true, force: true });
  }
});
