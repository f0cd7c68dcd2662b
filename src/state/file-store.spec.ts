import { mkdir, readFile, readdir, rm, stat, utimes, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { aRecord, useTempDirs } from '../../test/state/helpers.js';
import { deadPid, thisHostTag } from '../../test/helpers/temp-names.js';
import { FileStateStore } from './file-store.js';
import { metaPath, recordPath } from './paths.js';

// What only the directory store has: files. The contract every store keeps is in store.spec.ts.
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

describe('FileStateStore files', () => {
  it('writes one JSON file per audience, and meta.json', async () => {
    const store = await lockedStore();
    await store.put(aRecord('silver', { sandbox: 'dev' }));
    const text = await readFile(recordPath(store.location, 'dev', 'silver'), 'utf8');
    expect(JSON.parse(text)).toMatchObject({ schemaVersion: 1, sandbox: 'dev', key: 'silver' });
    const meta = JSON.parse(await readFile(metaPath(store.location), 'utf8')) as { serial: number };
    expect(meta.serial).toBe(1);
  });

  it('leaves no temporary file behind', async () => {
    const store = await lockedStore();
    for (let i = 0; i < 5; i++) await store.put(aRecord('gold', { audienceId: `a${i}` }));
    const files = await readdir(path.join(store.location, 'audiences', 'prod'));
    expect(files).toEqual(['gold.json']);
    expect((await readdir(store.location)).sort()).toEqual(['audiences', 'lock', 'meta.json']);
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
    // A corrupt record can still be dropped.
    expect(await store.delete('prod', 'gold')).toBe(true);
  });

  it('moves the serial before it changes a record: a write whose meta.json cannot be written changes none', async () => {
    const store = await lockedStore();
    await store.put(aRecord('gold'));
    await store.put(aRecord('silver'));
    // A folder where meta.json goes: the rename of the new meta.json over it fails.
    await rm(metaPath(store.location));
    await mkdir(metaPath(store.location));
    await expect(store.put(aRecord('gold', { audienceId: 'aud-new' }))).rejects.toMatchObject({
      code: 'STATE_UNWRITABLE',
    });
    await expect(store.delete('prod', 'silver')).rejects.toMatchObject({ code: 'STATE_UNWRITABLE' });
    const gold = JSON.parse(await readFile(recordPath(store.location, 'prod', 'gold'), 'utf8')) as {
      audienceId: string;
    };
    expect(gold.audienceId).toBe('aud-gold');
    expect((await stat(recordPath(store.location, 'prod', 'silver'))).isFile()).toBe(true);
  });

  it('writes meta.json in format 1, which every release reads, when a restored snapshot binds no sandbox', async () => {
    const store = await lockedStore();
    const lineage = '41ee2f2f-edc7-4904-a76c-6aa37f3dcfa6';
    await store.restore({ meta: { schemaVersion: 1, lineage, serial: 3, orgs: {} }, audiences: [] });
    expect(JSON.parse(await readFile(metaPath(store.location), 'utf8'))).toMatchObject({ schemaVersion: 1 });
    await store.put(aRecord('gold'));
    expect(JSON.parse(await readFile(metaPath(store.location), 'utf8'))).toEqual({
      schemaVersion: 1,
      lineage,
      serial: 4,
      // A release from before the nonce leaves it out when it reads the file.
      nonce: expect.stringMatching(/^[0-9a-f-]{36}$/) as string,
    });
  });

  it("sweeps, once locked, the temp files of records and meta.json, and a plan's cache temp files only once their writer is gone", async () => {
    const dir = await tempDir();
    const here = thisHostTag();
    const gone = deadPid();
    const other = here === '0badc0de' ? '0badc0df' : '0badc0de';
    await mkdir(path.join(dir, 'audiences', 'prod'), { recursive: true });
    const record = path.join('audiences', 'prod', `.gold.json.${gone}.0a1b2c3d.tmp`);
    const meta = `.meta.json.${gone}.0a1b2c3d.tmp`;
    // A plan writing its caches beside the records, without the lock: this host's running pid,
    // and another host's (its pid means nothing here), written just now.
    const running = `.manifest-cache.jsonl.${here}.${process.ppid}.0a1b2c3d.tmp`;
    const elsewhere = `.state-snapshot.jsonl.${other}.1.0a1b2c3d.tmp`;
    // A plan killed while it wrote its cache (this host, its pid gone), and another host's
    // written 11 minutes ago: litter, which nothing else removes while the manifests are unchanged.
    const killed = `.manifest-cache.jsonl.${here}.${gone}.0a1b2c3d.tmp`;
    const old = `.state-snapshot.jsonl.${other}.2.0a1b2c3d.tmp`;
    for (const name of [record, meta, running, elsewhere, killed, old])
      await writeFile(path.join(dir, name), 'half a file');
    const elevenMinutesAgo = new Date(Date.now() - 11 * 60_000);
    await utimes(path.join(dir, old), elevenMinutesAgo, elevenMinutesAgo);
    await lockedStore(dir);
    expect((await readdir(path.join(dir, 'audiences', 'prod'))).sort()).toEqual([]);
    expect((await readdir(dir)).sort()).toEqual([running, elsewhere, 'audiences', 'lock'].sort());
  });
});
