import { readdir, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { withTempDir } from '../helpers/cli.js';
import { runCliInProcess } from '../helpers/cli-in-process.js';

// A --state path holding a line break ($'st\nx', a pasted variable with its newline) was printed
// as it is in the refusals of the state commands, apply and migrate: the one-line error became
// two, the second looking like a line of its own (plan's warning already escaped it).

describe('a state path with a line break, refused', () => {
  it.each([
    [
      ['state', 'list', '--state', 'st\nx'],
      'no state directory at TMP/st\\u000Ax; pass --state <dir> to point at one',
    ],
    [
      ['state', 'show', 'gold', '--state', 'f\ng'],
      'TMP/f\\u000Ag is not a directory; pass --state <dir> to point at one',
    ],
    [
      ['state', 'migrate', '--from', 'f\ng', '--to', 'b'],
      'TMP/f\\u000Ag is not a directory; pass --from <dir> to point at one',
    ],
    [
      ['apply', '.', '--emulator', '--auto-approve', '--state', 'no\npe'],
      "no state store at TMP/no\\u000Ape (--state or AUDIENCECTL_STATE): if it is new, create it with `audiencectl init --state 'TMP/no\\u000Ape' --emulator`; otherwise fix the location",
    ],
  ])('%j: one line, exit 1, nothing written', async (args, line) => {
    await withTempDir(async (dir) => {
      await writeFile(path.join(dir, 'f\ng'), 'notes\n');
      const result = await runCliInProcess(args, { cwd: dir });
      expect(result).toEqual({ code: 1, stdout: '', stderr: `Error: ${line.replaceAll('TMP', dir)}\n` });
      expect(await readdir(dir)).toEqual(['f\ng']);
    });
  });

  it('a target that is a file, named in one line', async () => {
    await withTempDir(async (dir) => {
      await writeFile(path.join(dir, 'f\ng'), 'notes\n');
      const init = await runCliInProcess(['init', '--emulator', '--state', 'a'], { cwd: dir });
      expect(init.code).toBe(0);
      const result = await runCliInProcess(['state', 'migrate', '--from', 'a', '--to', 'f\ng'], { cwd: dir });
      expect(result.stderr.trimEnd().split('\n')).toHaveLength(1);
      expect(result.stderr).toContain(`${dir}/f\\u000Ag`);
      expect(result.code).toBe(1);
    });
  });
});
