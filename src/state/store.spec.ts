import { describe, expect, it } from 'vitest';
import { aRecord, appliedSpec, pendingCreate } from '../../test/state/helpers.js';
import { useStores, type StoreKind } from '../../test/state/stores.js';
import { keptByReplace } from './current-runs.js';
import { newRecord } from './record-changes.js';
import type { RunRecord } from './schema.js';
import type { StateStore } from './store.js';

// The contract of every StateStore: records, lineage and serial, intents, the lock.
const stores = useStores();

function run(runId: string, createdAt: number, status = 'SUCCESS'): RunRecord {
  return { runId, status, createdAt, dataFilterStartTime: 0 };
}

/** The random token every write stores with its serial (StateMeta.nonce): a UUID. */
const NONCE = expect.stringMatching(
  /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/,
) as string;

async function lockedStore(kind: StoreKind, location?: string): Promise<StateStore> {
  const store = await kind.open(location ?? (await kind.fresh()));
  await store.lock();
  return store;
}

describe.each(stores)('$name store: records', (kind) => {
  it('puts, gets, lists and deletes records', async () => {
    const store = await lockedStore(kind);
    await store.put(aRecord('gold'));
    await store.put(aRecord('silver', { sandbox: 'dev' }));
    await store.put(aRecord('gold-vip'));
    expect(await store.get('prod', 'gold')).toEqual(aRecord('gold'));
    const all = await store.readAll();
    expect(all.audiences.map((r) => `${r.sandbox}/${r.key}`)).toEqual([
      'dev/silver',
      'prod/gold',
      'prod/gold-vip',
    ]);
    expect(await store.list()).toEqual([
      ['dev', 'silver'],
      ['prod', 'gold'],
      ['prod', 'gold-vip'],
    ]);
    expect(await store.delete('prod', 'gold')).toBe(true);
    expect(await store.delete('prod', 'gold')).toBe(false);
    expect(await store.get('prod', 'gold')).toBeUndefined();
  });

  it('replaces or removes a record only while it is as read (replaceIfUnchanged)', async () => {
    const store = await lockedStore(kind);
    const read = await store.put(aRecord('gold', { runs: [run('r1', 100), run('r2', 200)] }));
    const rest = aRecord('gold', { runs: [run('r2', 200)] });
    expect(await store.replaceIfUnchanged(read, rest)).toBe(true);
    expect(await store.get('prod', 'gold')).toEqual(rest);
    // `read` is no longer what is stored: nothing is written, nothing removed.
    expect(await store.replaceIfUnchanged(read, undefined)).toBe(false);
    expect(await store.get('prod', 'gold')).toEqual(rest);
    const serial = (await store.meta())?.serial;
    expect(await store.replaceIfUnchanged(rest, undefined)).toBe(true);
    expect(await store.get('prod', 'gold')).toBeUndefined();
    expect((await store.meta())?.serial).toBe((serial ?? 0) + 1);
    expect(await store.replaceIfUnchanged(rest, undefined)).toBe(false);
  });

  it('reads an empty store as no meta and no records', async () => {
    const store = await kind.open(await kind.fresh());
    expect(await store.readAll()).toEqual({ meta: undefined, audiences: [] });
    expect(await store.meta()).toBeUndefined();
  });

  it('refuses writes without the lock, and records that do not validate', async () => {
    const store = await kind.open(await kind.fresh());
    await expect(store.put(aRecord('gold'))).rejects.toThrow(/without holding the lock/);
    const locked = await lockedStore(kind);
    await expect(locked.put({ ...aRecord('gold'), schemaVersion: 3 } as never)).rejects.toThrow();
    await expect(locked.put(aRecord('../escape'))).rejects.toMatchObject({ code: 'STATE_BAD_KEY' });
    await expect(locked.put(aRecord('gold', { sandbox: 'Prod' }))).rejects.toMatchObject({
      code: 'STATE_BAD_SANDBOX',
    });
    expect((await locked.readAll()).audiences).toEqual([]);
  });

  it('keeps the runs newest first and bounded', async () => {
    const store = await lockedStore(kind);
    // Given oldest first, a day apart: r0 was created on day 0, r24 on day 24 (only the newest
    // could still count against the daily budget, which a record keeps past 20).
    const runs = Array.from({ length: 25 }, (_, i) => run(`r${i}`, i * 86_400));
    const stored = await store.put(aRecord('gold', { runs }));
    expect(stored.runs.map((r) => r.runId)).toEqual(Array.from({ length: 20 }, (_, i) => `r${24 - i}`));
    expect((await store.get('prod', 'gold'))?.runs).toHaveLength(20);
  });

  it("stores a record holding a deleted audience's runs in format 2, and others in format 1", async () => {
    const location = await kind.fresh();
    const store = await lockedStore(kind, location);
    const marked: RunRecord = { ...run('r1', 100), formerAudienceId: 'gone-id' };
    await store.put(aRecord('gold', { runs: [marked] }));
    await store.put(aRecord('silver', { runs: [run('r1', 100)] }));
    // Read back by another handle: what the storage holds, as a previous release would read it.
    const reader = await kind.open(location);
    expect((await reader.get('prod', 'gold'))?.schemaVersion).toBe(2);
    expect((await reader.get('prod', 'silver'))?.schemaVersion).toBe(1);
    // Its last marked run no longer kept: format 1 again.
    await store.put(aRecord('gold', { runs: [run('r2', 200)] }));
    expect((await reader.get('prod', 'gold'))?.schemaVersion).toBe(1);
    await reader.close();
  });

  it('keeps the commit a spec was applied from, in format 1', async () => {
    const location = await kind.fresh();
    const store = await lockedStore(kind, location);
    const revision = {
      commit: '0123456789abcdef0123456789abcdef01234567',
      committedAt: '2026-12-01T10:00:00.000Z',
    };
    await store.put(aRecord('gold', { applied: { ...appliedSpec('gold'), revision } }));
    const reader = await kind.open(location);
    const stored = await reader.get('prod', 'gold');
    expect(stored?.applied?.revision).toEqual(revision);
    expect(stored?.schemaVersion).toBe(1);
    expect((await reader.readAll()).audiences[0]?.applied?.revision).toEqual(revision);
    await reader.close();
  });
});

