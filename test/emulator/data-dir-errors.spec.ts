import { writeFile } from 'node:fs/promises';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { withTempDir } from '../helpers/cli.js';
import { HANG_GUARD_MS, runCliGuarded } from '../helpers/hang-guard.js';

// A --data-dir the emulator cannot use is one line naming the flag, exit 1 (docs/emulator.md).
// A new path under /proc (/proc/x/data) made it spin a core for ever in Node's recursive
// mkdir, deaf to Ctrl-C and SIGTERM; /proc itself was "it does not exist" (it is there: it
// takes no files), and a file "ENOTDIR: not a directory, open ..." without the flag.

/** The emulator on any free port, with `args`. */
const finish = (args: string[]) => runCliGuarded(['emulator', '--port', '0', ...args]);

describe('an unusable --data-dir', () => {
  it('/proc/x/data (not there, cannot be made): one line naming --data-dir, exit 1, no spin', async () => {
    const result = await finish(['--data-dir', '/proc/x/data']);
    expect(
      result.hung,
      `killed after ${HANG_GUARD_MS} ms; it printed: ${result.stdout}${result.stderr}`,
    ).toBe(false);
    expect(result.code).toBe(1);
    expect(result.stderr).toMatch(/^Error: --data-dir: \/proc\/x\/data [^\n]*\n$/);
  });

  it('/proc: one line naming --data-dir, not "it does not exist", exit 1', async () => {
    const result = await finish(['--data-dir', '/proc']);
    expect(result.code).toBe(1);
    expect(result.stdout).toBe('');
    expect(result.stderr).toMatch(/^Error: --data-dir: \/proc [^\n]*\n$/);
    expect(result.stderr).not.toContain('does not exist');
  });

  it('a regular file: one line naming --data-dir and saying it is not a directory, exit 1', async () => {
    await withTempDir(async (dir) => {
      const file = path.join(dir, 'a-file');
      await writeFile(file, 'not a directory');
      const result = await finish(['--data-dir', file]);
      expect(result.code).toBe(1);
      expect(result.stderr).toMatch(/^Error: --data-dir: [^\n]*a-file is not a directory[^\n]*\n$/);
      expect(result.stderr).not.toContain('ENOTDIR');
    });
  });
});
