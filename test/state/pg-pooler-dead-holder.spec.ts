import { describe, expect, it } from 'vitest';
import { Leadership } from '../../src/daemon/leadership.js';
import { silentLogger } from '../../src/log.js';
import { openStateStore } from '../../src/state/open.js';
import { startBlackHoleProxy } from '../helpers/black-hole-proxy.js';
import { usePostgres } from './pg.js';

// Behind a pooler in session mode (PgBouncer pool_mode = session, which docs/state.md
// allows), a leader whose node dies kept the state lock for hours: the server's keepalives reach
// the pooler, which is alive and keeps the dead client's session (its own client keepalive is the
// OS's 2 h by default), so no standby could lead. The proxy here is that pooler: once dark, it
// forwards nothing and closes nothing, and its kernel answers the server's keepalives. The server
// ends the lock session for its silence (session.ts SILENT_HOLDER_MS): the holder checks it every
// 2 s while alive.
const postgres = usePostgres();

describe('a lock holder that went silent behind a session pooler', () => {
  it('loses the lock on the server, so that a standby is elected', { timeout: 90_000 }, async () => {
    const location = await postgres.freshLocation();
    const url = new URL(location);
    const pooler = await startBlackHoleProxy({ host: url.hostname, port: Number(url.port) });
    const behind = new URL(location);
    behind.port = String(pooler.port);
    const leader = await openStateStore(behind.href);
    const standbyStore = await openStateStore(location);
    let elected = false;
    const standby = new Leadership({
      store: standbyStore,
      logger: silentLogger(),
      pollMs: 200,
      onElected: () => {
        elected = true;
      },
      onDeposed: () => undefined,
    });
    try {
      await leader.lock();
      // Held while its holder lives: a try of the standby's store is refused.
      await expect(standbyStore.lock({ timeoutMs: 0 })).rejects.toMatchObject({ code: 'STATE_LOCKED' });
      // The node dies: nothing more from it, and the pooler keeps its server session open.
      pooler.blackHole();
      standby.start();
      while (!elected) await new Promise((resolve) => setTimeout(resolve, 100));
      expect(standby.role).toBe('leader');
    } finally {
      await standby.stop();
      await standbyStore.close();
      await leader.close();
      await pooler.close();
    }
  });
});
