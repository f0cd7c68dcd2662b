import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import pino from 'pino';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { DirectorySource } from '../source/dir-source.js';
import { DesiredCache } from './desired-cache.js';
import { readDesired, syncsFully } from './read-desired.js';
import type { TriggerReason } from './triggers.js';

let dir: string;
beforeEach(async () => {
  dir = await mkdtemp(path.join(tmpdir(), 'audiencectl-read-desired-'));
  await writeFile(path.join(dir, 'a.yaml'), 'name: not ours\n');
});
afterEach(() => rm(dir, { recursive: true, force: true }));

describe('readDesired', () => {
  it('reads everything on startup, resync and with --full-reads; otherwise only what changed', async () => {
    const source = new DirectorySource(dir);
    const cache = new DesiredCache({ read: {}, defaultSandbox: 'prod' });
    const log = pino({ level: 'silent' });
    const signal = new AbortController().signal;
    const pass = async (reasons: TriggerReason[], fullReads?: boolean) => {
      const settings = fullReads === undefined ? {} : { fullReads };
      const revision = await source.sync(signal, { full: syncsFully(new Set(reasons), settings) });
      await readDesired(cache, revision, new Set(reasons), { source, signal, settings }, log);
      return cache.last;
    };
    expect(await pass(['startup'])).toMatchObject({ mode: 'full', reason: 'startup' });
    expect(await pass(['watch', 'poll'])).toMatchObject({ mode: 'incremental', read: [] });
    expect(await pass(['resync', 'watch'])).toMatchObject({ mode: 'full', reason: 'resync' });
    expect(await pass(['retry'])).toMatchObject({ mode: 'incremental' });
    expect(await pass(['webhook'], true)).toMatchObject({ mode: 'full', reason: 'full reads' });
    expect(syncsFully(new Set(['poll']), {})).toBe(false);
    expect(syncsFully(new Set(['poll']), { fullReads: true })).toBe(true);
  });
});
