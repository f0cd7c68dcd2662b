import { mkdir, readFile, readdir, symlink } from 'node:fs/promises';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { openStateStore } from '../../src/state/open.js';
import { runCliInProcess } from '../helpers/cli-in-process.js';
import { aRecord, useTempDirs } from './helpers.js';

// `state migrate` between directory stores, in process: one store reached by two
// spellings, and paths shown with their terminal escapes made visible.
const tempDir = useTempDirs();

async function seed(dir: string, keys: string[]): Promise<void> {
  const store = await openStateStore(dir);
  await store.lock();
  for (const key of keys) await store.put(aRecord(key));
  await store.close();
}

describe('state migrate: --from and --to', () => {
  it('refuses one store reached through a symlink before any lock is taken, the store unchanged', async () => {
    const root = await tempDir();
    const store = path.join(root, 'store');
    await seed(store, ['gold', 'silver']);
    const meta = await readFile(path.join(store, 'meta.json'), 'utf8');
    const link = path.join(root, 'link');
    await symlink(store, link);
    // Also a link to the folder holding it.
    const parentLink = path.join(root, 'parent-link');
    await symlink(root, parentLink);

    for (const to of [link, path.join(parentLink, 'store')]) {
      const result = await runCliInProcess(['state', 'migrate', '--from', store, '--to', to, '--force']);
      expect(result).toEqual({ code: 1, stdout: '', stderr: 'Error: --from and --to name the same store\n' });
    }
    const reversed = await runCliInProcess(['state', 'migrate', '--from', link, '--to', store, '--force']);
    expect(reversed.stderr).toBe('Error: --from and --to name the same store\n');
    expect(await readFile(path.join(store, 'meta.json'), 'utf8')).toBe(meta);
    expect((await readdir(store)).sort()).toEqual(['audiences', 'meta.json']);
  });
});

describe('state migrate and init print paths with terminal escapes made visible', () => {
  it('in "Copied … to <dir>" and "directory state ready at <dir>"', async () => {
    const root = await tempDir();
    const source = path.join(root, 'source');
    await seed(source, ['gold']);
    const name = 'x\u001b]0;PWN\u0007\u001b[31mX';
    const shown = 'x\\u001B]0;PWN\\u0007\\u001B[31mX';
    await mkdir(path.join(root, 'a'));

    const copied = await runCliInProcess([
      'state',
      'migrate',
      '--from',
      source,
      '--to',
      path.join(root, name),
    ]);
    expect(copied.code).toBe(0);
    expect(copied.stdout).toContain(
      `Copied 1 audience(s) from ${source} to ${path.join(root, shown)} (lineage `,
    );
    expect(copied.stdout).not.toContain('\u001b');

    const init = await runCliInProcess(['init', '--state-only', '--state', path.join(root, 'a', name)]);
    expect(init.code).toBe(0);
    expect(init.stdout).toBe(`directory state ready at ${path.join(root, 'a', shown)}\n`);
  });
});
