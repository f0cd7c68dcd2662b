import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { runCli } from '../helpers/cli.js';
import { packagesLoaded, recordingLoads } from '../helpers/loads.js';
import { FileStateStore } from '../../src/state/file-store.js';
import { newRecord } from '../../src/state/record-changes.js';
import { useTempDirs } from '../state/helpers.js';

/**
 * `state list` and `state show` read a directory store's records without zod
 * (validate-record-fast.ts), but opening the store loaded it (~0.03 CPU-s of such a command,
 * docs/performance.md, the sixtieth pass) through the store's writers, for what only a write or
 * a held lock uses: the lock file's holder (now checked by hand, lock-holder.ts), a record's
 * validation as it is written (normalise-record.ts, loaded at the first write) and compat.json's
 * schema (loaded for such a file only, compat-file.ts).
 */
const tempDir = useTempDirs();

describe('the state commands that read a directory store', () => {
  it.each([
    { name: 'state list', args: (state: string) => ['state', 'list', '--state', state] },
    { name: 'state show', args: (state: string) => ['state', 'show', 'gold', '--state', state] },
  ])('$name loads no zod', async ({ args }) => {
    const root = await tempDir();
    const state = path.join(root, 'state');
    const store = new FileStateStore(state);
    await store.lock();
    await store.put({ ...newRecord('prod', 'gold'), audienceId: 'id-gold', manifestFile: 'gold.yaml' });
    await store.unlock();
    const log = path.join(root, 'loaded.txt');
    const run = await runCli(args(state), { env: recordingLoads(root, log) });
    expect(run.code, run.stderr).toBe(0);
    // It read the record (the check would pass on a command that failed early).
    expect(run.stdout).toContain('id-gold');
    const loaded = packagesLoaded(log);
    // The witness sees the bundle's packages (it would pass on an empty log otherwise).
    expect(loaded.has('commander')).toBe(true);
    expect(loaded.has('zod')).toBe(false);
  });
});
