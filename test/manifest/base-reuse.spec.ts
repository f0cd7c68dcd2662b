import { execFileSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, rmSync, utimesSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { loadDesired, loadDesiredDir } from '../../src/cli/source-options.js';
import { manifestYaml } from '../helpers/manifests.js';
import { knownSpecHash } from '../../src/manifest/spec-hash-memo.js';
import { assumedStateFrom } from '../../src/plan/assumed-state.js';
import { plan } from '../../src/plan/plan.js';
import { NOW, options } from '../helpers/planning.js';

const root = mkdtempSync(path.join(os.tmpdir(), 'base-reuse-'));
afterAll(() => rmSync(root, { recursive: true, force: true }));

const git = (...args: string[]) =>
  execFileSync('git', ['-c', 'user.name=t', '-c', 'user.email=t@t.invalid', ...args], {
    cwd: root,
    stdio: 'ignore',
  });

describe('plan --base', () => {
  it('takes unchanged files from the working tree and gives what reading the whole base gives', async () => {
    const source = path.join(root, 'audiences');
    mkdirSync(path.join(source, 'sub'), { recursive: true });
    const write = (name: string, text: string) => writeFileSync(path.join(source, name), text);
    write('a.yaml', manifestYaml('a'));
    write('b.yaml', manifestYaml('b'));
    write('sub/c.yaml', manifestYaml('c'));
    write('broken.yaml', 'apiVersion: audiencectl/v1\nkind: ExternalAudience\nmetadata: {name: d\n');
    git('init', '-q');
    git('add', '.');
    git('commit', '-qm', 'base');
    // The head: one file edited, one removed, one added.
    write('b.yaml', manifestYaml('b', { spec: { description: 'edited' } }));
    rmSync(path.join(source, 'sub/c.yaml'));
    write('e.yaml', manifestYaml('e'));
    const flags = { sandbox: 'prod' };

    const working = await loadDesiredDir(source, flags);
    expect([...working.files.keys()].sort()).toEqual(['a.yaml', 'b.yaml', 'broken.yaml', 'e.yaml']);
    // The working tree's hashes are git's blob ids: unchanged files are matched, not read.
    const blob = execFileSync('git', ['hash-object', 'audiences/a.yaml'], { cwd: root }).toString().trim();
    expect(working.files.get('a.yaml')?.hash).toBe(blob);
    const reused = await loadDesired(source, flags, 'HEAD', working.files);
    const full = await loadDesired(source, flags, 'HEAD');
    expect(reused).toEqual(full);
    expect(full.manifests.map((m) => m.key)).toEqual(['a', 'b', 'c']);
    expect(full.manifests.find((m) => m.key === 'b')?.manifest.spec.description).not.toBe('edited');
    expect(full.failedFiles).toEqual(['broken.yaml']);

    // Through the manifest cache (as `plan --base` reads the working tree), warm: the
    // cached files' specs stay JSON text and their hashes come from the cache, in the
    // working tree's load, the base's reused files and the state assumed from them.
    const hourAgo = new Date(Date.now() - 3_600_000);
    for (const name of ['a.yaml', 'b.yaml', 'broken.yaml', 'e.yaml'])
      utimesSync(path.join(source, name), hourAgo, hourAgo);
    const cacheFile = path.join(root, 'manifest-cache.jsonl');
    const first = await loadDesiredDir(source, flags, { cacheFile });
    expect(await first.saveCache()).toBe(true);
    const warm = await loadDesiredDir(source, flags, { cacheFile });
    expect(warm.loaded.manifests.map((m) => knownSpecHash(m.manifest))).not.toContain(undefined);
    const appliedAt = new Date(NOW * 1000).toISOString();
    const fromCache = plan(
      warm.loaded,
      assumedStateFrom(await loadDesired(source, flags, 'HEAD', warm.files), appliedAt),
      options(),
    );
    const uncached = (await loadDesiredDir(source, flags)).loaded;
    expect(fromCache).toEqual(plan(uncached, assumedStateFrom(full, appliedAt), options()));
    // c's removal is held: broken.yaml cannot be read far enough to know its audiences.
    expect(fromCache.steps.map((s) => `${s.kind} ${s.key}`)).toEqual(['update b', 'create e', 'run e']);
  });
});
