import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { parsesAhead, scansAhead } from './plan-prestart.js';

const root = mkdtempSync(path.join(os.tmpdir(), 'plan-prestart-'));
afterAll(() => rmSync(root, { recursive: true, force: true }));

/** A state directory, with a manifest cache of `cacheBytes` in it (none: undefined). */
function stateDir(name: string, cacheBytes: number | undefined): string {
  const dir = path.join(root, name);
  mkdirSync(dir, { recursive: true });
  writeFileSync(path.join(dir, 'meta.json'), '{}');
  if (cacheBytes !== undefined) writeFileSync(path.join(dir, 'manifest-cache.jsonl'), 'x'.repeat(cacheBytes));
  return dir;
}

describe('scansAhead: whether plan starts the fact scan thread as the command begins', () => {
  // 2 MiB: the smallest cache a thread scans (about 2,000 manifests); one byte less is read by the plan itself.
  const cached = stateDir('cached', 2_097_152);
  const small = stateDir('small', 2_097_151);
  const bare = stateDir('bare', undefined);

  it.each([
    ['--state <dir> holding a manifest cache', ['m', '--state', cached], {}, true],
    ['--state=<dir>', ['m', `--state=${cached}`], {}, true],
    ['AUDIENCECTL_STATE', ['m'], { AUDIENCECTL_STATE: cached }, true],
    ['AUDIENCECTL_STATE_DIR', ['m'], { AUDIENCECTL_STATE_DIR: cached }, true],
    // Refused (review 20a, M3): no plan runs, so no thread starts.
    [
      'AUDIENCECTL_STATE set but empty, beside AUDIENCECTL_STATE_DIR',
      ['m'],
      { AUDIENCECTL_STATE: '', AUDIENCECTL_STATE_DIR: cached },
      false,
    ],
    ['--state over a configuration file', ['m', '--state', cached, '--config', 'c.yaml'], {}, true],
    ['a store without a manifest cache (a first plan)', ['m', '--state', bare], {}, false],
    ['a manifest cache under 2 MiB (a small repository)', ['m', '--state', small], {}, false],
    ['a directory that does not exist', ['m', '--state', path.join(root, 'none')], {}, false],
    ['--base (reads no state)', ['m', '--state', cached, '--base', 'main'], {}, false],
    ['--base=<ref>', ['m', '--state', cached, '--base=main'], {}, false],
    ['--help', ['--help', '--state', cached], {}, false],
    ['the caches turned off', ['m', '--state', cached], { AUDIENCECTL_MANIFEST_CACHE: ' Off ' }, false],
    ['a state only a configuration file names', ['m', '--config', 'c.yaml'], {}, false],
    ['a configuration file from the environment', ['m'], { AUDIENCECTL_CONFIG: 'c.yaml' }, false],
    ['a PostgreSQL store', ['m', '--state', 'postgres://u@h/db'], {}, false],
  ] as const)('%s', (_what, args, env, expected) => {
    expect(scansAhead(args, env)).toBe(expected);
  });

  it('looks in the default state directory when nothing names one', () => {
    const asked: string[] = [];
    expect(scansAhead(['m'], {}, (file) => (asked.push(file), 2 * 1024 * 1024))).toBe(true);
    expect(asked).toEqual([path.join('.audiencectl-state', 'manifest-cache.jsonl')]);
  });
});

describe('parsesAhead: whether plan starts a manifest parser thread as the command begins', () => {
  /** A state directory with a state snapshot of `snapshotBytes` and a manifest cache of `cacheBytes` (none: undefined). */
  function store(name: string, snapshotBytes: number | undefined, cacheBytes?: number): string {
    const dir = stateDir(name, cacheBytes);
    if (snapshotBytes !== undefined)
      writeFileSync(path.join(dir, 'state-snapshot.jsonl'), 'x'.repeat(snapshotBytes));
    return dir;
  }
  // 64 KiB: the smallest snapshot (about 60 records) taken to say a plan reads more files than it parses without a thread.
  const large = store('large-uncached', 65_536);
  const small = store('small-uncached', 65_535);
  const cached = store('large-cached', 65_536, 100);
  const bare = store('no-snapshot', undefined);

  it.each([
    ['a large store without a manifest cache (a cold plan)', ['m', '--state', large], {}, true],
    ['--state=<dir>', ['m', `--state=${large}`], {}, true],
    ['AUDIENCECTL_STATE', ['m'], { AUDIENCECTL_STATE: large }, true],
    ['AUDIENCECTL_STATE_DIR', ['m'], { AUDIENCECTL_STATE_DIR: large }, true],
    [
      'the caches turned off (every plan reads every file)',
      ['m', '--state', large],
      { AUDIENCECTL_MANIFEST_CACHE: 'off' },
      true,
    ],
    ['a manifest cache, however small (a warm plan)', ['m', '--state', cached], {}, false],
    ['a snapshot under 64 KiB (a small repository)', ['m', '--state', small], {}, false],
    ['no snapshot (a first plan)', ['m', '--state', bare], {}, false],
    ['a directory that does not exist', ['m', '--state', path.join(root, 'none')], {}, false],
    ['--base (reads no state)', ['m', '--state', large, '--base', 'main'], {}, false],
    ['--help', ['--help', '--state', large], {}, false],
    [
      'AUDIENCECTL_STATE set but empty',
      ['m'],
      { AUDIENCECTL_STATE: '', AUDIENCECTL_STATE_DIR: large },
      false,
    ],
    ['a state only a configuration file names', ['m', '--config', 'c.yaml'], {}, false],
    ['a PostgreSQL store', ['m', '--state', 'postgresql://u@h/db'], {}, false],
  ] as const)('%s', (_what, args, env, expected) => {
    expect(parsesAhead(args, env)).toBe(expected);
  });

  it('looks in the default state directory when nothing names one', () => {
    const asked: string[] = [];
    const sizes: Record<string, number> = {
      [path.join('.audiencectl-state', 'state-snapshot.jsonl')]: 65_536,
    };
    expect(parsesAhead(['m'], {}, (file) => (asked.push(file), sizes[file]))).toBe(true);
    expect(asked).toEqual([
      path.join('.audiencectl-state', 'manifest-cache.jsonl'),
      path.join('.audiencectl-state', 'state-snapshot.jsonl'),
    ]);
  });

  it('is not asked when the fact scan thread is started instead', () => {
    // A large manifest cache and a large snapshot: a warm plan, which never parses ahead.
    const both = store('large-both', 65_536, 2_097_152);
    expect(scansAhead(['m', '--state', both], {})).toBe(true);
    expect(parsesAhead(['m', '--state', both], {})).toBe(false);
  });
});
