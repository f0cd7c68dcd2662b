import { mkdir, rmdir, symlink, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { aRecord, useTempDirs } from '../../test/state/helpers.js';
import { audiencesDir, metaPath, recordPath } from './paths.js';
import { readState } from './read.js';

const tempDir = useTempDirs();

async function plant(dir: string, sandbox: string, name: string, content: string): Promise<string> {
  const folder = path.join(audiencesDir(dir), sandbox);
  await mkdir(folder, { recursive: true });
  const file = path.join(folder, name);
  await writeFile(file, content);
  return file;
}

describe('readState', () => {
  it('reads a missing directory as an empty state', async () => {
    expect(await readState(path.join(await tempDir(), 'nothing-here'))).toEqual({
      meta: undefined,
      audiences: [],
    });
  });

  it('reads meta and records sorted by sandbox and key, skipping temporary and foreign files', async () => {
    const dir = await tempDir();
    await writeFile(metaPath(dir), JSON.stringify({ schemaVersion: 1, lineage: 'l-1', serial: 7 }));
    await plant(dir, 'prod', 'silver.json', JSON.stringify(aRecord('silver')));
    await plant(dir, 'prod', 'gold.json', JSON.stringify(aRecord('gold')));
    await plant(dir, 'dev', 'gold.json', JSON.stringify(aRecord('gold', { sandbox: 'dev' })));
    await plant(dir, 'prod', '.gold.json.123.abcd.tmp', '{"half": ');
    await plant(dir, 'prod', 'README.txt', 'not state');
    const state = await readState(dir);
    expect(state.meta).toEqual({ schemaVersion: 1, lineage: 'l-1', serial: 7 });
    expect(state.audiences.map((r) => `${r.sandbox}/${r.key}`)).toEqual([
      'dev/gold',
      'prod/gold',
      'prod/silver',
    ]);
  });

  it('fills schema defaults of older records', async () => {
    const dir = await tempDir();
    await plant(dir, 'prod', 'gold.json', JSON.stringify({ schemaVersion: 1, sandbox: 'prod', key: 'gold' }));
    const [record] = (await readState(dir)).audiences;
    expect(record).toEqual({
      schemaVersion: 1,
      sandbox: 'prod',
      key: 'gold',
      deletionPolicy: 'Delete',
      runs: [],
    });
  });

  it('names the file of a corrupt record or meta', async () => {
    const dir = await tempDir();
    const file = await plant(dir, 'prod', 'gold.json', '{"schemaVersion": 1,');
    await expect(readState(dir)).rejects.toMatchObject({
      code: 'STATE_CORRUPT',
      message: expect.stringMatching(new RegExp(`^state file ${file} is not valid JSON`)) as string,
    });
    await writeFile(file, JSON.stringify({ ...aRecord('gold'), schemaVersion: 'two' }));
    await expect(readState(dir)).rejects.toThrow(/does not match the state schema at schemaVersion/);
    // A format this release does not know is a newer release's, not damage (review 37v, M-3).
    await writeFile(file, JSON.stringify({ ...aRecord('gold'), schemaVersion: 3 }));
    await expect(readState(dir)).rejects.toMatchObject({
      code: 'STATE_FORMAT_NEWER',
      message: `state file ${file} is in format 3, written by a newer audiencectl; this one reads formats 1 and 2: upgrade audiencectl (nothing was read or written)`,
    });
    await writeFile(file, JSON.stringify(aRecord('gold')));
    await writeFile(metaPath(dir), JSON.stringify({ schemaVersion: 1, serial: -1 }));
    await expect(readState(dir)).rejects.toThrow(`state file ${metaPath(dir)} does not match`);
  });

  it('says so when the path is a file, not a directory', async () => {
    const file = path.join(await tempDir(), 'not-a-dir');
    await writeFile(file, 'x');
    await expect(readState(file)).rejects.toMatchObject({
      code: 'STATE_UNREADABLE',
      message: expect.stringContaining('a part of the path is a file, not a directory') as string,
    });
  });

  it('never reads a sandbox folder it cannot list as one without records', async () => {
    const dir = await tempDir();
    await plant(dir, 'dev', 'gold.json', JSON.stringify(aRecord('gold', { sandbox: 'dev' })));
    // Where the prod folder should be, a file: listing it fails (as a folder without read permission would).
    await writeFile(path.join(audiencesDir(dir), 'prod'), 'x');
    await expect(readState(dir)).rejects.toMatchObject({
      code: 'STATE_UNREADABLE',
      message: expect.stringContaining(
        `cannot list state directory ${path.join(audiencesDir(dir), 'prod')}`,
      ) as string,
    });
  });

  it('never reads a record file it cannot read as no record: a folder in its place, a link to nothing', async () => {
    const dir = await tempDir();
    await plant(dir, 'prod', 'gold.json', JSON.stringify(aRecord('gold')));
    const silver = recordPath(dir, 'prod', 'silver');
    await mkdir(silver);
    await expect(readState(dir)).rejects.toMatchObject({
      code: 'STATE_UNREADABLE',
      message: `cannot read state file ${silver}: it is a directory, not a regular file`,
    });
    await rmdir(silver);
    await symlink(path.join(dir, 'gone.json'), silver);
    await expect(readState(dir)).rejects.toMatchObject({
      code: 'STATE_UNREADABLE',
      message: `cannot read state file ${silver}: it is a symlink to a missing file; restore the file or remove the link`,
    });
  });

  // How fast is bench:state's business; here, that a large store reads whole.
  it('reads every record of a store with thousands of them', async () => {
    const dir = await tempDir();
    await mkdir(path.join(audiencesDir(dir), 'prod'), { recursive: true });
    const keys = Array.from({ length: 3_000 }, (_, i) => `audience-${i}`);
    for (let i = 0; i < keys.length; i += 500) {
      await Promise.all(
        keys
          .slice(i, i + 500)
          .map((key) => writeFile(recordPath(dir, 'prod', key), JSON.stringify(aRecord(key), null, 2))),
      );
    }
    const state = await readState(dir);
    expect(state.audiences).toHaveLength(3_000);
    expect(new Set(state.audiences.map((record) => record.key))).toEqual(new Set(keys));
  });
});
