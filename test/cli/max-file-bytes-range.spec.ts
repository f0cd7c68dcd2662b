import { describe, expect, it } from 'vitest';
import { runCliInProcess } from '../helpers/cli-in-process.js';
import { withTempDir } from '../helpers/cli.js';

// cli-46 (c): `--max-file-bytes 99999999999999999999` was refused as `is not a positive whole
// number` (it is one), and 99999999999999 was taken: a file over V8's longest string (about
// 512 MiB) then failed each read as `Cannot create a string longer than 0x1fffffe8 characters`.
// The flag now takes 1 to 256 MiB, and its refusal says so.

const RANGE = 'is not a whole number from 1 to 268435456';

describe('--max-file-bytes out of range', () => {
  it.each([
    [
      ['validate', '.', '--max-file-bytes', '99999999999999999999'],
      {},
      `--max-file-bytes: "99999999999999999999" ${RANGE}`,
    ],
    [['plan', '.', '--max-file-bytes', '268435457'], {}, `--max-file-bytes: "268435457" ${RANGE}`],
    [
      ['run', '--emulator', '--dir', '.'],
      { AUDIENCECTL_MAX_FILE_BYTES: '99999999999999' },
      `AUDIENCECTL_MAX_FILE_BYTES: "99999999999999" ${RANGE}`,
    ],
  ])('%j: one line naming the setting and the range, exit 1', async (args, env, line) => {
    await withTempDir(async (dir) => {
      const result = await runCliInProcess(args, { cwd: dir, env });
      expect(result).toEqual({ code: 1, stdout: '', stderr: `Error: ${line}\n` });
    });
  });

  it('takes the largest', async () => {
    await withTempDir(async (dir) => {
      const result = await runCliInProcess(['validate', '.', '--max-file-bytes', '268435456'], { cwd: dir });
      expect({ code: result.code, stderr: result.stderr }).toEqual({ code: 0, stderr: '' });
    });
  });
});
