import { mkdir } from 'node:fs/promises';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { withTempDir } from '../helpers/cli.js';
import { runCliInProcess } from '../helpers/cli-in-process.js';

// A key or a sandbox of 100,000 characters (a file's content pasted as the argument) was echoed
// whole in its refusal: a 100 KB error line. Its start is shown, and its length.

const LONG = 'a'.repeat(100_000);

describe('a very long key or sandbox, refused', () => {
  it.each([
    [
      ['state', 'show', LONG, '--state', 'st'],
      `invalid audience key "${'a'.repeat(100)}…" (100000 characters)`,
    ],
    [
      ['state', 'forget', LONG, '--state', 'st'],
      `invalid audience key "${'a'.repeat(100)}…" (100000 characters)`,
    ],
    [
      ['state', 'list', '--sandbox', LONG, '--state', 'st'],
      `--sandbox: invalid sandbox name "${'a'.repeat(100)}…" (100000 characters)`,
    ],
  ])('%#: its start and its length, in one line', async (args, start) => {
    await withTempDir(async (dir) => {
      await mkdir(path.join(dir, 'st'));
      const result = await runCliInProcess(args, { cwd: dir });
      expect(result.code).toBe(1);
      expect(result.stderr.startsWith(`Error: ${start}: use `)).toBe(true);
      expect(result.stderr.length).toBeLessThan(400);
      expect(result.stderr.trimEnd().split('\n')).toHaveLength(1);
    });
  });
});
