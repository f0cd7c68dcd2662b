import { execFile } from 'node:child_process';
import { chmod, readdir } from 'node:fs/promises';
import path from 'node:path';
import { promisify } from 'node:util';
import { describe, expect, it } from 'vitest';
import { openStateStore } from '../../src/state/open.js';
import { runCli } from '../helpers/cli.js';
import { aRecord, useTempDirs } from './helpers.js';

// Review 37b, suspected: `state forget` read its record with `.catch(() => undefined)`, so any
// read failure, not only a record file that no longer parses (docs/state.md: "`forget` also
// drops a record file that no longer parses"), was taken for a damaged record and the record
// deleted: here a record this user may not read (a store written by another user, say), whose
// audience id and runs went without a word. Only a record that no longer parses is dropped so.
const tempDir = useTempDirs();
const execFileAsync = promisify(execFile);
/** Root reads any file: the CLI is run as nobody then (CI runs as root), else as this user. */
const asUser = process.getuid?.() === 0 ? { uid: 65534, gid: 65534 } : {};

describe('state forget of a record it cannot read', () => {
  it('refuses, naming the file, and leaves the record', { timeout: 60_000 }, async () => {
    const root = await tempDir();
    const state = path.join(root, 'state');
    const store = await openStateStore(state);
    await store.lock();
    await store.put(aRecord('gold', { audienceId: '9d1f0a2b-77aa-4c1e-8e0f-5b6a1c2d3e4f' }));
    await store.close();
    await chmod(root, 0o755);
    if ('uid' in asUser) await execFileAsync('chown', ['-R', `${asUser.uid}:${asUser.gid}`, root]);
    const file = path.join(state, 'audiences', 'prod', 'gold.json');
    await chmod(file, 0o000);

    const forgot = await runCli(['state', 'forget', 'gold', '--sandbox', 'prod', '--state', state], {
      cwd: root,
      ...asUser,
    });
    expect(forgot).toEqual({
      code: 1,
      stdout: '',
      stderr: `Error: cannot read state file ${file}: permission denied\n`,
    });
    expect(await readdir(path.join(state, 'audiences', 'prod'))).toEqual(['gold.json']);
  });
});
