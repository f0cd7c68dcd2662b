import { readFile, readdir, stat, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { useTempDirs } from '../../test/state/helpers.js';
import { ensureDirDurable, removeFileDurable, writeFileDurable } from './durable-fs.js';

const tempDir = useTempDirs();

describe('durable file operations', () => {
  it('replaces a file whole and leaves no temporary file', async () => {
    const dir = await tempDir();
    const file = path.join(dir, 'a.json');
    await writeFileDurable(file, 'old');
    await writeFileDurable(file, 'new');
    expect(await readFile(file, 'utf8')).toBe('new');
    expect(await readdir(dir)).toEqual(['a.json']);
  });

  it('fails with a typed error naming the file, and cleans up its temp file', async () => {
    const dir = await tempDir();
    const blocker = path.join(dir, 'blocker');
    await writeFile(blocker, 'x');
    await expect(writeFileDurable(path.join(blocker, 'a.json'), 'data')).rejects.toMatchObject({
      code: 'STATE_UNWRITABLE',
      message: expect.stringContaining(`cannot write state file ${blocker}/a.json`) as string,
    });
    // A directory where the file should be: the temp file is written, the rename fails.
    const target = path.join(dir, 'taken');
    await ensureDirDurable(path.join(target, 'inside'));
    await expect(writeFileDurable(target, 'data')).rejects.toMatchObject({ code: 'STATE_UNWRITABLE' });
    expect((await readdir(dir)).sort()).toEqual(['blocker', 'taken']);
  });

  it('creates nested directories and removes files, saying whether one existed', async () => {
    const dir = path.join(await tempDir(), 'a', 'b', 'c');
    await ensureDirDurable(dir);
    expect((await stat(dir)).isDirectory()).toBe(true);
    await ensureDirDurable(dir);
    const file = path.join(dir, 'x');
    await writeFileDurable(file, '1');
    expect(await removeFileDurable(file)).toBe(true);
    expect(await removeFileDurable(file)).toBe(false);
  });
});
