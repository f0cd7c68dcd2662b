import { mkdir, readFile } from 'node:fs/promises';
import path from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { useTempDirs } from '../../test/state/helpers.js';
import { ensureDirDurable, fsCalls, removeFileDurable, writeFileDurable } from './durable-fs.js';

/**
 * The order of the file system calls that make a state write durable: no crash can be
 * staged in a test (a killed process loses nothing the kernel holds), so the calls are
 * watched instead, on the real file system. Paths are logged relative to the test's dir.
 */
const calls: string[] = [];
const real = { ...fsCalls };
let root = '';

function name(file: string): string {
  const relative = path.relative(root, file) || '.';
  return relative.endsWith('.tmp') ? 'TEMP' : relative;
}

const tempDir = useTempDirs();

beforeEach(async () => {
  root = await tempDir();
  calls.length = 0;
  fsCalls.open = async (file, flags, mode) => {
    const handle = await real.open(file, flags, mode);
    const sync = handle.sync.bind(handle);
    handle.sync = () => {
      calls.push(`sync ${name(file.toString())}`);
      return sync();
    };
    return handle;
  };
  fsCalls.rename = (from, to) => {
    calls.push(`rename ${name(from.toString())} -> ${name(to.toString())}`);
    return real.rename(from, to);
  };
  fsCalls.unlink = (file) => {
    calls.push(`unlink ${name(file.toString())}`);
    return real.unlink(file);
  };
  fsCalls.mkdir = ((dir, options) => {
    calls.push(`mkdir ${name(dir.toString())}`);
    return real.mkdir(dir, options);
  }) as typeof real.mkdir;
});

afterEach(() => {
  Object.assign(fsCalls, real);
});

describe('durable writes, in the order of their system calls', () => {
  it('syncs the temp file, renames it over the target, then syncs the directory', async () => {
    await mkdir(path.join(root, 'prod'));
    await writeFileDurable(path.join(root, 'prod', 'a.json'), '{}');
    expect(calls).toEqual(['sync TEMP', 'rename TEMP -> prod/a.json', 'sync prod']);
    expect(await readFile(path.join(root, 'prod', 'a.json'), 'utf8')).toBe('{}');
  });

  it('syncs the directory after removing a file', async () => {
    await writeFileDurable(path.join(root, 'a.json'), '{}');
    calls.length = 0;
    expect(await removeFileDurable(path.join(root, 'a.json'))).toBe(true);
    expect(calls).toEqual(['unlink a.json', 'sync .']);
  });

  it('syncs the parent of every directory it creates, innermost first', async () => {
    await ensureDirDurable(path.join(root, 'audiences', 'prod'));
    expect(calls).toEqual(['mkdir audiences', 'mkdir audiences/prod', 'sync audiences', 'sync .']);
  });
});
