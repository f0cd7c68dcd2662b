import { describe, expect, it } from 'vitest';
import { cachedReads } from '../../src/daemon/cached-reads.js';
import { openStateStore } from '../../src/state/open.js';
import { aRecord } from './helpers.js';
import { usePostgres } from './pg.js';

/**
 * A PostgreSQL store's recordsStamp, with which a controller confirms the records it kept between
 * passes (cachedReads `confirm`): a row changed outside the store (psql, a restore of one row)
 * moves no serial, and must move the stamp.
 */
const postgres = usePostgres();

describe('PostgreSQL recordsStamp', () => {
  it('is the same while no row changes, and moves with a row updated outside the store, which confirm then reads', async () => {
    const location = await postgres.freshLocation();
    const schema = new URL(location).searchParams.get('schema')!;
    const store = await openStateStore(location);
    try {
      await store.lock();
      await store.put(aRecord('gold'));
      await store.put(aRecord('silver'));
      await store.unlock();
      const view = cachedReads(store, { maxAgeMs: 60_000, now: () => 0 });
      const before = await store.recordsStamp!();
      expect(await store.recordsStamp!()).toBe(before);
      await view.readAll();
      await view.readAll();
      expect(await view.confirm()).toBe(false);

      await postgres.query(
        `UPDATE "${schema}".audiences SET body = jsonb_set(body, '{audienceId}', '"edited-outside"') WHERE key = 'gold'`,
      );
      expect(await store.recordsStamp!()).not.toBe(before);
      const served = await view.readAll();
      expect(served.audiences.map((r) => r.audienceId)).not.toContain('edited-outside');
      expect(await view.confirm()).toBe(true);
      expect((await view.readAll()).audiences.map((r) => r.audienceId)).toContain('edited-outside');
    } finally {
      await store.close();
    }
  });
});
