import pg from 'pg';
import { afterEach, describe, expect, it } from 'vitest';
import { openStateStore } from '../../src/state/open.js';
import { newRecord } from '../../src/state/record-changes.js';
import type { StateStore } from '../../src/state/store.js';
import { eventually } from '../daemon/helpers/controller.js';
import { aRecord } from './helpers.js';
import { usePostgres } from './pg.js';

// Read-through of the thirty-fifth pass (review-35a M-1's fix). A refused first create's binding
// is forgotten (releaseOrg) while the apply's other steps write on (the executor runs them side
// by side). Each write of the PostgreSQL store sent every binding this process knew, merged as
// `excluded.orgs || meta.orgs`: a write of another sandbox that reached the meta row just after
// the release put the forgotten binding back, and the next apply under the right org was refused
// (STATE_OTHER_ORG) for good. A write sends the binding of its own sandbox only.

const postgres = usePostgres();
const DEMO = 'DEMO0RG0000000000000000@AdobeOrg';
const PARTNER = 'PARTNER00000000000000000@AdobeOrg';
const cleanups: Array<() => Promise<unknown>> = [];

afterEach(async () => {
  for (const cleanup of cleanups.splice(0).reverse()) await cleanup();
});

/** Sessions of this database waiting for a lock (a row's, here). */
async function waitingOnLocks(): Promise<number> {
  const rows = await postgres.query<{ n: number }>(
    "SELECT count(*)::int AS n FROM pg_stat_activity WHERE datname = current_database() AND wait_event_type = 'Lock'",
  );
  return rows[0]?.n ?? 0;
}

describe('PostgreSQL store: a binding released while another sandbox writes', () => {
  it('stays released when the other write reaches the meta row after the release', async () => {
    const location = await postgres.freshLocation();
    const schema = new URL(location).searchParams.get('schema') ?? '';
    const store: StateStore = await openStateStore(location);
    cleanups.push(() => store.close());
    store.useOrgs((sandbox) => ({ orgId: sandbox === 'partner' ? PARTNER : DEMO, setting: 'AEP_ORG_ID' }));
    await store.lock();
    await store.put(aRecord('gold'));
    // partner's first create: its intent binds the sandbox; refused, nothing is left there.
    const intent = await store.beginIntent(newRecord('partner', 'silver'), 'create');
    await store.resolveIntent(intent, { kind: 'remove' });
    expect((await store.meta())?.orgs).toEqual({ partner: PARTNER, prod: DEMO });

    // The meta row held elsewhere, so that the release queues first and prod's write after it.
    const blocker = new pg.Client({ connectionString: postgres.url });
    await blocker.connect();
    cleanups.push(() => blocker.end());
    await blocker.query('BEGIN');
    await blocker.query(`SELECT 1 FROM ${pg.escapeIdentifier(schema)}.meta FOR UPDATE`);
    const released = store.releaseOrg('partner', PARTNER);
    await eventually(waitingOnLocks, (n) => n >= 1, 10_000, 'the release waiting for the meta row');
    const written = store.put(aRecord('bronze'));
    await eventually(waitingOnLocks, (n) => n >= 2, 10_000, "prod's write waiting for the meta row");
    await blocker.query('COMMIT');

    expect(await released).toBe(true);
    await written;
    expect((await store.meta())?.orgs).toEqual({ prod: DEMO });
  });
});
