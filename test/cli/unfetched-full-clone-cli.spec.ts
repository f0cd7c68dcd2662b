import { readFile, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { cliBench } from '../helpers/cli-bench.js';
import { gitAt } from '../helpers/marks.js';
import { silverRemovedUpstream } from '../helpers/stale-story.js';
import { audienceNames } from '../helpers/work-tree.js';

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
      const { emulator, tmp, cli } = b;
      const bob = path.join(tmp, 'bob');
      await silverRemovedUpstream(b, async (canon) => {
        await gitAt(tmp, ['clone', '--quiet', canon, bob]);
        await gitAt(bob, ['remote', 'set-url', 'origin', 'https://github.com/acme/audiences.git']);
      });

      // Bob, still at the first commit, commits an edit of his own (later) and applies.
      const gold = path.join(bob, 'aud/gold.yaml');
      await writeFile(gold, (await readFile(gold, 'utf8')).replace('About gold', 'Gold, edited by Bob'));
      await gitAt(bob, ['commit', '--quiet', '--all', '-m', 'gold description'], '2026-12-01T12:00:00Z');
      const stale = await cli('apply', path.join(bob, 'aud'), '--auto-approve');
      expect(stale.stdout).not.toContain('ok       prod/silver create');
      expect(audienceNames(emulator)).toEqual(['Audience gold']);
      expect(stale.code).toBe(1);
      expect(stale.stderr).toContain('Error: refusing to undo a newer apply:');
      expect(stale.stderr).toContain('prod/silver would be created again');
    });
  });
});
