import { writeFile } from 'node:fs/promises';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { runCli, withTempDir } from '../helpers/cli.js';

// `run --work-dir` naming a regular file (a path typo, a mounted Secret's key) was refused as
// `cannot lock --work-dir <file>: EEXIST`: an errno code that reads as "another controller holds
// it", not what the user must fix. It says the path is a file, not a directory.

describe('run --work-dir naming a regular file', () => {
  it('is refused in one line saying it is not a directory', async () => {
    await withTempDir(async (dir) => {
      const file = path.join(dir, 'work');
      await writeFile(file, 'a file\n');
      const result = await runCli(
        [
          'run',
          '--emulator',
          '--repo',
          'https://git.example.invalid/audiences.git',
          '--state',
          path.join(dir, 'state'),
          '--listen',
          '127.0.0.1:0',
          '--work-dir',
          file,
        ],
        { cwd: dir, stopOn: /controller started/ },
      );
      expect({ code: result.code, stdout: result.stdout }).toEqual({ code: 1, stdout: '' });
      expect(result.stderr).toMatch(/^Error: [^\n]*--work-dir[^\n]*not a directory[^\n]*\n$/);
      expect(result.stderr).not.toContain('EEXIST');
      expect(result.stderr).toContain(file);
    });
  });
});
