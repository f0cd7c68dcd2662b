import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { scansAhead } from './plan-prestart.js';

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
