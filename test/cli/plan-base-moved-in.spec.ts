import path from 'node:path';
import { writeFile } from 'node:fs/promises';
import { describe, expect, it } from 'vitest';
import { appliedRepository, cliBench } from '../helpers/cli-bench.js';
import { runCli } from '../helpers/cli.js';
import { emulatorEnv } from '../helpers/apply-env.js';
import { manifestYaml } from '../helpers/manifests.js';
import { audienceNames, basePlanSteps } from '../helpers/work-tree.js';

/**
 * Review 36b, M-1. Two team directories share one store, each planned by its own use of the
 * Action (`directory: teams/mkt`, `directory: teams/web`). A pull request moves b.yaml from
 * teams/mkt to teams/web (git mv). The comment of teams/web shows "+ create" and a first
 * run; the apply of teams/web after the merge takes the existing audience over with a
 * record-only update (no call, no run). The reviewer approved a create and an ingestion run
 * that never happen (or rejects a pull request for a duplicate that is not one).
 */
const TEAMS = {
  'teams/mkt/a.yaml': manifestYaml('a'),
  'teams/mkt/b.yaml': manifestYaml('b'),
  'teams/web/w.yaml': manifestYaml('w'),
};

describe('the pull-request plan of the directory a manifest moves into', () => {
  it('does not plan a create and a first run that the apply after the merge does not make', async () => {
    await cliBench(async (b) => {
      const { repo, git } = await appliedRepository(b, TEAMS, ['teams/mkt', 'teams/web']);
      await git('checkout', '--quiet', '-b', 'pr');
      await git('mv', 'teams/mkt/b.yaml', 'teams/web/b.yaml');
      // A manifest new in this change, beside it: a create and its first run, as before.
      await writeFile(path.join(repo, 'teams/web/n.yaml'), manifestYaml('n'));
      await git('add', '--all');
      await git('commit', '--quiet', '-m', 'b moved to teams/web');

      // What the Action runs for `directory: teams/web` (no state, no credentials).
      const steps = await basePlanSteps(path.join(repo, 'teams/web'));
      // What the apply does, shown: a record-only take-over of b; n created.
      expect(steps).toEqual([
        'update prod/b:update: manifest directory changed (record only, no API call)',
        'create prod/n:create: new manifest',
        'run prod/n:run: first run after creation (ingestion.onCreate)',
      ]);

      // The apply of the merged commit (the same directory, the real state and service).
      await git('checkout', '--quiet', 'main');
      await git('merge', '--quiet', '--ff-only', 'pr');
      const applied = await runCli(
        ['apply', path.join(repo, 'teams/web'), '--auto-approve', '--state', path.join(b.tmp, 'state')],
        { cwd: b.tmp, env: emulatorEnv(b.emulator) },
      );
      expect(applied.code, applied.stdout + applied.stderr).toBe(0);
      expect(applied.stdout).toContain(
        '~ prod/b update: manifest directory changed (record only, no API call)',
      );
      expect(audienceNames(b.emulator)).toEqual(['Audience a', 'Audience b', 'Audience n', 'Audience w']);

      // The comment showed the reviewer a create and a run of prod/b, which the apply never made.
      expect(steps.filter((s) => /^(create|run) prod\/b:/.test(s))).toEqual([]);
    });
  });
});
