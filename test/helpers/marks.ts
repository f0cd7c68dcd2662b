import { execFile } from 'node:child_process';
import { mkdir } from 'node:fs/promises';
import path from 'node:path';
import { promisify } from 'node:util';
import { openStateStore } from '../../src/state/open.js';
import type { StateMeta } from '../../src/state/schema.js';
import type { PgDatabase } from '../state/pg.js';
import { GIT_ENV } from './cli.js';

/**
 * What the specs of the sandbox marks share (older checkouts, reverts, rollbacks, imports):
 * git with a commit time of their choosing, a store's meta, and both kinds of store.
 */
const run = promisify(execFile);

/** git in `cwd` as GIT_ENV's author and committer, committed (and authored) at `at` when given; its output trimmed. */
export async function gitAt(cwd: string, args: string[], at?: string): Promise<string> {
  const dates = at === undefined ? {} : { GIT_AUTHOR_DATE: at, GIT_COMMITTER_DATE: at };
  return (await run('git', args, { cwd, env: { ...process.env, ...GIT_ENV, ...dates } })).stdout.trim();
}

/** The store's meta, read through the store (either kind). */
export async function metaOf(state: string): Promise<StateMeta | undefined> {
  const store = await openStateStore(state);
  try {
    return await store.meta();
  } finally {
    await store.close();
  }
}

export type StoreKind = { name: string; location: (root: string) => Promise<string> };

/** A directory store under the test's directory, and a fresh PostgreSQL schema of `postgres`. */
export function bothStores(postgres: PgDatabase): StoreKind[] {
  return [
    {
      name: 'directory',
      location: async (root) => {
        const state = path.join(root, 'state');
        await mkdir(state);
        return state;
      },
    },
    { name: 'PostgreSQL', location: () => postgres.freshLocation() },
  ];
}
