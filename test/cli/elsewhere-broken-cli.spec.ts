import { writeFile } from 'node:fs/promises';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { writeFiles } from '../helpers/cli.js';
import { appliedRepository, cliBench, type CliBench } from '../helpers/cli-bench.js';
import { manifestYaml } from '../helpers/manifests.js';
import { audienceNames } from '../helpers/work-tree.js';

/**
 * A file the plan does not read whose text holds a removed record's key, and that fails to
 * parse (a YAML syntax error) or cannot be read as text (over --max-file-bytes, not UTF-8),
 * may still name the record: its removal is held, wherever the plan looks beyond the directory
 * given (above it, beside it, out of --include), until the file is fixed (README, "Only a
 * removed manifest deletes"). Before, each was taken as removed and the audience deleted.
 * Real git, the built CLI, the emulator over HTTP (review 30, H-5). The plans and applies each case
 * is about spawn the built CLI; the story's premises (the plan of the directory that holds the file,
 * which reads it and so never deleted) run the CLI's entry in this process (setUp), asserted alike.
 */
/** ttlInDays: [ : a flow sequence never closed, a YAML syntax error past metadata.name. */
const broken = (yaml: string) => yaml.replace('ttlInDays: 30', 'ttlInDays: [');

const SYNTAX = 'line 22: Flow sequence in block collection must be sufficiently indented and end with a ]';
const brokenHeld = (key: string, file: string) =>
  `  prod/${key}: ${file} may name it but has errors (${SYNTAX}); the audience is left as it is: fix the file (validate its directory to see them), or, if it is not this audience's manifest, take ${key} out of it\n`;
const unreadableHeld = (file: string, detail: string) =>
  `  prod/gold: ${file} may name it but cannot be read (${detail}); the audience is left as it is: make it UTF-8 text within --max-file-bytes (or give a larger one), or, if it is not this audience's manifest, take gold out of it\n`;

/** teams/mkt (gold) and teams/web (news), each applied from its own directory. */
const twoTeams = (b: CliBench) =>
  appliedRepository(
    b,
    { 'teams/mkt/gold.yaml': manifestYaml('gold'), 'teams/web/news.yaml': manifestYaml('news') },
    ['teams/mkt', 'teams/web'],
  );

