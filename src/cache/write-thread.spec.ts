import { mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { writeCacheFileStreamed } from './cache-file.js';
import { writeCacheFileInThread } from './write-thread.js';
import { DEFAULT_PARSE_LIMITS } from '../manifest/limits.js';
import { startParsePool } from '../manifest/parse-pool.js';
import { deadPid, thisHostTag } from '../../test/helpers/temp-names.js';

// The built threads (`npm run build`), as `plan` starts them.
const workerUrl = new URL('../../dist/cache/write-worker.js', import.meta.url);
const parserUrl = new URL('../../dist/manifest/parse-worker.js', import.meta.url);

const dirs: string[] = [];
afterEach(() => {
  for (const dir of dirs.splice(0)) rmSync(dir, { recursive: true, force: true });
});
function tempDir(): string {
  const dir = mkdtempSync(path.join(os.tmpdir(), 'audiencectl-write-thread-'));
  dirs.push(dir);
  return dir;
}

// 3,000 lines of about 1 KB with two- and four-byte characters: several batches.
const pieces = Array.from({ length: 3000 }, (_, i) => `${i}\t${'é😀x'.repeat(250)}\n`);
const headerOf = (digest: string) => JSON.stringify({ format: 'test', root: '/0000', digest });

describe('writeCacheFileInThread', () => {
  it('writes, in its thread, the very bytes writeCacheFileStreamed writes here', async () => {
    const dir = tempDir();
    expect(await writeCacheFileInThread(path.join(dir, 'thread.jsonl'), headerOf, pieces, workerUrl)).toBe(
      true,
    );
    expect(writeCacheFileStreamed(path.join(dir, 'here.jsonl'), headerOf, pieces)).toBe(true);
    const written = readFileSync(path.join(dir, 'thread.jsonl'));
    expect(written.equals(readFileSync(path.join(dir, 'here.jsonl')))).toBe(true);
    expect(written.length).toBeGreaterThan(3 << 20);
    expect(readdirSync(dir).sort()).toEqual(['here.jsonl', 'thread.jsonl']);
  });

  it('writes the same bytes through a parser thread a session kept, and ends that thread', async () => {
    const dir = tempDir();
    writeFileSync(path.join(dir, 'a.yaml'), 'apiVersion: v2\nname: chart\n');
    const session = startParsePool({ url: parserUrl, workers: 1 }).session<string>(DEFAULT_PARSE_LIMITS);
    session.addFile({ relative: 'a.yaml', absolute: path.join(dir, 'a.yaml'), maxBytes: 1 << 20 });
    const [line] = await session.done({ keep: true });
    expect(line).toMatch(/^"a\.yaml"\t/);
    const thread = session.kept()!;
    expect(thread).toBeDefined();
    expect(session.kept()).toBeUndefined();
    const exited = new Promise((resolve) => thread.once('exit', resolve));
    const file = path.join(dir, 'kept.jsonl');
    expect(await writeCacheFileInThread(file, headerOf, pieces, undefined, thread)).toBe(true);
    await exited;
    expect(writeCacheFileStreamed(path.join(dir, 'here.jsonl'), headerOf, pieces)).toBe(true);
    expect(readFileSync(file).equals(readFileSync(path.join(dir, 'here.jsonl')))).toBe(true);
  });

  it('survives an error in a kept thread while it waits, and writes the same bytes through another', async () => {
    const dir = tempDir();
    writeFileSync(path.join(dir, 'a.yaml'), 'apiVersion: v2\nname: chart\n');
    const session = startParsePool({ url: parserUrl, workers: 1 }).session<string>(DEFAULT_PARSE_LIMITS);
    session.addFile({ relative: 'a.yaml', absolute: path.join(dir, 'a.yaml'), maxBytes: 1 << 20 });
    await session.done({ keep: true });
    const thread = session.kept()!;
    const exited = new Promise((resolve) => thread.once('exit', resolve));
    // A message the parser cannot serve (no jobs array): the idle thread throws, and ends.
    thread.postMessage({ jobs: null, context: DEFAULT_PARSE_LIMITS });
    expect(await exited).toBe(1);
    const file = path.join(dir, 'kept.jsonl');
    expect(await writeCacheFileInThread(file, headerOf, pieces, workerUrl, thread)).toBe(true);
    expect(writeCacheFileStreamed(path.join(dir, 'here.jsonl'), headerOf, pieces)).toBe(true);
    expect(readFileSync(file).equals(readFileSync(path.join(dir, 'here.jsonl')))).toBe(true);
  });

  it("removes, in its thread, the temporary files of writers here no longer running, not a running one's", async () => {
    const dir = tempDir();
    const here = thisHostTag();
    const dead = `.c.jsonl.${here}.${deadPid()}.0a1b2c3d.tmp`;
    const alive = `.c.jsonl.${here}.${process.ppid}.0a1b2c3d.tmp`;
    for (const name of [dead, alive]) writeFileSync(path.join(dir, name), 'half a cache');
    expect(await writeCacheFileInThread(path.join(dir, 'c.jsonl'), headerOf, ['a\n'], workerUrl)).toBe(true);
    expect(readdirSync(dir).sort()).toEqual([alive, 'c.jsonl'].sort());
  });

  it('keeps no thread unless asked', async () => {
    const session = startParsePool({ url: parserUrl, workers: 1 }).session<string>(DEFAULT_PARSE_LIMITS);
    const dir = tempDir();
    writeFileSync(path.join(dir, 'a.yaml'), 'apiVersion: v2\nname: chart\n');
    session.addFile({ relative: 'a.yaml', absolute: path.join(dir, 'a.yaml'), maxBytes: 1 << 20 });
    await session.done();
    expect(session.kept()).toBeUndefined();
  });

  it('answers false and leaves no temporary file where it cannot write', async () => {
    const missing = path.join(tempDir(), 'gone', 'cache.jsonl');
    expect(await writeCacheFileInThread(missing, headerOf, pieces, workerUrl)).toBe(false);
    expect(readdirSync(path.dirname(path.dirname(missing)))).toEqual([]);
  });

  it('answers false, without hanging, when its thread cannot start', async () => {
    const dir = tempDir();
    const nowhere = new URL('../../dist/cache/no-such-worker.js', import.meta.url);
    expect(await writeCacheFileInThread(path.join(dir, 'c.jsonl'), headerOf, pieces, nowhere)).toBe(false);
  });

  it('writes here when the thread cannot even be made', async () => {
    const dir = tempDir();
    // A URL no thread can load: the Worker constructor throws, as it does when no thread is to be had.
    const unloadable = new URL('http://localhost/write-worker.js');
    expect(await writeCacheFileInThread(path.join(dir, 'c.jsonl'), headerOf, pieces, unloadable)).toBe(true);
    expect(writeCacheFileStreamed(path.join(dir, 'here.jsonl'), headerOf, pieces)).toBe(true);
    expect(readFileSync(path.join(dir, 'c.jsonl')).equals(readFileSync(path.join(dir, 'here.jsonl')))).toBe(
      true,
    );
  });

  it('writes here a header that is not text around one digest', async () => {
    const dir = tempDir();
    const twice = (digest: string) => `${digest}-${digest}`;
    expect(await writeCacheFileInThread(path.join(dir, 'c.jsonl'), twice, ['a\n'], workerUrl)).toBe(true);
    const [header] = readFileSync(path.join(dir, 'c.jsonl'), 'utf8').split('\n');
    const [first, second] = header!.split('-');
    expect(first).toMatch(/^[0-9a-f]{40}$/);
    expect(second).toBe(first);
  });
});