describe.each(stores)('$name store: lineage and serial', (kind) => {
  it('creates a lineage at the first write and keeps it; the serial grows by one per write', async () => {
    const location = await kind.fresh();
    const store = await lockedStore(kind, location);
    expect(await store.meta()).toBeUndefined();
    await store.put(aRecord('gold'));
    const first = await store.meta();
    expect(first?.lineage).toMatch(/^[0-9a-f-]{36}$/);
    expect(first?.serial).toBe(1);
    await store.put(aRecord('silver'));
    await store.delete('prod', 'gold');
    await store.delete('prod', 'gold'); // nothing to delete: not a write
    expect(await store.meta()).toEqual({
      schemaVersion: 1,
      lineage: first?.lineage,
      serial: 3,
      nonce: NONCE,
    });
    await store.close();
    const again = await lockedStore(kind, location);
    await again.put(aRecord('gold'));
    expect(await again.meta()).toEqual({
      schemaVersion: 1,
      lineage: first?.lineage,
      serial: 4,
      nonce: NONCE,
    });
  });

  it('counts every one of many concurrent writes, and writes of one record land in call order', async () => {
    const store = await lockedStore(kind);
    await Promise.all(
      Array.from({ length: 50 }, (_, i) => store.put(aRecord(`a${i % 10}`, { audienceId: `${i}` }))),
    );
    expect((await store.meta())?.serial).toBe(50);
    expect((await store.readAll()).meta?.serial).toBe(50);
    expect((await store.get('prod', 'a3'))?.audienceId).toBe('43');
  });

  it('stores a fresh nonce with every serial, so a serial reached again after a restore is told apart', async () => {
    const location = await kind.fresh();
    const store = await lockedStore(kind, location);
    await store.put(aRecord('gold'));
    const backup = await store.readAll();
    expect(backup.meta?.nonce).toEqual(NONCE);
    await store.put(aRecord('silver'));
    const lost = await store.meta();
    expect(lost).toEqual({ ...backup.meta, serial: 2, nonce: NONCE });
    expect(lost?.nonce).not.toBe(backup.meta?.nonce);
    // Restored from the backup (nonce and all: the same content), then written as often as it lost.
    await store.restore(backup);
    expect(await store.meta()).toEqual(backup.meta);
    await store.put(aRecord('bronze'));
    const again = await store.meta();
    expect(again?.serial).toBe(2);
    expect([again?.lineage, again?.nonce === lost?.nonce]).toEqual([lost?.lineage, false]);
    // markRevision moves it too; a write that changes nothing does not.
    const mark = { commit: 'a'.repeat(40), committedAt: '2026-12-01T10:00:00.000Z' };
    await store.markRevision(['prod'], mark);
    const marked = await store.meta();
    expect([marked?.serial, marked?.nonce === again?.nonce]).toEqual([3, false]);
    await store.markRevision(['prod'], mark);
    expect(await store.delete('prod', 'copper')).toBe(false);
    expect(await store.meta()).toEqual(marked);
  });

  it('restores a whole snapshot, lineage and serial included, over what was there', async () => {
    const store = await lockedStore(kind);
    await store.put(aRecord('old'));
    const snapshot = {
      meta: { schemaVersion: 1 as const, lineage: '41ee2f2f-edc7-4904-a76c-6aa37f3dcfa6', serial: 42 },
      audiences: [aRecord('gold'), aRecord('silver', { sandbox: 'dev' })],
    };
    await store.restore(snapshot);
    expect(await store.readAll()).toEqual({
      meta: snapshot.meta,
      audiences: [snapshot.audiences[1], snapshot.audiences[0]],
    });
    await store.put(aRecord('bronze'));
    expect(await store.meta()).toEqual({ ...snapshot.meta, serial: 43, nonce: NONCE });
  });
});

