import { mkdir, readFile, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { openStateStore } from '../../src/state/open.js';
import { runCli } from '../helpers/cli.js';
import { aRecord, useTempDirs } from './helpers.js';

const tempDir = useTempDirs();

// refusals-38: every command refuses a directory store whose meta.json a newer audiencectl
// wrote (STATE_FORMAT_NEWER, "upgrade audiencectl"), but `init` said "directory state ready"
// and exited 0: after a rollback to an older release, its init step passed on a store that
// every other command then refused, as the PostgreSQL init did with a newer schema (review
// 20a, M4; pg-init-state-only.spec.ts). It refuses it too, and leaves meta.json as it was.
describe('init of a directory store in a newer format', () => {
  it('refuses it, saying to upgrade, and changes nothing', async () => {
    const dir = path.join(await tempDir(), 'state');
    await mkdir(dir);
    const store = await openStateStore(dir);
    await store.lock();
    await store.put(aRecord('gold'));
    await store.close();
    const file = path.join(dir, 'meta.json');
    const meta = JSON.parse(await readFile(file, 'utf8')) as Record<string, unknown>;
    const newer = JSON.stringify({ ...meta, schemaVersion: 3, future: { kept: true } });
    await writeFile(file, newer);

    const result = await runCli(['init', '--state-only', '--state', dir]);
    expect(result).toEqual({
      code: 1,
      stdout: '',
      stderr: `Error: state file ${file} is in format 3, written by a newer audiencectl; this one reads formats 1 and 2: upgrade audiencectl (nothing was read or written)\n`,
    });
    expect(await readFile(file, 'utf8')).toBe(newer);
  });
});
