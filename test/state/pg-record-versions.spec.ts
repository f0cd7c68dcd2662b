import { describe, expect, it } from 'vitest';
import { cachedReads } from '../../src/daemon/cached-reads.js';
import { openStateStore } from '../../src/state/open.js';
import type { RecordVersions } from '../../src/state/record-version.js';
import { aRecord } from './helpers.js';
import { usePostgres } from './pg.js';

/**
 * A PostgreSQL store's record versions, with which a controller confirms the records a pass's
 * steps touch against those it kept since an earlier pass (cachedReads `confirm`): a row changed
 * outside the store (psql, a restore of one row) moves no serial, and must move its version.
 */
const postgres = usePostgres();

describe('PostgreSQL record versions', () => {
  it('are read with the rows, unchanged while no row changes, and moved by an UPDATE outside the store, which confirm then reads', async () => {
    const location = await postgres.freshLocation();
    const schema = new URL(location).searchParams.get('schema')!;
    const store = await openStateStore(location);
    try {
      await store.lock();
      await store.put(aRecord('gold'));
      await store.put(aRecord('silver'));
      await store.unlock();
      const read: RecordVersions = new Map();
      await store.readAll({ versions: read });
      expect([...read.keys()]).toEqual(['prod/gold', 'prod/silver']);
      const asked = { ids: [['prod', 'gold'] as const, ['prod', 'bronze'] as const], sandboxes: [] };
      expect(await store.recordVersions!(asked)).toEqual(new Map([['prod/gold', read.get('prod/gold')]]));
      expect(await store.recordVersions!({ ids: [], sandboxes: ['prod'] })).toEqual(read);

      const view = cachedReads(store, { maxAgeMs: 60_000, now: () => 0 });
      await view.readAll();
      await view.readAll();
      const gold = { ids: [['prod', 'gold'] as const], sandboxes: [] };
      expect(await view.confirm(gold)).toBe(false);

      await postgres.query(
        `UPDATE "${schema}".audiences SET body = jsonb_set(body, '{audienceId}', '"edited-outside"') WHERE key = 'gold'`,
      );
      const now = await store.recordVersions!({ ids: [], sandboxes: ['prod'] });
      expect(now.get('prod/gold')).not.toBe(read.get('prod/gold'));
      expect(now.get('prod/silver')).toBe(read.get('prod/silver'));
      const served = await view.readAll();
      expect(served.audiences.map((r) => r.audienceId)).not.toContain('edited-outside');
      expect(await view.confirm({ ids: [['prod', 'silver']], sandboxes: [] })).toBe(false);
      expect(await view.confirm(gold)).toBe(true);
      expect((await view.readAll()).audiences.map((r) => r.audienceId)).toContain('edited-outside');
    } finally {
      await store.close();
    }
  });
});