describe.each(stores)('$name store: the IMS org of each sandbox', (kind) => {
  const ORG_A = 'AAAA0RG@AdobeOrg';
  const ORG_B = 'BBBB0RG@AdobeOrg';
  /** Credentials reaching prod (in `org`, named by AEP_ORG_ID) and no other sandbox. */
  const prodIn = (org: string) => (sandbox: string) =>
    sandbox === 'prod' ? { orgId: org, setting: 'AEP_ORG_ID' } : undefined;

  it('binds a sandbox at its first write under credentials, keeps it, and locks only for that org', async () => {
    const location = await kind.fresh();
    const store = await kind.open(location);
    store.useOrgs(prodIn(ORG_A));
    await store.lock();
    expect(await store.meta()).toBeUndefined();
    await store.put(aRecord('gold'));
    // dev: no credentials reach it, so nothing binds it.
    await store.put(aRecord('silver', { sandbox: 'dev' }));
    const meta = await store.meta();
    expect(meta).toEqual({
      schemaVersion: 2,
      lineage: meta?.lineage,
      serial: 2,
      nonce: NONCE,
      orgs: { prod: ORG_A },
    });
    expect((await store.readAll()).meta).toEqual(meta);
    await store.close();

    const other = await kind.open(location);
    other.useOrgs(prodIn(ORG_B));
    await expect(other.lock()).rejects.toMatchObject({
      code: 'STATE_OTHER_ORG',
      message: `the state ${other.location} belongs to IMS org ${ORG_A} (sandbox prod), but these credentials are for ${ORG_B} (AEP_ORG_ID); nothing was sent to AEP or written. Use the state store of ${ORG_B} (--state), or set AEP_ORG_ID to ${ORG_A} if this store is the right one`,
    });
    // The refused lock was let go; a command that calls no AEP (state forget) still writes.
    const plain = await lockedStore(kind, location);
    await plain.put(aRecord('bronze'));
    expect(await plain.meta()).toEqual({ ...meta, serial: 3, nonce: NONCE });
    await plain.close();
    const same = await kind.open(location);
    same.useOrgs((sandbox) => ({ orgId: ORG_A, setting: `sandboxes.${sandbox}.orgId` }));
    await same.lock();
    await same.put(aRecord('gold', { sandbox: 'dev' }));
    expect((await same.meta())?.orgs).toEqual({ prod: ORG_A, dev: ORG_A });
  });

  it('forgets a binding to an org AEP refused only while the sandbox holds no record', async () => {
    const location = await kind.fresh();
    const store = await kind.open(location);
    store.useOrgs(prodIn(ORG_A));
    await store.lock();
    await store.put(aRecord('gold'));
    const intent = await store.beginIntent(newRecord('prod', 'silver'), 'create');
    // Records there (gold, silver's intent): the binding speaks for them, and stays.
    expect(await store.releaseOrg('prod', ORG_A)).toBe(false);
    await store.delete('prod', 'gold');
    expect(await store.releaseOrg('prod', ORG_A)).toBe(false);
    await store.resolveIntent(intent, { kind: 'remove' });
    const before = await store.meta();
    expect(before?.orgs).toEqual({ prod: ORG_A });
    // Another org than the one bound: nothing forgotten, nothing written.
    expect(await store.releaseOrg('prod', ORG_B)).toBe(false);
    expect(await store.meta()).toEqual(before);
    expect(await store.releaseOrg('prod', ORG_A)).toBe(true);
    expect(await store.meta()).toEqual({
      schemaVersion: 1,
      lineage: before?.lineage,
      serial: 5,
      nonce: NONCE,
    });
    // The next write binds the sandbox again, to the org of the calls then.
    store.useOrgs(prodIn(ORG_B));
    await store.put(aRecord('bronze'));
    expect((await store.meta())?.orgs).toEqual({ prod: ORG_B });
    expect(await store.releaseOrg('prod', ORG_B)).toBe(false);
    await store.close();
    const again = await kind.open(location);
    again.useOrgs(prodIn(ORG_B));
    await again.lock();
    expect((await again.meta())?.orgs).toEqual({ prod: ORG_B });
  });

  it('copies the bindings with a restored snapshot (state migrate)', async () => {
    const store = await lockedStore(kind);
    const meta = { schemaVersion: 2 as const, lineage: 'l-1', serial: 7, orgs: { prod: ORG_A } };
    await store.restore({ meta, audiences: [aRecord('gold')] });
    expect((await store.readAll()).meta).toEqual(meta);
    await store.put(aRecord('silver'));
    expect(await store.meta()).toEqual({ ...meta, serial: 8, nonce: NONCE });
  });
});

