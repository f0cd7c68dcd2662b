import { execFile } from 'node:child_process';
import { mkdir, readFile, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { promisify } from 'node:util';
import { describe, expect, it } from 'vitest';
import { cliBench } from '../helpers/cli-bench.js';
import { GIT_ENV } from '../helpers/cli.js';
import { manifestYaml } from '../helpers/manifests.js';
import { audienceNames } from '../helpers/work-tree.js';

const run = promisify(execFile);

/** git in `cwd`, committing at `date` (ISO) when given. */
function git(cwd: string, date?: string) {
  const dates = date === undefined ? {} : { GIT_AUTHOR_DATE: date, GIT_COMMITTER_DATE: date };
  return (...args: string[]) => run('git', args, { cwd, env: { ...process.env, ...GIT_ENV, ...dates } });
}

/**
 * Review 32, H-3. A colleague's full clone (not shallow), never fetched since the first commit,
 * with a commit of their own made after the newer apply: the commit last applied (the sandbox's
 * mark, the newer commit that removed silver) is not in the clone, and is then compared by
 * commit time, which the local commit wins. In a clone that is not shallow every ancestor of
 * HEAD is present, so a recorded commit missing from it is one HEAD does not contain: the
 * apply should be refused as an older checkout's. It re-creates silver and would PATCH back
 * whatever the newer commit changed. The built CLI, real git, the emulator over HTTP.
 */
describe('a full clone that never fetched the commit last applied, with a later commit of its own', () => {
  it('is refused as an older checkout, and does not create again what that commit deleted', async () => {
    await cliBench(async (b) => {
      const { emulator, tmp, cli, setUp } = b;
      const canon = path.join(tmp, 'canon');
      await mkdir(path.join(canon, 'aud'), { recursive: true });
      await writeFile(path.join(canon, 'aud/gold.yaml'), manifestYaml('gold'));
      await writeFile(path.join(canon, 'aud/silver.yaml'), manifestYaml('silver'));
      await git(canon)('init', '--quiet', '--initial-branch', 'main');
      await git(canon)('remote', 'add', 'origin', 'https://github.com/acme/audiences.git');
      await git(canon)('add', '--all');
      await git(canon, '2026-12-01T10:00:00Z')('commit', '--quiet', '-m', 'gold and silver');

      const bob = path.join(tmp, 'bob');
      await git(tmp)('clone', '--quiet', canon, bob);
      await git(bob)('remote', 'set-url', 'origin', 'https://github.com/acme/audiences.git');

      const first = await setUp('apply', path.join(canon, 'aud'), '--auto-approve');
      expect(first.code, first.stdout + first.stderr).toBe(0);
      await git(canon)('rm', '--quiet', 'aud/silver.yaml');
      await git(canon, '2026-12-01T11:00:00Z')('commit', '--quiet', '-m', 'remove silver');
      const removed = await setUp('apply', path.join(canon, 'aud'), '--auto-approve');
      expect(removed.code, removed.stdout + removed.stderr).toBe(0);
      expect(audienceNames(emulator)).toEqual(['Audience gold']);

      // Bob, still at the first commit, commits an edit of his own (later) and applies.
      const gold = path.join(bob, 'aud/gold.yaml');
      await writeFile(gold, (await readFile(gold, 'utf8')).replace('About gold', 'Gold, edited by Bob'));
      await git(bob, '2026-12-01T12:00:00Z')('commit', '--quiet', '--all', '-m', 'gold description');
      const stale = await cli('apply', path.join(bob, 'aud'), '--auto-approve');
      expect(stale.stdout).not.toContain('ok       prod/silver create');
      expect(audienceNames(emulator)).toEqual(['Audience gold']);
      expect(stale.code).toBe(1);
      expect(stale.stderr).toContain('Error: refusing to undo a newer apply:');
      expect(stale.stderr).toContain('prod/silver would be created again');
    });
  });
});
