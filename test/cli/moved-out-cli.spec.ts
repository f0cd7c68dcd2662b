import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { appliedRepository, cliBench } from '../helpers/cli-bench.js';
import { manifestYaml } from '../helpers/manifests.js';
import { audienceNames } from '../helpers/work-tree.js';

/**
 * A manifest moved (git mv) out of the directory it was applied from into another directory
 * of the same work tree is not a removed manifest: the plan of the directory it left holds its
 * audience, and the plan of the directory it is in now takes it over (a record-only change).
 * Before, whichever team directory was applied first decided: the one it left deleted the
 * audience, and the one it moved to created it again under a new id (review 31, H-1).
 * Real git, the built CLI, the emulator over HTTP.
 */
const quiet = { ingestion: { onCreate: false } };
const TEAMS = {
  'teams/mkt/a.yaml': manifestYaml('a', quiet),
  'teams/mkt/b.yaml': manifestYaml('b', quiet),
  'teams/web/w.yaml': manifestYaml('w', quiet),
};
const movedOutHeld =
  "  prod/b: its manifest is now ../web/b.yaml, moved out of the directory given, which it was applied from; the audience is left as it is: apply the directory it is in now, which takes it over; to delete the audience, remove that file too, or, if it is not this audience's manifest (another sandbox's copy naming none, an example), give it its metadata.sandbox or take b out of it\n";

describe('a manifest moved to another team directory (git mv teams/mkt/b.yaml teams/web/)', () => {
  it('committed: apply teams/mkt holds prod/b, apply teams/web takes it over; the same audience throughout', async () => {
    await cliBench(async (b) => {
      const { emulator, cli } = b;
      const { repo, git } = await appliedRepository(b, TEAMS, ['teams/mkt', 'teams/web']);
      const idOf = (name: string) =>
        emulator.control
          .listAudiences('DEMO0RG0000000000000000@AdobeOrg', 'prod')
          .find((audience) => audience.audienceName === name)?.audienceId;
      const before = idOf('Audience b');
      expect(before).toMatch(/^[0-9a-f-]{36}$/);
      await git('mv', 'teams/mkt/b.yaml', 'teams/web/b.yaml');
      await git('commit', '--quiet', '-m', 'b moved to teams/web');

      const mkt = await cli('apply', path.join(repo, 'teams/mkt'), '--auto-approve');
      expect(mkt.code, mkt.stdout + mkt.stderr).toBe(0);
      expect(mkt.stdout).not.toContain('- prod/b delete');
      expect(mkt.stdout).toContain(movedOutHeld);
      const web = await cli('apply', path.join(repo, 'teams/web'), '--auto-approve');
      expect(web.code, web.stdout + web.stderr).toBe(0);
      expect(web.stdout).toContain('~ prod/b update: manifest directory changed (record only, no API call)');
      expect(audienceNames(emulator)).toEqual(['Audience a', 'Audience b', 'Audience w']);
      expect(idOf('Audience b')).toBe(before);

      // Taken over: teams/web's now, as w is, and removed from teams/web it is deleted.
      const again = await cli('plan', path.join(repo, 'teams/mkt'));
      expect(again.stdout).toContain(
        '  prod/b: its manifest ../web/b.yaml is outside the directory given, in the one it was applied from;',
      );
      await git('rm', '--quiet', 'teams/web/b.yaml');
      await git('commit', '--quiet', '-m', 'b removed');
      const removed = await cli('apply', path.join(repo, 'teams/web'), '--auto-approve');
      expect(removed.stdout).toContain('- prod/b delete: manifest removed');
      expect(audienceNames(emulator)).toEqual(['Audience a', 'Audience w']);
    });
  });

  it('not committed yet (git mv only): the plan of teams/mkt holds prod/b', async () => {
    await cliBench(async (b) => {
      const { repo, git } = await appliedRepository(b, TEAMS, ['teams/mkt']);
      await git('mv', 'teams/mkt/b.yaml', 'teams/web/b.yaml');
      const plan = await b.cli('plan', path.join(repo, 'teams/mkt'));
      expect(plan.code, plan.stderr).toBe(0);
      expect(plan.stdout).not.toContain('- prod/b delete');
      expect(plan.stdout).toContain(movedOutHeld);
    });
  });

  it('a copy beside it all along (another sandbox, naming none) does not hold the removal of the directory it was applied from', async () => {
    await cliBench(async (b) => {
      const { emulator } = b;
      const { repo, git } = await appliedRepository(
        b,
        { ...TEAMS, 'teams/web/b.yaml': manifestYaml('b', quiet) },
        ['teams/mkt'],
      );
      await git('rm', '--quiet', 'teams/mkt/b.yaml');
      await git('commit', '--quiet', '-m', 'b removed from teams/mkt');
      const applied = await b.cli('apply', path.join(repo, 'teams/mkt'), '--auto-approve');
      expect(applied.stdout).toContain('- prod/b delete: manifest removed');
      expect(audienceNames(emulator)).toEqual(['Audience a']);
    });
  });

  it('outside git (a copy of the directories): removed from the directory given, it is deleted, as before', async () => {
    await cliBench(async (b) => {
      const { emulator, tmp, cli, setUp } = b;
      const { writeFiles } = await import('../helpers/cli.js');
      const { rm } = await import('node:fs/promises');
      const root = path.join(tmp, 'plain');
      await writeFiles(root, TEAMS);
      expect((await setUp('apply', path.join(root, 'teams/mkt'), '--auto-approve')).code).toBe(0);
      await rm(path.join(root, 'teams/mkt/b.yaml'));
      await writeFiles(root, { 'teams/web/b.yaml': manifestYaml('b', quiet) });
      const applied = await cli('apply', path.join(root, 'teams/mkt'), '--auto-approve');
      expect(applied.stdout).toContain('- prod/b delete: manifest removed');
      expect(audienceNames(emulator)).toEqual(['Audience a']);
    });
  });
});