describe.each(stores)('$name store: the commit last applied to each sandbox', (kind) => {
  const A = { commit: 'a'.repeat(40), committedAt: '2026-12-01T10:00:00.000Z' };
  const B = { commit: 'b'.repeat(40), committedAt: '2026-12-01T11:00:00.000Z' };

  it('marks the sandbox of each write made with a revision, in the write that moves the serial', async () => {
    const location = await kind.fresh();
    const store = await lockedStore(kind, location);
    await store.put(aRecord('gold'));
    expect((await store.meta())?.revisions).toBeUndefined();
    store.useRevision(B);
    await store.beginIntent(newRecord('prod', 'silver'), 'create');
    expect((await store.meta())?.serial).toBe(2);
    await store.put(aRecord('bronze', { sandbox: 'dev' }));
    expect(await store.delete('prod', 'gold')).toBe(true);
    // A write that changes nothing moves nothing.
    expect(await store.delete('prod', 'gold')).toBe(false);
    store.useRevision(undefined);
    await store.put(aRecord('copper', { sandbox: 'dev' }));
    // Read back by another handle: what the storage holds.
    const meta = await (await kind.open(location)).meta();
    expect(meta).toEqual({
      schemaVersion: 1,
      lineage: meta?.lineage,
      serial: 5,
      nonce: NONCE,
      revisions: { prod: B, dev: B },
    });
    expect((await (await kind.open(location)).readAll()).meta).toEqual(meta);

    // An older commit applied (--allow-older-checkout) is then the newest apply; other sandboxes keep theirs.
    await store.close();
    const next = await lockedStore(kind, location);
    next.useRevision(A);
    await next.put(aRecord('tin'));
    expect((await next.meta())?.revisions).toEqual({ prod: A, dev: B });
  });

  it('marks sandboxes an apply wrote nothing to in one write that moves the serial, and writes nothing when none moves', async () => {
    const location = await kind.fresh();
    const store = await lockedStore(kind, location);
    store.useRevision(A);
    await store.put(aRecord('gold'));
    store.useRevision(undefined);
    await store.markRevision(['prod', 'dev', 'prod'], B);
    const other = await kind.open(location);
    const meta = await other.meta();
    expect(meta).toEqual({
      schemaVersion: 1,
      lineage: meta?.lineage,
      serial: 2,
      nonce: NONCE,
      revisions: { prod: B, dev: B },
    });
    await store.markRevision(['dev', 'prod'], B);
    await store.markRevision([], A);
    expect(await other.meta()).toEqual(meta);
    await store.markRevision(['prod', 'qa'], A);
    expect(await other.meta()).toEqual({
      ...meta,
      serial: 3,
      nonce: NONCE,
      revisions: { prod: A, dev: B, qa: A },
    });
    // The repository applied from is kept with the mark, and counts in whether it moves.
    const fromA = { ...A, repository: 'acme/a' };
    await store.markRevision(['prod'], fromA);
    await store.markRevision(['prod'], fromA);
    expect(await other.meta()).toEqual({
      ...meta,
      serial: 4,
      nonce: NONCE,
      revisions: { prod: fromA, dev: B, qa: A },
    });
    await store.close();
    await other.close();
    await expect((await kind.open(location)).markRevision(['prod'], B)).rejects.toThrow(
      /write without holding the lock/,
    );
  });

  it('copies the marks with a restored snapshot (state migrate)', async () => {
    const store = await lockedStore(kind);
    const meta = { schemaVersion: 1 as const, lineage: 'l-1', serial: 7, revisions: { prod: A } };
    await store.restore({ meta, audiences: [aRecord('gold')] });
    expect((await store.readAll()).meta).toEqual(meta);
    store.useRevision(B);
    await store.put(aRecord('silver', { sandbox: 'dev' }));
    expect(await store.meta()).toEqual({ ...meta, serial: 8, nonce: NONCE, revisions: { prod: A, dev: B } });
  });
});

