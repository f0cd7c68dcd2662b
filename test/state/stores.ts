import { afterEach } from 'vitest';
import { openStateStore } from '../../src/state/open.js';
import type { CompatStore, StateStore } from '../../src/state/store.js';
import { useTempDirs } from './helpers.js';
import { usePostgres, type PgDatabase } from './pg.js';

/** One kind of store, as the contract suites see it. */
export type StoreKind = {
  name: 'directory' | 'postgres';
  /** A fresh, empty, initialised location: a directory, or a postgres:// URL. */
  fresh(): Promise<string>;
  /** A store on `location`, closed after the current test. */
  open(location: string): Promise<StateStore & CompatStore>;
};

/**
 * Every store implementation, for `describe.each(useStores())`: the same suite runs
 * against the directory store and a real PostgreSQL (one database for the file).
 */
export function useStores(): StoreKind[] & { postgres: PgDatabase } {
  const tempDir = useTempDirs();
  const postgres = usePostgres();
  const opened: StateStore[] = [];
  afterEach(async () => {
    await Promise.all(opened.splice(0).map((store) => store.close()));
  });
  async function open(location: string): Promise<StateStore & CompatStore> {
    const store = await openStateStore(location);
    opened.push(store);
    return store;
  }
  const kinds: StoreKind[] = [
    { name: 'directory', fresh: tempDir, open },
    { name: 'postgres', fresh: () => postgres.freshLocation(), open },
  ];
  return Object.assign(kinds, { postgres });
}
