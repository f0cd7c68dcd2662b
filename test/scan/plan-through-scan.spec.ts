import { mkdirSync, readdirSync, renameSync, rmSync, utimesSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { describe, expect, it } from 'vitest';
import { MANIFEST_CACHE_NAME } from '../../src/state/paths.js';
import { metaPath, recordPath } from '../../src/state/paths.js';
import { SNAPSHOT_RACY_MARGIN_MS, STATE_SNAPSHOT_NAME } from '../../src/state/snapshot.js';
import { runCli, withTempDir } from '../helpers/cli.js';
import { runCliInProcess } from '../helpers/cli-in-process.js';
import { distFilesLoaded, recordingLoads } from '../helpers/loads.js';
import { manifestYaml } from '../helpers/manifests.js';
import { aRecord } from '../state/helpers.js';

// The built CLI, as a user runs it: once a manifest cache exists, `plan` takes the files'
// facts from its fact scan thread (src/scan). Every file is made an hour old, so the
// caches trust what those facts say: a wrong fact would plan from a stale cache entry.
// (A record's change time cannot be set back: the snapshot trusts a record only once its
// racy margin has passed since the record was written, so the test waits that long.)
// A small cache is read by the plan's own thread (scansInThread): three manifests of about
// 800 KB each, never changed, make it larger than the 2 MiB a thread is started for.
// The plan each cached one is compared with, made without any cache, is the reference, not the
// subject: it runs the CLI's entry in this process (the same planner, without the caches).
const PADDING = ['pad-1', 'pad-2', 'pad-3'];
const padded = (name: string) => manifestYaml(name, { spec: { description: 'x'.repeat(800_000) } });
const paddingSteps = PADDING.flatMap((name) => [`prod/${name}:create`, `prod/${name}:run`]);

const HOUR_AGO = new Date(Date.now() - 3_600_000);

function age(dir: string): void {
  for (const entry of readdirSync(dir, { withFileTypes: true, recursive: true })) {
    if (entry.isFile()) utimesSync(path.join(entry.parentPath, entry.name), HOUR_AGO, HOUR_AGO);
  }
}

/** Written as a record write does: a new file renamed into place. */
function writeRecord(state: string, key: string, audienceId: string): void {
  const file = recordPath(state, 'prod', key);
  writeFileSync(`${file}.tmp`, JSON.stringify(aRecord(key, { audienceId })));
  renameSync(`${file}.tmp`, file);
}

const args = (manifests: string, state: string) => [
  'plan',
  manifests,
  '--state',
  state,
  '--allow-mass-delete',
  '--output',
  'json',
];

type Steps = Array<{ id: string; audienceId?: string }>;

/** The built CLI's JSON plan of `manifests`: through the caches once they exist. */
async function planSteps(manifests: string, state: string) {
  const result = await runCli(args(manifests, state));
  expect(result.stderr).toBe('');
  return (JSON.parse(result.stdout) as { steps: Steps }).steps;
}

/** The same plan made without the manifest cache (the reference), in this process. */
async function uncachedSteps(manifests: string, state: string) {
  const result = await runCliInProcess(args(manifests, state), {
    env: { AUDIENCECTL_MANIFEST_CACHE: 'off' },
  });
  expect(result.stderr).toBe('');
  return (JSON.parse(result.stdout) as { steps: Steps }).steps;
}

/**
 * Whether a plan (as text) started the fact scan thread and the cache writer's, and whether it
 * loaded the record files' reader, which only a record the snapshot does not serve needs (it
 * validates without zod since validate-record-fast.ts: zod no longer tells).
 */
async function planLoads(root: string, manifests: string, state: string) {
  const log = path.join(root, 'loaded.txt');
  const text = ['plan', manifests, '--state', state, '--allow-mass-delete'];
  const result = await runCli(text, { env: recordingLoads(root, log) });
  expect(result).toMatchObject({ code: 0, stderr: '' });
  const files = distFilesLoaded(log);
  return {
    scanThread: files.has('scan/scan-worker.js'),
    writeThread: files.has('cache/write-worker.js'),
    recordRead: [...files].some((file) => /(^|\/)loaded-by-read-records-/.test(file)),
  };
}

describe('plan through the fact scan thread', () => {
  it('plans what the files say, through edits, additions, deletions and record writes', async () => {
    await withTempDir(async (root) => {
      const manifests = path.join(root, 'manifests');
      const state = path.join(root, 'state');
      mkdirSync(path.join(manifests, 'team'), { recursive: true });
      mkdirSync(path.dirname(recordPath(state, 'prod', 'a')), { recursive: true });
      writeFileSync(metaPath(state), JSON.stringify({ schemaVersion: 1, lineage: 'l-1', serial: 1 }));
      writeFileSync(path.join(manifests, 'a.yaml'), manifestYaml('a'));
      writeFileSync(path.join(manifests, 'team', 'b.yaml'), manifestYaml('b'));
      for (const name of PADDING) writeFileSync(path.join(manifests, 'team', `${name}.yaml`), padded(name));
      writeRecord(state, 'a', 'aud-a-1');
      writeRecord(state, 'z', 'aud-z-1');
      age(root);
      await sleep(SNAPSHOT_RACY_MARGIN_MS + 100);

      // No manifest cache yet: no thread (the parser threads have both cores).
      expect(await planLoads(root, manifests, state)).toMatchObject({ scanThread: false, recordRead: true });
      expect(readdirSync(state)).toEqual(expect.arrayContaining([MANIFEST_CACHE_NAME, STATE_SNAPSHOT_NAME]));
      // Through the caches, the facts from the thread: every record served by the snapshot on
      // the thread's facts (none read), and the same plan as without any cache.
      expect(await planLoads(root, manifests, state)).toEqual({
        scanThread: true,
        writeThread: false,
        recordRead: false,
      });
      const second = await planSteps(manifests, state);
      expect(second).toEqual(await uncachedSteps(manifests, state));
      // The record of `a` holds another spec (its name differs: a replacement); b is new (created,
      // then its first run); z has no manifest.
      expect(second.map((s) => s.id)).toEqual([
        'prod/a:replace',
        'prod/b:create',
        'prod/b:run',
        ...paddingSteps,
        'prod/z:delete',
      ]);

      writeFileSync(
        path.join(manifests, 'a.yaml'),
        manifestYaml('a', { spec: { description: 'Edited after the caches were written' } }),
      );
      rmSync(path.join(manifests, 'team', 'b.yaml'));
      writeFileSync(path.join(manifests, 'team', 'c.yaml'), manifestYaml('c'));
      writeRecord(state, 'z', 'aud-z-2');
      // The manifests only: the record of `a` keeps its change time, and stays trusted.
      age(manifests);
      // z, written since, is read; a is served by the snapshot on the thread's facts.
      // The cache, over 1 MiB, is hashed and written by a thread of its own.
      expect(await planLoads(root, manifests, state)).toEqual({
        scanThread: true,
        writeThread: true,
        recordRead: true,
      });
      const third = await planSteps(manifests, state);
      expect(third).toEqual(await uncachedSteps(manifests, state));
      expect(third.map((s) => s.id)).toEqual([
        'prod/a:replace',
        'prod/c:create',
        'prod/c:run',
        ...paddingSteps,
        'prod/z:delete',
      ]);
      expect(third.find((s) => s.id === 'prod/z:delete')?.audienceId).toBe('aud-z-2');
      expect(JSON.stringify(third)).toContain('Edited after the caches were written');
    });
  });

  it('a small repository is planned by one thread: no scan thread, no cache writer thread, the same plan', async () => {
    await withTempDir(async (root) => {
      const manifests = path.join(root, 'manifests');
      const state = path.join(root, 'state');
      mkdirSync(manifests, { recursive: true });
      mkdirSync(path.dirname(recordPath(state, 'prod', 'a')), { recursive: true });
      writeFileSync(metaPath(state), JSON.stringify({ schemaVersion: 1, lineage: 'l-1', serial: 1 }));
      writeFileSync(path.join(manifests, 'a.yaml'), manifestYaml('a'));
      writeFileSync(path.join(manifests, 'b.yaml'), manifestYaml('b'));
      writeRecord(state, 'z', 'aud-z-1');
      age(root);

      expect(await planLoads(root, manifests, state)).toEqual({
        scanThread: false,
        writeThread: false,
        recordRead: true,
      });
      expect(readdirSync(state)).toContain(MANIFEST_CACHE_NAME);
      expect(await planLoads(root, manifests, state)).toMatchObject({
        scanThread: false,
        writeThread: false,
      });
      const cached = await planSteps(manifests, state);
      expect(cached).toEqual(await uncachedSteps(manifests, state));
      expect(cached.map((s) => s.id)).toEqual([
        'prod/a:create',
        'prod/a:run',
        'prod/b:create',
        'prod/b:run',
        'prod/z:delete',
      ]);
    });
  });
});
