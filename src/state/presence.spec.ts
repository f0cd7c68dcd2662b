import { mkdir, symlink, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { useTempDirs } from '../../test/state/helpers.js';
import { requireStateStore, stateStoreExists } from './presence.js';

const tempDir = useTempDirs();

describe('whether a directory state store exists', () => {
  it('reads a missing directory as no store, which writers refuse, saying how to create one', async () => {
    const dir = path.join(await tempDir(), 'typo');
    const location = { kind: 'dir', dir } as const;
    expect(await stateStoreExists(location)).toBe(false);
    await expect(requireStateStore(location)).rejects.toMatchObject({
      code: 'STATE_NOT_FOUND',
      message: `no state store at ${dir} (--state or AUDIENCECTL_STATE): if it is new, create it with \`audiencectl init --state ${dir}\`; otherwise fix the location`,
    });
    await mkdir(dir);
    expect(await stateStoreExists(location)).toBe(true);
    await expect(requireStateStore(location)).resolves.toBeUndefined();
  });

  it('refuses a location it cannot read (a link that points at itself): it is not "no store"', async () => {
    const dir = path.join(await tempDir(), 'loop');
    await symlink(dir, dir);
    await expect(stateStoreExists({ kind: 'dir', dir })).rejects.toMatchObject({ code: 'STATE_UNREADABLE' });
    await expect(stateStoreExists({ kind: 'dir', dir })).rejects.toThrow(
      `--state ${dir}: cannot read it: ELOOP`,
    );
  });

  it('refuses a file, or a folder of other things, named as the store', async () => {
    const root = await tempDir();
    const file = path.join(root, 'state.json');
    await writeFile(file, '{}');
    await expect(stateStoreExists({ kind: 'dir', dir: file })).rejects.toMatchObject({
      code: 'STATE_NOT_A_DIRECTORY',
    });
    await writeFile(path.join(root, 'gold.yaml'), 'kind: ExternalAudience\n');
    await expect(requireStateStore({ kind: 'dir', dir: root })).rejects.toMatchObject({
      code: 'STATE_NOT_A_STORE',
    });
  });
});
