import { execFile } from 'node:child_process';
import { chmod } from 'node:fs/promises';
import path from 'node:path';
import { promisify } from 'node:util';
import { describe, expect, it } from 'vitest';
import { runCli, withTempDir, writeFiles } from '../helpers/cli.js';
import { manifestYaml } from '../helpers/manifests.js';

// The directory named on the command line itself cannot be listed (chmod 000, another team's
// folder, a volume mounted for another user): bad input, one line naming it, exit 1, never
// "Internal error" with a stack trace; a file under it is not "does not exist".

const execFileAsync = promisify(execFile);

/** Root reads any folder: the CLI is run as nobody then (CI runs as root), else as this user. */
const asUser = process.getuid?.() === 0 ? { uid: 65534, gid: 65534 } : {};

async function lockOut(dir: string, folder: string): Promise<void> {
  await chmod(dir, 0o755);
  if ('uid' in asUser) await execFileAsync('chown', ['-R', `${asUser.uid}:${asUser.gid}`, dir]);
  await chmod(path.join(dir, folder), 0o000);
}

describe('a manifests directory given on the command line that cannot be listed', () => {
  it('is one line naming it, exit 1, for validate, plan and a file named under it', async () => {
    await withTempDir(async (dir) => {
      await writeFiles(dir, { 'aud/gold.yaml': manifestYaml('gold') });
      await lockOut(dir, 'aud');
      for (const args of [
        ['validate', 'aud'],
        ['plan', 'aud', '--state', 'state'],
        ['validate', 'aud/gold.yaml'],
      ]) {
        const result = await runCli(args, { cwd: dir, ...asUser });
        const said = { args, code: result.code, stderr: result.stderr };
        expect(said.code, JSON.stringify(said)).toBe(1);
        expect(result.stderr, JSON.stringify(said)).not.toMatch(/Internal error|please report it|\n\s+at /);
        expect(result.stderr, JSON.stringify(said)).not.toContain('does not exist');
        // The one line naming what cannot be read, and why.
        expect(result.stdout + result.stderr, JSON.stringify(said)).toMatch(/aud[^\n]*EACCES/);
      }
    });
  });
});
