import { readdirSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { CLI, runCli } from '../helpers/cli.js';
import { distFilesLoaded, recordingLoads } from '../helpers/loads.js';
import { FileStateStore } from '../../src/state/file-store.js';
import { newRecord } from '../../src/state/record-changes.js';
import { useTempDirs } from '../state/helpers.js';

/**
 * How many files of dist/ a command loads as it starts. The ESM loader's cost is per module
 * and per import (resolving, reading, linking each): a plan that loaded its code as ~90
 * chunks spent ~100 ms more of its main thread than the same code in one file
 * (docs/performance.md, the fifty-second pass). The bounds are far below what the build
 * before scripts/bundle.mjs merged the chunks loaded together gave, and above what it gives now.
 */
const tempDir = useTempDirs();
const DIST = path.dirname(path.dirname(CLI));
const EXAMPLES = path.resolve('examples/audiences');

describe('the files of dist/ a command loads', () => {
  it.each([
    // 19, 50 and 107 files before the merge (the build of main at 6468adfb); 7, 20 and 33 after it.
    { name: '--version', args: () => ['--version'], atMost: 10 },
    {
      name: 'validate of one file',
      args: () => ['validate', path.join(EXAMPLES, 'web-newsletter.yaml')],
      atMost: 25,
    },
    {
      name: 'plan with no store (every file parsed)',
      args: (root: string) => ['plan', EXAMPLES, '--state', path.join(root, 'none')],
      atMost: 40,
    },
    // 66 files with b3890cb1's build change undone (opening the store loaded apply's whole group), 45 after it.
    {
      name: 'state list of a directory store',
      args: (root: string) => ['state', 'list', '--state', path.join(root, 'state')],
      atMost: 55,
    },
  ])('$name: at most $atMost', async ({ args, atMost }) => {
    const root = await tempDir();
    // A store of one record, for state list (the other commands never read it).
    const store = new FileStateStore(path.join(root, 'state'));
    await store.lock();
    await store.put({ ...newRecord('prod', 'gold'), audienceId: 'id-gold', manifestFile: 'gold.yaml' });
    await store.unlock();
    const log = path.join(root, 'loaded.txt');
    const run = await runCli(args(root), { env: recordingLoads(root, log) });
    expect(run.code, run.stderr).not.toBe(1);
    const loaded = distFilesLoaded(log);
    // The witness works: the entry point is listed.
    expect(loaded.has('cli/main.js')).toBe(true);
    expect(loaded.size, [...loaded].join('\n')).toBeLessThanOrEqual(atMost);
  });

  it("holds each module's code in one file only (two copies would be two modules: two states, two classes)", () => {
    const holders = new Map<string, string[]>();
    for (const file of readdirSync(DIST, { recursive: true, encoding: 'utf8' })) {
      if (!file.endsWith('.js.map')) continue;
      const map = JSON.parse(readFileSync(path.join(DIST, file), 'utf8')) as { sources: string[] };
      // Our modules and our dependencies' (not the build's own glue: a merged file's list of members).
      for (const source of map.sources.filter((each) => /(^|\/)(src|node_modules)\//.test(each)))
        holders.set(source, [...(holders.get(source) ?? []), file]);
    }
    // The witness works: the maps name our sources.
    expect([...holders.keys()].some((source) => source.endsWith('src/cli/run-cli.ts'))).toBe(true);
    expect([...holders].filter(([, files]) => files.length > 1)).toEqual([]);
  });
});
