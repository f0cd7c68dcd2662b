import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { writeFiles } from '../helpers/cli.js';
import { appliedRepository, cliBench, type CliBench } from '../helpers/cli-bench.js';
import { manifestYaml } from '../helpers/manifests.js';
import { audienceNames, gitRepository } from '../helpers/work-tree.js';

/**
 * A manifest moved out of what a plan reads and renamed on the way (metadata.name changed,
 * spec.name kept: the same audience, which a plan that reads it blocks as a rename move) holds
 * the removal of its record wherever the plan looks beyond the directory given: out of
 * --include, above a subdirectory, moved with `git mv` out of another team's directory
 * (README, "Only a removed manifest deletes"). Before, each of these plans deleted the
 * audience. Real git, the built CLI, the emulator over HTTP (review 30, H-3). The plans and applies
 * each case is about spawn the built CLI; the story's premises (the plan that reads the moved file
 * and blocks the move) run the CLI's entry in this process (setUp), asserted alike.
 */
const renamedHeld = (file: string) =>
  `  prod/silver: its manifest is now ${file} under another metadata.name ("silver-members", its spec.name this audience's), outside what this plan reads; the audience is left as it is: to keep it, set metadata.name back to silver; a plan of the directory that holds the file shows the rename as a blocked move\n`;

describe('a manifest moved out of what the plan reads and renamed (spec.name kept)', () => {
  /** x/gold.yaml and x/silver.yaml applied from m; then silver moves to y/ under a new metadata.name. */
  async function movedAndRenamed({ emulator, tmp, setUp }: CliBench) {
    const { repo, git } = await gitRepository(tmp, {
      'm/x/gold.yaml': manifestYaml('gold'),
      'm/x/silver.yaml': manifestYaml('silver'),
    });
    const first = await setUp('apply', path.join(repo, 'm'), '--auto-approve');
    expect(first.code, first.stdout + first.stderr).toBe(0);
    expect(audienceNames(emulator)).toEqual(['Audience gold', 'Audience silver']);
    await git('rm', '--quiet', 'm/x/silver.yaml');
    await writeFiles(repo, {
      'm/y/silver.yaml': manifestYaml('silver-members', { spec: { name: 'Audience silver' } }),
    });
    await git('add', '--all');
    await git('commit', '--quiet', '-m', 'silver moved to y/ as silver-members');
    // The whole directory blocks it as a move (the same audience, by spec.name, under a new key).
    const whole = await setUp('plan', path.join(repo, 'm'));
    expect(whole.stdout).toContain('! prod/silver move');
    expect(whole.stdout).not.toContain('- prod/silver delete');
    return repo;
  }

  it("--include 'x/**' holds prod/silver, which the unfiltered plan blocks as a move", async () => {
    await cliBench(async (b) => {
      const repo = await movedAndRenamed(b);
      const filtered = await b.cli('plan', path.join(repo, 'm'), '--include', 'x/**');
      expect(filtered.stdout).not.toContain('- prod/silver delete');
      expect(filtered.stdout).toContain(renamedHeld('y/silver.yaml'));
      const applied = await b.cli('apply', path.join(repo, 'm'), '--include', 'x/**', '--auto-approve');
      expect(applied.code, applied.stdout + applied.stderr).toBe(0);
      expect(audienceNames(b.emulator)).toEqual(['Audience gold', 'Audience silver']);
    });
  });

  it('the subdirectory m/x holds prod/silver, whose manifest is above it under a new name', async () => {
    await cliBench(async (b) => {
      const repo = await movedAndRenamed(b);
      const sub = await b.cli('plan', path.join(repo, 'm', 'x'));
      expect(sub.stdout).not.toContain('- prod/silver delete');
      expect(sub.stdout).toContain(renamedHeld('../y/silver.yaml'));
      const applied = await b.cli('apply', path.join(repo, 'm', 'x'), '--auto-approve');
      expect(applied.code, applied.stdout + applied.stderr).toBe(0);
      expect(audienceNames(b.emulator)).toEqual(['Audience gold', 'Audience silver']);
    });
  });

  it('a name that differs in case only is the same audience (as the service compares names)', async () => {
    await cliBench(async (b) => {
      const { repo, git } = await appliedRepository(
        b,
        { 'm/x/gold.yaml': manifestYaml('gold'), 'm/x/silver.yaml': manifestYaml('silver') },
        ['m'],
      );
      await git('rm', '--quiet', 'm/x/silver.yaml');
      await writeFiles(repo, {
        'm/y/silver.yaml': manifestYaml('silver-members', { spec: { name: 'AUDIENCE SILVER' } }),
      });
      await git('add', '--all');
      await git('commit', '--quiet', '-m', 'silver moved to y/ as silver-members');
      const filtered = await b.cli('plan', path.join(repo, 'm'), '--include', 'x/**');
      expect(filtered.stdout).not.toContain('- prod/silver delete');
      expect(filtered.stdout).toContain(renamedHeld('y/silver.yaml'));
    });
  });

  it('another spec.name under the new metadata.name is another audience: the removal stands', async () => {
    await cliBench(async (b) => {
      const { repo, git } = await appliedRepository(
        b,
        { 'm/x/gold.yaml': manifestYaml('gold'), 'm/x/silver.yaml': manifestYaml('silver') },
        ['m'],
      );
      await git('rm', '--quiet', 'm/x/silver.yaml');
      await writeFiles(repo, { 'm/y/platinum.yaml': manifestYaml('platinum') });
      await git('add', '--all');
      await git('commit', '--quiet', '-m', 'silver removed, platinum added');
      const filtered = await b.cli('plan', path.join(repo, 'm'), '--include', 'x/**');
      expect(filtered.stdout).toContain('- prod/silver delete');
    });
  });
});

describe('a directory moved with git mv, one manifest renamed on the way (spec.name kept)', () => {
  it("another team's directory (teams/web) holds prod/silver, which teams/marketing blocks as a move", async () => {
    await cliBench(async (b) => {
      const { emulator, cli, setUp } = b;
      const { repo, git } = await appliedRepository(
        b,
        {
          'teams/mkt/gold.yaml': manifestYaml('gold'),
          'teams/mkt/silver.yaml': manifestYaml('silver'),
          'teams/web/news.yaml': manifestYaml('news'),
        },
        ['teams/mkt', 'teams/web'],
      );
      await git('mv', 'teams/mkt', 'teams/marketing');
      await writeFiles(repo, {
        'teams/marketing/silver.yaml': manifestYaml('silver-members', { spec: { name: 'Audience silver' } }),
      });
      await git('commit', '--quiet', '-am', 'teams/mkt is teams/marketing; silver is silver-members');

      const marketing = await setUp('plan', path.join(repo, 'teams/marketing'));
      expect(marketing.stdout).toContain('! prod/silver move');
      const web = await cli('plan', path.join(repo, 'teams/web'));
      expect(web.stdout).toContain('prod/gold: its manifest is now ../marketing/gold.yaml');
      expect(web.stdout).not.toContain('- prod/silver delete');
      expect(web.stdout).toContain(renamedHeld('../marketing/silver.yaml'));
      const applied = await cli('apply', path.join(repo, 'teams/web'), '--auto-approve');
      expect(applied.code, applied.stdout + applied.stderr).toBe(0);
      expect(audienceNames(emulator)).toEqual(['Audience gold', 'Audience news', 'Audience silver']);
    });
  });
});
