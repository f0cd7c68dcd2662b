import { execFileSync } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { createServer, type Server } from 'node:net';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  checkFileForReader,
  checkRegularFileSync,
  readRegularText,
  readRegularTextSync,
} from './read-regular.js';

// Each kind of path that is no regular file is refused, said as what it is, without a
// read (a FIFO read waited for a writer; /dev/zero never ended), by the synchronous and
// the asynchronous reader alike.
let dir: string;
let server: Server;

beforeAll(async () => {
  dir = mkdtempSync(path.join(os.tmpdir(), 'audiencectl-files-'));
  execFileSync('mkfifo', [path.join(dir, 'fifo')]);
  writeFileSync(path.join(dir, 'token'), 'a-token\n');
  server = createServer();
  await new Promise<void>((resolve) => server.listen(path.join(dir, 'socket'), resolve));
});

afterAll(async () => {
  await new Promise((resolve) => server.close(resolve));
  rmSync(dir, { recursive: true, force: true });
});

const readers = [
  [
    'readRegularTextSync',
    // async: a throw becomes a rejection, as the other reader's failures are.
    async (file: string, label?: string) => Promise.resolve(readRegularTextSync(file, { label })),
  ],
  ['readRegularText', (file: string, label?: string) => readRegularText(file, { label })],
] as const;

describe.each(readers)('%s', (_, read) => {
  it.each([
    ['fifo', 'a named pipe (FIFO)'],
    ['.', 'a directory'],
    ['socket', 'a socket'],
  ])('refuses %s: it is %s', async (name, kind) => {
    const file = path.join(dir, name);
    await expect(read(file, '--some-file')).rejects.toMatchObject({
      code: 'NOT_A_REGULAR_FILE',
      message: `--some-file: ${file} is ${kind}, not a regular file`,
      reason: `it is ${kind}, not a regular file`,
    });
  });

  it('refuses a character device (/dev/zero would be read forever)', async () => {
    await expect(read('/dev/zero')).rejects.toMatchObject({
      message: '/dev/zero is a character device, not a regular file',
    });
  });

  it('reads a regular file, and passes a missing one on as the system said it', async () => {
    expect(await read(path.join(dir, 'token'))).toBe('a-token\n');
    await expect(read(path.join(dir, 'missing'))).rejects.toMatchObject({ code: 'ENOENT' });
  });
});

describe('limits and checks', () => {
  it('refuses a file over maxBytes', () => {
    const file = path.join(dir, 'token');
    expect(() => readRegularTextSync(file, { maxBytes: 4, label: '--x-file' })).toThrow(
      `--x-file: ${file}: it is 8 bytes, over the 4-byte limit`,
    );
    expect(readRegularTextSync(file, { maxBytes: 8 })).toBe('a-token\n');
  });

  it('checkRegularFileSync accepts a regular file and refuses as the readers do', () => {
    expect(() => checkRegularFileSync(path.join(dir, 'token'))).not.toThrow();
    expect(() => checkRegularFileSync(path.join(dir, 'fifo'))).toThrow(
      'is a named pipe (FIFO), not a regular file',
    );
  });

  it('checkFileForReader refuses a missing file (unless missingOk) and one that is no regular file', () => {
    expect(() => checkFileForReader(path.join(dir, 'token'), '--x-file')).not.toThrow();
    expect(() => checkFileForReader(path.join(dir, 'missing'), '--x-file')).toThrow(
      `--x-file: cannot read ${path.join(dir, 'missing')}: it does not exist`,
    );
    expect(() =>
      checkFileForReader(path.join(dir, 'missing'), '--x-file', { missingOk: true }),
    ).not.toThrow();
    expect(() => checkFileForReader(path.join(dir, 'fifo'), '--x-file', { missingOk: true })).toThrow(
      `--x-file: ${path.join(dir, 'fifo')} is a named pipe (FIFO), not a regular file`,
    );
    // A key pasted where its path belonged is not repeated.
    expect(() => checkFileForReader('-----BEGIN OPENSSH PRIVATE KEY-----\nb3Blbn\n', '--x-file')).toThrow(
      '--x-file: cannot read the value given: it does not exist',
    );
  });
});