describe.each(stores)('$name store: intents', (kind) => {
  it('writes the intent before the call and the outcome after it', async () => {
    const store = await lockedStore(kind);
    const begun = await store.beginIntent(newRecord('prod', 'gold'), 'create', { specHash: 'h1' });
    expect(begun.intent).toMatchObject({ kind: 'create', specHash: 'h1' });
    expect((await store.get('prod', 'gold'))?.intent).toEqual(begun.intent);
    const resolved = await store.resolveIntent(begun, {
      kind: 'update',
      changes: { operationId: 'op-1', applied: appliedSpec('gold') },
    });
    expect(resolved?.intent).toBeUndefined();
    expect(await store.get('prod', 'gold')).toEqual(resolved);
    expect(resolved).toMatchObject({ operationId: 'op-1', applied: appliedSpec('gold') });
  });

  it('keeps the create sent from its intent to its operation id, and drops it once asked', async () => {
    const store = await lockedStore(kind);
    const sent = pendingCreate('gold');
    const begun = await store.beginIntent({ ...newRecord('prod', 'gold'), pendingCreate: sent }, 'create', {
      specHash: sent.hash,
    });
    expect((await store.get('prod', 'gold'))?.pendingCreate).toEqual(sent);
    await store.resolveIntent(begun, { kind: 'update', changes: { operationId: 'op-1' } });
    expect(await store.get('prod', 'gold')).toMatchObject({ operationId: 'op-1', pendingCreate: sent });
    const adopting = await store.beginIntent((await store.get('prod', 'gold'))!, 'create', {
      specHash: sent.hash,
    });
    await store.resolveIntent(adopting, {
      kind: 'update',
      changes: { audienceId: 'a-1', pendingCreate: null },
    });
    const adopted = await store.get('prod', 'gold');
    expect(adopted).toMatchObject({ operationId: 'op-1', audienceId: 'a-1' });
    expect(adopted && 'pendingCreate' in adopted).toBe(false);
  });

  it('refuses a second intent while one is pending, and a stale resolution', async () => {
    const store = await lockedStore(kind);
    const begun = await store.beginIntent(aRecord('gold'), 'patch', { specHash: 'h2' });
    await expect(store.beginIntent(aRecord('gold'), 'run')).rejects.toMatchObject({
      code: 'INTENT_PENDING',
      message: `prod/gold has an unresolved patch intent from ${begun.intent!.startedAt}; run \`audiencectl apply MANIFESTS_DIR\` (MANIFESTS_DIR: your manifests directory) again: it resumes the intent before planning`,
    });
    await store.resolveIntent(begun, { kind: 'update', changes: {} });
    // A run intent kept undecided is a person's to settle: the refusal names the command.
    const running = await store.beginIntent(aRecord('gold'), 'run');
    await expect(store.beginIntent(aRecord('gold'), 'patch')).rejects.toMatchObject({
      code: 'INTENT_PENDING',
      message: `prod/gold has an unresolved run intent from ${running.intent!.startedAt}; run \`audiencectl apply MANIFESTS_DIR\` (MANIFESTS_DIR: your manifests directory) again: it resumes the intent before planning. Where the runs list cannot tell whether its request started a run, check the audience's runs in AEP, then run \`audiencectl state settle-run gold --sandbox prod --run-id RUN_ID\` (the run it started) or \`audiencectl state settle-run gold --sandbox prod --no-run\` (it started none)`,
    });
    const other = { ...begun, intent: { ...begun.intent!, id: 'someone-else' } };
    await expect(store.resolveIntent(other, { kind: 'remove' })).rejects.toMatchObject({
      code: 'INTENT_MISMATCH',
    });
    await expect(store.resolveIntent(aRecord('gold'), { kind: 'remove' })).rejects.toMatchObject({
      code: 'INTENT_MISSING',
    });
  });

  it('refuses to overwrite a pending intent with a plain put', async () => {
    const store = await lockedStore(kind);
    const begun = await store.beginIntent(aRecord('gold'), 'create', { specHash: 'h1' });
    await expect(store.put(aRecord('gold'))).rejects.toMatchObject({
      code: 'INTENT_PENDING',
      message: expect.stringContaining('prod/gold has an unresolved create intent') as string,
    });
    // The same intent may be carried along, e.g. to record a polled operation id.
    const updated = await store.put({ ...begun, operationId: 'op-2' });
    expect(updated.intent).toEqual(begun.intent);
  });

  it('records a run outcome, replacing the same run on a later poll', async () => {
    const store = await lockedStore(kind);
    await store.put(aRecord('gold', { runs: [run('r0', 1)] }));
    const begun = await store.beginIntent((await store.get('prod', 'gold'))!, 'run', { runReason: 'every' });
    const started = await store.resolveIntent(begun, {
      kind: 'update',
      changes: { run: run('r1', 2, 'PROCESSING') },
    });
    expect(started?.runs.map((r) => `${r.runId}:${r.status}`)).toEqual(['r1:PROCESSING', 'r0:SUCCESS']);
    const polled = await store.put({ ...started!, runs: [run('r1', 2, 'SUCCESS'), run('r0', 1)] });
    expect(polled.runs[0]?.status).toBe('SUCCESS');
  });

  it('removes the record when a delete intent resolves, and blocks or unblocks', async () => {
    const store = await lockedStore(kind);
    const blocked = { code: 'EXISTS_REMOTELY', message: 'exists remotely, id unknown', at: 'now' };
    const creating = await store.beginIntent(newRecord('prod', 'gold'), 'create');
    const stuck = await store.resolveIntent(creating, { kind: 'update', changes: { blocked } });
    expect(stuck?.blocked).toEqual(blocked);
    const deleting = await store.beginIntent(aRecord('silver'), 'delete');
    expect(await store.resolveIntent(deleting, { kind: 'remove' })).toBeUndefined();
    expect(await store.get('prod', 'silver')).toBeUndefined();
    const patching = await store.beginIntent(stuck!, 'patch');
    const cleared = await store.resolveIntent(patching, { kind: 'update', changes: { blocked: null } });
    expect(cleared?.blocked).toBeUndefined();
  });

  it('replaces the record as given when an intent resolves so, the intent cleared', async () => {
    const store = await lockedStore(kind);
    const former = { ...run('r1', 100), formerAudienceId: 'gone-id' };
    const kept = { ...newRecord('prod', 'gold'), manifestFile: 'gold.yaml', runs: [former] };
    const sent = pendingCreate('gold');
    const begun = await store.beginIntent({ ...kept, pendingCreate: sent }, 'create', {
      specHash: sent.hash,
    });
    const replaced = await store.resolveIntent(begun, { kind: 'replace', record: kept });
    const expected = { ...kept, schemaVersion: 2 };
    expect(replaced).toEqual(expected);
    expect(await store.get('prod', 'gold')).toEqual(expected);
  });

  it("keeps a replace's delete intent as such, and resolves it into the record that keeps the deleted audience's applied spec and runs", async () => {
    const store = await lockedStore(kind);
    const live = {
      ...aRecord('gold'),
      audienceId: 'old-id',
      manifestFile: 'gold.yaml',
      applied: appliedSpec('gold'),
      runs: [run('r2', 200), run('r1', 100)],
    };
    await store.put(live);
    const begun = await store.beginIntent(live, 'delete', { forReplace: true });
    // Read back as a new process reads it: the mark is what a resumed DELETE keeps the runs by.
    expect((await store.get('prod', 'gold'))?.intent).toEqual(begun.intent);
    expect(begun.intent).toMatchObject({ kind: 'delete', forReplace: true });
    const kept = keptByReplace(begun, 'old-id', 150);
    const resolved = await store.resolveIntent(begun, { kind: 'replace', record: kept });
    const expected = {
      schemaVersion: 2,
      sandbox: 'prod',
      key: 'gold',
      deletionPolicy: 'Delete',
      manifestFile: 'gold.yaml',
      applied: appliedSpec('gold'),
      runs: [{ ...run('r2', 200), formerAudienceId: 'old-id' }],
    };
    expect(resolved).toEqual(expected);
    expect(await store.get('prod', 'gold')).toEqual(expected);
  });
});