describe('a manifest the plan does not read, with a YAML syntax error', () => {
  it('above the directory given (apply m/x, records applied from m): prod/gold is held; fixed and removed, deleted', async () => {
    await cliBench(async (b) => {
      const { emulator, cli, setUp } = b;
      const { repo, git } = await appliedRepository(
        b,
        {
          'm/gold.yaml': manifestYaml('gold'),
          'm/x/silver.yaml': manifestYaml('silver'),
        },
        ['m'],
      );
      await writeFiles(repo, { 'm/gold.yaml': broken(manifestYaml('gold')) });
      await git('commit', '--quiet', '-am', 'gold.yaml: a typo');

      const whole = await setUp('plan', path.join(repo, 'm'));
      expect(whole.stdout).not.toContain('- prod/gold delete');
      const sub = await cli('plan', path.join(repo, 'm', 'x'));
      expect(sub.stdout).not.toContain('- prod/gold delete');
      expect(sub.stdout).toContain(brokenHeld('gold', '../gold.yaml'));
      const applied = await cli('apply', path.join(repo, 'm', 'x'), '--auto-approve');
      expect(applied.code, applied.stdout + applied.stderr).toBe(0);
      expect(audienceNames(emulator)).toEqual(['Audience gold', 'Audience silver']);

      // The file removed: nothing names gold any more, and the whole directory deletes it.
      await git('rm', '--quiet', 'm/gold.yaml');
      await git('commit', '--quiet', '-m', 'gold removed');
      const removed = await cli('apply', path.join(repo, 'm'), '--auto-approve');
      expect(removed.code, removed.stdout + removed.stderr).toBe(0);
      expect(audienceNames(emulator)).toEqual(['Audience silver']);
    });
  });

  it("in another team's directory (apply teams/web, gold applied from teams/mkt): prod/gold is held", async () => {
    await cliBench(async (b) => {
      const { emulator, cli, setUp } = b;
      const { repo, git } = await twoTeams(b);
      await writeFiles(repo, { 'teams/mkt/gold.yaml': broken(manifestYaml('gold')) });
      await git('commit', '--quiet', '-am', 'teams/mkt/gold.yaml: a typo');

      const own = await setUp('plan', path.join(repo, 'teams/mkt'));
      expect(own.stdout).not.toContain('- prod/gold delete');
      const web = await cli('plan', path.join(repo, 'teams/web'));
      expect(web.stdout).not.toContain('- prod/gold delete');
      expect(web.stdout).toContain(brokenHeld('gold', '../mkt/gold.yaml'));
      const applied = await cli('apply', path.join(repo, 'teams/web'), '--auto-approve');
      expect(applied.code, applied.stdout + applied.stderr).toBe(0);
      expect(audienceNames(emulator)).toEqual(['Audience gold', 'Audience news']);
    });
  });

  it("in another team's directory, over --max-file-bytes or not UTF-8: prod/gold is held", async () => {
    await cliBench(async (b) => {
      const { emulator, cli, setUp } = b;
      const { repo, git } = await twoTeams(b);
      // A long comment pushes the file over the 1 MiB default limit; then a stray byte.
      const long = `${manifestYaml('gold')}# ${'x'.repeat(1_100_000)}\n`;
      await writeFiles(repo, { 'teams/mkt/gold.yaml': long });
      await git('commit', '--quiet', '-am', 'teams/mkt/gold.yaml: a long comment');
      const own = await setUp('plan', path.join(repo, 'teams/mkt'));
      expect(own.stdout).not.toContain('- prod/gold delete');
      const large = await cli('plan', path.join(repo, 'teams/web'));
      expect(large.stdout).not.toContain('- prod/gold delete');
      expect(large.stdout).toContain(
        unreadableHeld('../mkt/gold.yaml', 'file is 1100442 bytes, over the 1048576-byte limit'),
      );

      // The same manifest with a Latin-1 comment (an editor's encoding): not UTF-8.
      await writeFile(
        path.join(repo, 'teams/mkt/gold.yaml'),
        Buffer.from(`${manifestYaml('gold')}# caf\u00e9\n`, 'latin1'),
      );
      await git('commit', '--quiet', '-am', 'teams/mkt/gold.yaml: Latin-1');
      const notUtf8 = await cli('plan', path.join(repo, 'teams/web'));
      expect(notUtf8.stdout).not.toContain('- prod/gold delete');
      expect(notUtf8.stdout).toContain(
        unreadableHeld('../mkt/gold.yaml', 'invalid UTF-8 at byte 444; manifests must be UTF-8 text'),
      );
      const applied = await cli('apply', path.join(repo, 'teams/web'), '--auto-approve');
      expect(applied.code, applied.stdout + applied.stderr).toBe(0);
      expect(audienceNames(emulator)).toEqual(['Audience gold', 'Audience news']);
    });
  });

  it("moved out of --include 'x/**' (git mv x/silver.yaml y/): prod/silver is held", async () => {
    await cliBench(async (b) => {
      const { emulator, cli, setUp } = b;
      const { repo, git } = await appliedRepository(
        b,
        {
          'm/x/gold.yaml': manifestYaml('gold'),
          'm/x/silver.yaml': manifestYaml('silver'),
        },
        ['m'],
      );
      await git('mv', 'm/x', 'm/y');
      await writeFiles(repo, {
        'm/x/gold.yaml': manifestYaml('gold'),
        'm/y/silver.yaml': broken(manifestYaml('silver')),
      });
      await git('add', '--all');
      await git('commit', '--quiet', '-m', 'silver moved to y/, with a typo');

      const whole = await setUp('plan', path.join(repo, 'm'));
      expect(whole.stdout).not.toContain('- prod/silver delete');
      const filtered = await cli('plan', path.join(repo, 'm'), '--include', 'x/**');
      expect(filtered.stdout).not.toContain('- prod/silver delete');
      expect(filtered.stdout).toContain(brokenHeld('silver', 'y/silver.yaml'));
      const applied = await cli('apply', path.join(repo, 'm'), '--include', 'x/**', '--auto-approve');
      expect(applied.code, applied.stdout + applied.stderr).toBe(0);
      expect(audienceNames(emulator)).toEqual(['Audience gold', 'Audience silver']);
    });
  });

  it('a broken file whose text does not hold the key (only a longer word, gold-2) holds nothing', async () => {
    await cliBench(async (b) => {
      const { emulator, cli } = b;
      const { repo, git } = await twoTeams(b);
      await git('rm', '--quiet', 'teams/mkt/gold.yaml');
      await writeFiles(repo, {
        'teams/mkt/other.yaml': broken(manifestYaml('gold-2', { spec: { name: 'Another' } })),
      });
      await git('add', '--all');
      await git('commit', '--quiet', '-m', 'gold removed; a broken gold-2');
      const applied = await cli('apply', path.join(repo, 'teams/web'), '--auto-approve');
      expect(applied.stdout).toContain('- prod/gold delete');
      expect(applied.code, applied.stdout + applied.stderr).toBe(0);
      expect(audienceNames(emulator)).toEqual(['Audience news']);
    });
  });
});

describe("the record's own file in the directory it was applied from, holding no manifest", () => {
  const emptiedHeld = (holds: string) =>
    `  prod/gold: its manifest ../mkt/gold.yaml, in the directory it was applied from, ${holds}; the audience is left as it is: delete the file to delete the audience\n`;

  it.each([
    ['emptied (0 bytes)', '', 'holds no manifest (it is empty, or only comments)'],
    [
      'a Git LFS pointer',
      'version https://git-lfs.github.com/spec/v1\noid sha256:4d7a214614ab2935c943f9e0ff69d22eadbb8f32b1258daaa5e2ca24d17e2393\nsize 12345\n',
      'is no longer read as an audiencectl manifest (validate ../mkt to see why)',
    ],
  ])(
    "%s: another team's plan holds prod/gold, as teams/mkt's own plan does; the file deleted, it is deleted",
    async (_what, text, holds) => {
      await cliBench(async (b) => {
        const { emulator, cli, setUp } = b;
        const { repo, git } = await twoTeams(b);
        await writeFile(path.join(repo, 'teams/mkt/gold.yaml'), text);
        await git('commit', '--quiet', '-am', 'teams/mkt/gold.yaml holds no manifest');
        const own = await setUp('plan', path.join(repo, 'teams/mkt'));
        expect(own.stdout).not.toContain('- prod/gold delete');
        const web = await cli('plan', path.join(repo, 'teams/web'));
        expect(web.stdout).not.toContain('- prod/gold delete');
        expect(web.stdout).toContain(emptiedHeld(holds));
        expect((await cli('apply', path.join(repo, 'teams/web'), '--auto-approve')).code).toBe(0);
        expect(audienceNames(emulator)).toEqual(['Audience gold', 'Audience news']);

        await git('rm', '--quiet', 'teams/mkt/gold.yaml');
        await git('commit', '--quiet', '-m', 'teams/mkt/gold.yaml removed');
        expect((await cli('apply', path.join(repo, 'teams/web'), '--auto-approve')).code).toBe(0);
        expect(audienceNames(emulator)).toEqual(['Audience news']);
      });
    },
  );
});
