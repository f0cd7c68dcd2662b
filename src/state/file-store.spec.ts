import { readFile, readdir, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { aRecord, appliedSpec, useTempDirs } from '../../test/state/helpers.js';
import { FileStateStore } from './file-store.js';
import { MAX_RUNS, newRecord } from './record-changes.js';
import { metaPath, recordPath } from './paths.js';
import type { RunRecord } from './schema.js';

const tempDir = useTempDirs();
const open: FileStateStore[] = [];
afterEach(async () => {
  await Promise.all(open.splice(0).map((store) => store.unlock()));
});

async function lockedStore(dir?: string): Promise<FileStateStore> {
  const store = new FileStateStore(dir ?? (await tempDir()));
  await store.lock();
  open.push(store);
  return store;
}

function run(runId: string, createdAt: number, status = 'SUCCESS'): RunRecord {
  return { runId, status, createdAt, dataFilterStartTime: 0 };
}

describe('FileStateStore records', () => {
  it('puts, gets, lists and deletes records, one JSON file per audience', async () => {
    const store = await lockedStore();
    await store.put(aRecord('gold'));
    await store.put(aRecord('silver', { sandbox: 'dev' }));
    expect(await store.get('prod', 'gold')).toEqual(aRecord('gold'));
    const text = await readFile(recordPath(store.location, 'dev', 'silver'), 'utf8');
    expect(JSON.parse(text)).toMatchObject({ schemaVersion: 1, sandbox: 'dev', key: 'silver' });
    const all = await store.readAll();
    expect(all.audiences.map((r) => `${r.sandbox}/${r.key}`)).toEqual(['dev/silver', 'prod/gold']);
    expect(await store.delete('prod', 'gold')).toBe(true);
    expect(await store.delete('prod', 'gold')).toBe(false);
    expect(await store.get('prod', 'gold')).toBeUndefined();
  });

  it('leaves no temporary file behind', async () => {
    const store = await lockedStore();
    for (let i = 0; i < 5; i++) await store.put(aRecord('gold', { audienceId: `a${i}` }));
    const files = await readdir(path.join(store.location, 'audiences', 'prod'));
    expect(files).toEqual(['gold.json']);
    expect((await readdir(store.location)).sort()).toEqual(['audiences', 'lock', 'meta.json']);
  });

  it('refuses writes without the lock, and records that do not validate', async () => {
    const store = new FileStateStore(await tempDir());
    await expect(store.put(aRecord('gold'))).rejects.toThrow(/without holding the lock/);
    const locked = await lockedStore();
    await expect(locked.put({ ...aRecord('gold'), schemaVersion: 2 } as never)).rejects.toThrow();
    await expect(locked.put(aRecord('../escape'))).rejects.toMatchObject({ code: 'STATE_BAD_KEY' });
    await expect(locked.put(aRecord('gold', { sandbox: 'Prod' }))).rejects.toMatchObject({
      code: 'STATE_BAD_SANDBOX',
    });
  });

  it('keeps the runs newest first and bounded', async () => {
    const store = await lockedStore();
    const runs = Array.from({ length: MAX_RUNS + 5 }, (_, i) => run(`r${i}`, i));
    const stored = await store.put(aRecord('gold', { runs }));
    expect(stored.runs).toHaveLength(MAX_RUNS);
    expect(stored.runs[0]?.runId).toBe('r0');
  });

  it('names the file and the rule when a record is corrupt', async () => {
    const store = await lockedStore();
    await store.put(aRecord('gold'));
    const file = recordPath(store.location, 'prod', 'gold');
    await writeFile(file, '{"schemaVersion":1,"sandbox":"prod"');
    await expect(store.get('prod', 'gold')).rejects.toMatchObject({
      code: 'STATE_CORRUPT',
      message: expect.stringContaining(file) as string,
    });
    await writeFile(file, JSON.stringify({ ...aRecord('gold'), runs: 'none' }));
    await expect(store.readAll()).rejects.toThrow(/at runs:/);
    await writeFile(file, JSON.stringify(aRecord('silver')));
    await expect(store.get('prod', 'gold')).rejects.toThrow(
      /holds prod\/silver, but its path says prod\/gold/,
    );
  });
});

describe('FileStateStore meta', () => {
  it('creates a lineage at the first write and keeps it; the serial grows by one per write', async () => {
    const dir = await tempDir();
    const store = await lockedStore(dir);
    expect(await store.meta()).toBeUndefined();
    await store.put(aRecord('gold'));
    const first = await store.meta();
    expect(first?.lineage).toMatch(/^[0-9a-f-]{36}$/);
    expect(first?.serial).toBe(1);
    await store.put(aRecord('silver'));
    await store.delete('prod', 'gold');
    await store.delete('prod', 'gold'); // nothing to delete: not a write
    expect(await store.meta()).toEqual({ schemaVersion: 1, lineage: first?.lineage, serial: 3 });
    await store.unlock();
    const again = await lockedStore(dir);
    await again.put(aRecord('gold'));
    expect(await again.meta()).toEqual({ schemaVersion: 1, lineage: first?.lineage, serial: 4 });
  });

  it('counts every one of many concurrent writes', async () => {
    const store = await lockedStore();
    await Promise.all(
      Array.from({ length: 50 }, (_, i) => store.put(aRecord(`a${i % 10}`, { audienceId: `${i}` }))),
    );
    expect((await store.meta())?.serial).toBe(50);
    const meta = JSON.parse(await readFile(metaPath(store.location), 'utf8')) as { serial: number };
    expect(meta.serial).toBe(50);
    // Writes of one record land in call order.
    expect((await store.get('prod', 'a3'))?.audienceId).toBe('43');
  });
});

describe('FileStateStore intents', () => {
  it('writes the intent before the call and the outcome after it', async () => {
    const store = await lockedStore();
    const fresh = newRecord('prod', 'gold');
    const begun = await store.beginIntent(fresh, 'create', { specHash: 'h1' });
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

  it('refuses a second intent while one is pending, and a stale resolution', async () => {
    const store = await lockedStore();
    const begun = await store.beginIntent(aRecord('gold'), 'patch', { specHash: 'h2' });
    await expect(store.beginIntent(aRecord('gold'), 'run')).rejects.toMatchObject({ code: 'INTENT_PENDING' });
    const other = { ...begun, intent: { ...begun.intent!, id: 'someone-else' } };
    await expect(store.resolveIntent(other, { kind: 'remove' })).rejects.toMatchObject({
      code: 'INTENT_MISMATCH',
    });
    await expect(store.resolveIntent(aRecord('gold'), { kind: 'remove' })).rejects.toMatchObject({
      code: 'INTENT_MISSING',
    });
  });

  it('refuses to overwrite a pending intent with a plain put', async () => {
    const store = await lockedStore();
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
    const store = await lockedStore();
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
    const store = await lockedStore();
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
});
