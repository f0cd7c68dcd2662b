import { readFile, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { cliBench, type CliBench } from '../helpers/cli-bench.js';
import { manifestYaml } from '../helpers/manifests.js';
import { gitAt, metaOf } from '../helpers/marks.js';
import { silverRemovedUpstream } from '../helpers/stale-story.js';
import { audienceNames } from '../helpers/work-tree.js';

const NOTE =
  "note: planned as acme/audiences, the repository remote upstream names: this store has no record or sandbox mark of origin's alice/audiences\n";

/**
 * The story of review 32's H-1, up to the stale apply: alice's clone of the canonical repository
 * (her fork as origin, the canonical repository as upstream) is still at the first commit when
 * the newer one removing silver is applied. Returns the two work trees.
 */
async function forkStory(b: CliBench): Promise<{ canon: string; alice: string }> {
  const alice = path.join(b.tmp, 'alice');
  const canon = await silverRemovedUpstream(b, async (at) => {
    await gitAt(b.tmp, ['clone', '--quiet', at, alice]);
    await gitAt(alice, ['remote', 'rename', 'origin', 'upstream']);
    await gitAt(alice, ['remote', 'add', 'origin', 'https://github.com/alice/audiences.git']);
  });
  return { canon, alice };
}

/**
 * Review 32, H-1. A colleague's clone in the fork workflow (origin = their fork, upstream = the
 * canonical repository), left at an older commit, was "another repository" for the records and
 * the sandbox marks (its origin's path): its apply was checked against no mark, so it created
 * again an audience the canonical repository's newer commit deleted, and recorded it as the
 * fork's, which the canonical repository's plans then left alone ("Other repositories"). The
 * store knowing nothing of the fork and the canonical repository's marks and records, the clone
 * is the canonical repository's (plan/clone-repository.ts). The built CLI, real git, the
 * emulator over HTTP.
 */
describe('a stale clone whose origin is a fork of the repository applied', () => {
  it('does not create again an audience the newer commit of the canonical repository deleted', async () => {
    await cliBench(async (b) => {
      const { emulator, cli } = b;
      const { alice } = await forkStory(b);
      const c1 = await gitAt(alice, ['rev-parse', 'HEAD']);

      // Alice applies her clone, still at the first commit.
      const stale = await cli('apply', path.join(alice, 'aud'), '--auto-approve');
      expect(stale.stdout).not.toContain('ok       prod/silver create');
      expect(audienceNames(emulator)).toEqual(['Audience gold']);
      expect(stale.code).toBe(1);
      expect(stale.stderr).toContain('prod/silver would be created again');
      expect(stale.stderr).toContain(NOTE);
      expect(stale.stderr).toContain(
        `: prod/silver would be created again; sandbox prod was last applied from commit `,
      );
      expect(stale.stderr).toContain(
        // Not in alice's clone, which is complete: her HEAD does not contain it (review 32, H-3).
        `which this checkout's HEAD ${c1.slice(0, 7)} (committed 2026-12-01T10:00:00.000Z) does not contain`,
      );
      expect(stale.stderr).not.toMatch(/\n\s+at /);

      // plan says the same before anyone applies.
      const planned = await cli('plan', path.join(alice, 'aud'));
      expect(planned.stderr).toContain(NOTE);
      expect(planned.stdout + planned.stderr).toContain('prod/silver would be created again');
    });
  });

  it("once pulled, applies as the canonical repository: its records and the sandbox's mark stay the canonical repository's", async () => {
    await cliBench(async (b) => {
      const { emulator, tmp, cli } = b;
      const { canon, alice } = await forkStory(b);
      await gitAt(alice, ['pull', '--quiet', '--ff-only', 'upstream', 'main']);
      await writeFile(
        path.join(alice, 'aud/gold.yaml'),
        manifestYaml('gold', { spec: { description: 'Gold, by alice' } }),
      );
      await gitAt(alice, ['commit', '--quiet', '--all', '-m', 'gold described'], '2026-12-01T12:00:00Z');
      const c3 = await gitAt(alice, ['rev-parse', 'HEAD']);

      const applied = await cli('apply', path.join(alice, 'aud'), '--auto-approve');
      expect(applied.code, applied.stdout + applied.stderr).toBe(0);
      expect(applied.stdout).toContain('ok       prod/gold update');
      expect(audienceNames(emulator)).toEqual(['Audience gold']);
      const gold = JSON.parse(await readFile(path.join(tmp, 'state/audiences/prod/gold.json'), 'utf8')) as {
        repository?: string;
        applied?: { revision?: { commit: string } };
      };
      expect(gold.repository).toBe('acme/audiences');
      expect(gold.applied?.revision?.commit).toBe(c3);
      expect((await metaOf(path.join(tmp, 'state')))?.revisions?.['prod']).toEqual({
        commit: c3,
        committedAt: '2026-12-01T12:00:00.000Z',
        repository: 'acme/audiences',
        // The fork's history is the canonical repository's: the same root commit.
        roots: [await gitAt(canon, ['rev-list', '--max-parents=0', 'HEAD'])],
      });
      expect(applied.stderr).toContain(NOTE);

      // The canonical repository (not yet pulled from the fork) sees its own record, no other repository's.
      const canonical = await cli('plan', path.join(canon, 'aud'));
      expect(canonical.stdout).not.toContain('Other repositories');
      expect(canonical.stdout).toContain('prod/gold');
    });
  });
});
