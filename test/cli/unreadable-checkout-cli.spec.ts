import { execFile } from 'node:child_process';
import { rename } from 'node:fs/promises';
import path from 'node:path';
import { promisify } from 'node:util';
import { describe, expect, it } from 'vitest';
import { cliBench } from '../helpers/cli-bench.js';
import { gitAt } from '../helpers/marks.js';
import { silverRemovedUpstream } from '../helpers/stale-story.js';
import { audienceNames } from '../helpers/work-tree.js';

const run = promisify(execFile);

/** Chown a whole tree (the clone a CI container checked out as another user). */
async function chownTree(dir: string, uid: number): Promise<void> {
  await run('chown', ['-R', `${uid}:${uid}`, dir]);
}

const isRoot = process.getuid?.() === 0;

/**
 * Review 32, H-4. A stale clone that git refuses to read for this user ("detected dubious
 * ownership": a CI container job running as another uid than the checkout's, the most common
 * git failure in containers) is applied with only a warning, "this apply records none, and is
 * not checked against newer applies": the older-checkout guard is skipped and the audience the
 * newer commit deleted is created again. The same clone readable by git is refused. It is a git
 * work tree (it holds .git); a guard that cannot be evaluated should refuse, not pass.
 * Needs root (to give the clone another owner). The built CLI, real git, the emulator.
 */
describe('a stale clone git refuses to read (safe.directory)', () => {
  it.runIf(isRoot)(
    'is not applied unchecked: the audience a newer commit deleted is not created again',
    async () => {
      await cliBench(async (b) => {
        const { emulator, tmp, cli } = b;
        const stale = path.join(tmp, 'stale');
        await silverRemovedUpstream(b, async (canon) => {
          await gitAt(tmp, ['clone', '--quiet', canon, stale]);
          await gitAt(stale, ['remote', 'set-url', 'origin', 'https://github.com/acme/audiences.git']);
        });

        await chownTree(stale, 65534);
        const applied = await cli('apply', path.join(stale, 'aud'), '--auto-approve');
        expect(applied.stdout).not.toContain('ok       prod/silver create');
        expect(audienceNames(emulator)).toEqual(['Audience gold']);
        expect(applied.code).toBe(1);
        const [refusal, ...rest] = applied.stderr
          .trim()
          .split('\n')
          .filter((line) => line.startsWith('Error'));
        expect(rest).toEqual([]);
        expect(refusal).toContain(
          `Error: cannot read the git commit of ${path.join(stale, 'aud')} (fatal: detected dubious ownership in repository at '${stale}')`,
        );
        expect(refusal).toContain(
          `Let git read the checkout (git config --global --add safe.directory ${stale}), or pass --allow-older-checkout to apply unchecked`,
        );
        expect(applied.stderr).not.toMatch(/\n\s+at /);

        // Asked for, it applies unchecked, and says so.
        const unchecked = await cli(
          'apply',
          path.join(stale, 'aud'),
          '--auto-approve',
          '--allow-older-checkout',
        );
        expect(unchecked.code).toBe(0);
        expect(unchecked.stderr).toContain(
          'this apply records none, and is not checked against newer applies (--allow-older-checkout)',
        );
        expect(audienceNames(emulator)).toEqual(['Audience gold', 'Audience silver']);
      });
    },
  );

  it('a stale linked worktree whose git directory is gone is not applied unchecked either', async () => {
    await cliBench(async (b) => {
      const { emulator, tmp, cli } = b;
      // A linked worktree at the first commit (as mounted into a container, without its repository).
      const worktree = path.join(tmp, 'wt');
      const canon = await silverRemovedUpstream(b, (at) =>
        gitAt(at, ['worktree', 'add', '--quiet', '--detach', worktree, 'HEAD']).then(() => undefined),
      );

      await rename(path.join(canon, '.git'), path.join(tmp, 'git-elsewhere'));
      const applied = await cli('apply', path.join(worktree, 'aud'), '--auto-approve');
      expect(applied.stdout).not.toContain('ok       prod/silver create');
      expect(audienceNames(emulator)).toEqual(['Audience gold']);
      expect(applied.code).toBe(1);
      expect(applied.stderr).toContain(
        `Error: cannot read the git commit of ${path.join(worktree, 'aud')} (${path.join(worktree, '.git')} is there, but fatal: not a git repository: ${path.join(canon, '.git/worktrees/wt')})`,
      );
      expect(applied.stderr).not.toMatch(/\n\s+at /);
    });
  });
});