describe.each(stores)('$name store: lock', (kind) => {
  it('refuses a second locker, naming the holder, since when, and what to do', async () => {
    const location = await kind.fresh();
    await (await kind.open(location)).lock({ command: 'audiencectl apply' });
    const refused = (await kind.open(location)).lock();
    await expect(refused).rejects.toMatchObject({ name: 'StateLockedError', code: 'STATE_LOCKED' });
    const message = await refused.catch((error: Error) => error.message);
    expect(message).toMatch(new RegExp(`pid ${process.pid} on host .+ \\(audiencectl apply\\) since 20`));
    expect(message).toContain('--lock-timeout');
  });

  it('waits up to the timeout, then says it waited', async () => {
    const location = await kind.fresh();
    await (await kind.open(location)).lock();
    await expect((await kind.open(location)).lock({ timeoutMs: 300, pollMs: 50 })).rejects.toThrow(
      /after waiting/,
    );
  });

  it('gets the lock once the holder lets go while it waits', async () => {
    const location = await kind.fresh();
    const first = await kind.open(location);
    await first.lock();
    const second = await kind.open(location);
    const waiting = second.lock({ timeoutMs: 10_000, pollMs: 20 });
    await first.put(aRecord('gold'));
    await first.unlock();
    const info = await waiting;
    expect(info.tookOver).toBeUndefined();
    await second.put(aRecord('silver'));
    expect((await second.meta())?.serial).toBe(2);
  });

  it('tells a reader whether a write may be half done: never while nobody holds the lock', async () => {
    const location = await kind.fresh();
    const reader = await kind.open(location);
    const writer = await kind.open(location);
    expect(await reader.midWrite?.()).toBe(false);
    await writer.lock();
    await writer.put(aRecord('gold'));
    // The directory store writes the serial, then the record: any holder may be in between.
    expect(await reader.midWrite?.()).toBe(kind.name === 'directory');
    await writer.unlock();
    expect(await reader.midWrite?.()).toBe(false);
  });

  it('can be taken again after unlock by the same store', async () => {
    const store = await lockedStore(kind);
    await store.unlock();
    await store.lock();
    await store.put(aRecord('gold'));
    expect(await store.get('prod', 'gold')).toEqual(aRecord('gold'));
  });
});

describe('postgres store: the nonce of a write by a release from before migration 6', () => {
  it('is moved by the server: its statement names no nonce', async () => {
    const location = await stores.postgres.freshLocation();
    const schema = new URL(location).searchParams.get('schema')!;
    const store = await lockedStore(
      stores.find((kind) => kind.name === 'postgres')!,
      location,
    );
    await store.put(aRecord('gold'));
    const before = await store.meta();
    // The write statement of the release before (its bump, without the record).
    await stores.postgres.query(
      `INSERT INTO "${schema}".meta (lineage, serial, orgs, revisions) VALUES ($1, 1, '{}'::jsonb, '{}'::jsonb)
       ON CONFLICT (singleton) DO UPDATE SET serial = "${schema}".meta.serial + 1`,
      [before?.lineage],
    );
    const after = await store.meta();
    expect(after).toEqual({ ...before, serial: 2, nonce: NONCE });
    expect(after?.nonce).not.toBe(before?.nonce);
  });
});
