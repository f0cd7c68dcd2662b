import { execFileSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { loadDesired, loadDesiredDir } from '../../src/cli/source-options.js';
import { manifestYaml } from '../helpers/manifests.js';

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
  });
});
