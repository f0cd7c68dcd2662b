import { chmod, chown, mkdir, readFile, readdir, stat, symlink } from 'node:fs/promises';
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

describe('state migrate: one store inside the other (review 31, L-5c)', () => {
  it('refuses --to inside --from, and --from inside --to, in one line naming both, nothing copied', async () => {
    const root = await tempDir();
    const store = path.join(root, 'st');
    await seed(store, ['gold']);
    const nested = await runCliInProcess(['state', 'migrate', '--from', 'st', '--to', 'st/sub'], {
      cwd: root,
    });
    expect(nested).toEqual({
      code: 1,
      stdout: '',
      stderr:
        'Error: --to st/sub is inside --from st: a store cannot be copied into itself; give --to a folder outside it\n',
    });
    expect((await readdir(store)).sort()).toEqual(['audiences', 'meta.json']);

    await seed(path.join(root, 'outer', 'inner'), ['gold']);
    const around = await runCliInProcess(
      ['state', 'migrate', '--from', 'outer/inner', '--to', 'outer', '--force'],
      {
        cwd: root,
      },
    );
    expect(around).toEqual({
      code: 1,
      stdout: '',
      stderr:
        'Error: --from outer/inner is inside --to outer: a store cannot be copied around itself; give --to a folder outside it\n',
    });
    expect((await readdir(path.join(root, 'outer'))).sort()).toEqual(['inner']);
  });
});

describe('state migrate into a directory store keeps its folder as it was', () => {
  it("keeps the folder's mode (setgid, group-writable) and owner, new or replaced with --force", async () => {
    const root = await tempDir();
    const source = path.join(root, 'source');
    await seed(source, ['gold']);
    // A group-shared store, owned by another user (the controller's, say) than the one migrating.
    const fresh = path.join(root, 'fresh');
    await mkdir(fresh);
    const used = path.join(root, 'used');
    await seed(used, ['silver']);
    // Only root can give a folder away; otherwise the owner checked is the migrating user.
    const owner = process.getuid?.() === 0 ? [4321, 4322] : [process.getuid?.(), process.getgid?.()];
    for (const dir of [fresh, used]) {
      if (process.getuid?.() === 0) await chown(dir, 4321, 4322);
      await chmod(dir, 0o2770);
    }
    expect((await runCliInProcess(['state', 'migrate', '--from', source, '--to', fresh])).code).toBe(0);
    expect(
      (await runCliInProcess(['state', 'migrate', '--from', source, '--to', used, '--force'])).code,
    ).toBe(0);
    for (const dir of [fresh, used]) {
      const info = await stat(dir);
      expect((info.mode & 0o7777).toString(8), dir).toBe('2770');
      expect([info.uid, info.gid], dir).toEqual(owner);
      expect(await readdir(path.join(dir, 'audiences', 'prod')), dir).toEqual(['gold.json']);
    }
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
