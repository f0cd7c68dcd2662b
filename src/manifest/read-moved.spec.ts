import { execFile } from 'node:child_process';
import { mkdir, readFile, rm, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { promisify } from 'node:util';
import { describe, expect, it } from 'vitest';
import { GIT_ENV, withTempDir, writeFiles } from '../../test/helpers/cli.js';
import {
  filesAndOthersNaming,
  filesAt,
  filesNaming,
  manifestNamed,
  MANIFEST_NAMES,
  notCheckedOut,
  otherFilesNaming,
  placeRemovals,
} from './read-moved.js';

/** A real git repository in `dir` holding `files`, committed; `git` runs in it, `head` says its HEAD. */
async function repository(dir: string, files: Record<string, string>) {
  const git = async (...args: string[]) =>
    (await promisify(execFile)('git', args, { cwd: dir, env: { ...process.env, ...GIT_ENV } })).stdout;
  await git('init', '--quiet');
  await writeFiles(dir, files);
  await git('add', '--all');
  await git('commit', '--quiet', '-m', 'first');
  const head = async () => (await git('rev-parse', 'HEAD')).trim();
  return { git, head };
}

/**
 * `files` in three places under `tmp`: committed in a repository, untracked in one, and in a
 * directory outside git; their paths, in that order.
 */
async function threeTops(tmp: string, files: Record<string, string>): Promise<[string, string, string]> {
  const tracked = path.join(tmp, 'tracked');
  const untracked = path.join(tmp, 'untracked');
  const outside = path.join(tmp, 'outside');
  await mkdir(tracked);
  await repository(tracked, files);
  await mkdir(untracked);
  await repository(untracked, { 'x.yaml': 'x: 1\n' });
  await writeFiles(untracked, files);
  await writeFiles(outside, files);
  return [tracked, untracked, outside];
}

const gone = 'teams/mkt/a.yaml';

describe('filesNaming: the manifest files that name a key, by one git grep', () => {
  it('finds tracked and untracked *.yaml and *.yml files, not those git ignores nor other files', async () => {
    await withTempDir(async (tmp) => {
      await repository(tmp, {
        '.gitignore': 'ignored/\nforced/\n',
        'a/gold.yaml': 'name: gold\n',
        'a/silver.yaml': 'name: silver\n',
        'notes.txt': 'gold\n',
      });
      // Committed with git add -f in a folder .gitignore names: tracked, so looked in.
      await writeFiles(tmp, { 'forced/gold.yaml': 'name: gold\n' });
      await promisify(execFile)('git', ['add', '-f', 'forced/gold.yaml'], { cwd: tmp });
      await writeFiles(tmp, { 'b/new.yml': 'key: gold\n', 'ignored/gold.yaml': 'name: gold\n' });
      expect(await filesNaming(tmp, new Set(['gold']))).toEqual([
        'a/gold.yaml',
        'b/new.yml',
        'forced/gold.yaml',
      ]);
      expect(await filesNaming(tmp, new Set(['tin']))).toEqual([]);
    });
  });

  it('finds files the default selection leaves out: an extension in another case, a dot folder, a dotfile, a renamed one; tracked, untracked or outside git', async () => {
    await withTempDir(async (tmp) => {
      const files = {
        'a/B.YAML': 'name: gold\n',
        'a/c.Yml': 'name: gold\n',
        'a/.archive/d.yaml': 'name: gold\n',
        'a/.e.yml': 'name: gold\n',
        // Renamed so that the default does not read it (review scope-41, H-2); returned only
        // claiming to be a manifest (see below).
        'a/f.yaml.txt': 'apiVersion: audiencectl/v1\nname: gold\n',
        // Not named like a manifest.
        'a/g.txt': 'name: gold\n',
      };
      for (const top of await threeTops(tmp, files))
        expect(await filesNaming(top, new Set(['gold']))).toEqual([
          'a/.archive/d.yaml',
          'a/.e.yml',
          'a/B.YAML',
          'a/c.Yml',
          'a/f.yaml.txt',
        ]);
    });
  });

  it('finds the files that hold a name piece in any ASCII case (a manifest renamed as it moved), or bytes not UTF-8', async () => {
    await withTempDir(async (tmp) => {
      await repository(tmp, {
        'a/members.yaml': 'spec:\n  name: LOYAL Members\n',
        'a/other.yaml': 'spec:\n  name: Other\n',
      });
      await writeFile(path.join(tmp, 'a/latin1.yaml'), Buffer.from('name: gold # caf\u00e9\n', 'latin1'));
      expect(await filesNaming(tmp, new Set(['tin']), new Set(['loyal']))).toEqual(['a/members.yaml']);
      expect(await filesNaming(tmp, new Set(['gold']))).toEqual(['a/latin1.yaml']);
    });
  });

  it('finds a file whose key is spelled with a YAML escape in a double-quoted scalar, tracked, untracked or outside git', async () => {
    await withTempDir(async (tmp) => {
      // Each names gold once parsed; none holds the text `gold`.
      const escaped = {
        'a/hex.yaml': 'metadata:\n  name: "g\\x6Fld"\n',
        'a/unicode.yaml': 'metadata:\n  name: "\\u0067old"\n',
        'a/split.yaml': 'metadata:\n  name: "go\\\n    ld"\n',
        'a/tin.yaml': 'metadata:\n  name: tin\n',
      };
      await writeFiles(path.join(tmp, 'outside'), escaped);
      expect(await filesNaming(path.join(tmp, 'outside'), new Set(['gold']))).toEqual([
        'a/hex.yaml',
        'a/split.yaml',
        'a/unicode.yaml',
      ]);
      const repo = path.join(tmp, 'repo');
      await mkdir(repo);
      await repository(repo, {
        'a/hex.yaml': escaped['a/hex.yaml'],
        'a/tin.yaml': escaped['a/tin.yaml'],
        // Any backslash makes a file one to parse (here tin's, with a tab escaped): the parse decides.
        'a/tab.yaml': 'metadata:\n  name: tin\n  note: "a\\tb"\n',
      });
      await writeFiles(repo, { 'b/x67.yml': 'metadata:\n  name: "\\x67old"\n' });
      expect(await filesNaming(repo, new Set(['gold']))).toEqual(['a/hex.yaml', 'a/tab.yaml', 'b/x67.yml']);
    });
  });

  it('leaves out the directory it is told to (the one planned), as a whole path segment, tracked, untracked or outside git', async () => {
    await withTempDir(async (tmp) => {
      const files = {
        'm/gold.yaml': 'name: gold\n',
        'm/sub/gold.yml': 'name: gold\n',
        // Of another name, returned only claiming to be a manifest (see below).
        'm/gold.bak': 'apiVersion: audiencectl/v1\nname: gold\n',
        'm2/gold.yaml': 'name: gold\n',
        'm2/gold.bak': 'apiVersion: audiencectl/v1\nname: gold\n',
        'm.yaml': 'name: gold\n',
        'x/m/gold.yaml': 'name: gold\n',
        // A name git would read as a pattern: taken as it is written.
        '[m]/gold.yaml': 'name: gold\n',
      };
      for (const top of await threeTops(tmp, files)) {
        expect(await filesNaming(top, new Set(['gold']), new Set(), 'm')).toEqual([
          '[m]/gold.yaml',
          'm.yaml',
          'm2/gold.yaml',
          'x/m/gold.yaml',
        ]);
        expect(await otherFilesNaming(top, new Set(['gold']), new Set(), 'm')).toEqual(['m2/gold.bak']);
        expect(await filesNaming(top, new Set(['gold']), new Set(), '[m]')).toEqual([
          'm.yaml',
          'm/gold.yaml',
          'm/sub/gold.yml',
          'm2/gold.yaml',
          'x/m/gold.yaml',
        ]);
      }
    });
  });

  it('returns a file the search reads only when it claims to be a manifest (`*.json`, `gold.yaml.txt`, `gold.bak`) only when it holds `audiencectl/`, tracked, untracked or outside git', async () => {
    await withTempDir(async (tmp) => {
      // The search refuses such a file unless its text claims to be an audiencectl manifest
      // (read-left-out.ts readOnlyIfClaimed): a directory store's records (one JSON file an
      // audience, naming its key and its audience's name) were each returned, read and refused,
      // ten thousand of them in the bench for a removal.
      const claim = 'apiVersion: audiencectl/v1\n';
      const record = '{"sandbox": "prod", "key": "gold", "applied": {"spec": {"name": "Gold"}}}\n';
      const files = {
        'state/audiences/prod/gold.json': record,
        'state/state-snapshot.jsonl': record,
        'state/gold.yaml.txt': record,
        'x.yaml.d/gold.json': record,
        '.state/gold.json': record,
        'notes.txt': 'gold\n',
        // Claiming to be one: a manifest moved into the store's folder, renamed (any line may say it).
        'state/moved.json': `{"apiVersion": "audiencectl/v1", "metadata": {"name": "gold"}}\n`,
        'state/moved.yaml.bak': `${claim}metadata:\n  name: gold\n`,
        'old/gold.bak': `metadata:\n  name: gold\n# ${claim}`,
        '.archive/gold.json': `${claim}metadata: {name: gold}\n`,
        // Its slash escaped, as PHP's json_encode writes it: the same manifest once parsed.
        'old/escaped.json': `{"apiVersion": "audiencectl\\/v1", "metadata": {"name": "gold"}}\n`,
        // Its non-ASCII name escaped, as Python's json.dumps writes it (高額): found by its backslash.
        'old/ascii.json': `{"apiVersion": "audiencectl/v1", "spec": {"name": "\\u9ad8\\u984d"}}\n`,
        // Named as a manifest (one the default reads, or leaves out for its case, a dot or a blank
        // after it): returned as before, claim or none.
        'state/audiences/prod/gold.yaml': record,
        '.state/gold.yaml': record,
        'state/GOLD.YML': record,
        'a/b.yaml ': record,
      };
      for (const top of await threeTops(tmp, files)) {
        expect(await filesNaming(top, new Set(['gold']))).toEqual([
          '.archive/gold.json',
          '.state/gold.yaml',
          // Any backslash may spell the key (a YAML or JSON escape): the parse decides.
          'old/ascii.json',
          'old/escaped.json',
          'state/GOLD.YML',
          'state/audiences/prod/gold.yaml',
          'state/moved.json',
          'state/moved.yaml.bak',
        ]);
        expect(await otherFilesNaming(top, new Set(['gold']))).toEqual(['a/b.yaml ', 'old/gold.bak']);
        // By the name's piece alone (a manifest renamed as it moved), the same.
        const byName = await filesNaming(top, new Set(['tin']), new Set(['gold']));
        expect(byName).toContain('state/moved.json');
        expect(byName).not.toContain('state/audiences/prod/gold.json');
        expect(await filesNaming(top, new Set(['tin']), new Set(['高額']))).toContain('old/ascii.json');
      }
    });
  });

  it('asks git four greps in a work tree, two outside one; the greps for a key only of files it may take: a store record is read by git for the claim alone', async () => {
    await withTempDir(async (tmp) => {
      const claim = 'apiVersion: audiencectl/v1\n';
      const record = '{"sandbox": "prod", "key": "gold", "applied": {"spec": {"name": "Gold"}}}\n';
      const files = {
        'state/audiences/prod/gold.json': record,
        'state/audiences/prod/tin.json': record.replaceAll('gold', 'tin'),
        'state/moved.json': `{"apiVersion": "audiencectl/v1", "metadata": {"name": "gold"}}\n`,
        'old/gold.bak': `${claim}metadata:\n  name: gold\n`,
        'a/gold.yaml': 'name: gold\n',
      };
      for (const top of await threeTops(tmp, files)) {
        // What git was asked, as git tells it (trace2's event stream: each command's argv).
        const trace = path.join(tmp, `trace-${path.basename(top)}.json`);
        process.env.GIT_TRACE2_EVENT = trace;
        let found;
        try {
          found = await filesAndOthersNaming(top, new Set(['gold']), new Set(['Gold']));
        } finally {
          delete process.env.GIT_TRACE2_EVENT;
        }
        expect(found).toEqual({
          manifests: ['a/gold.yaml', 'state/moved.json'],
          others: ['old/gold.bak'],
          unread: [],
        });
        const greps = (await readFile(trace, 'utf8'))
          .split('\n')
          .filter((line) => line !== '')
          .map((line) => JSON.parse(line) as { event: string; argv?: string[] })
          .flatMap((event) => (event.event === 'start' && event.argv?.[1] === 'grep' ? [event.argv] : []));
        expect(greps.length).toBe(path.basename(top) === 'outside' ? 2 : 4);
        if (path.basename(top) === 'outside') continue;
        // The files each grep for a key may read, as git lists its pathspecs: never a record.
        for (const argv of greps.filter((args) => args.includes('-f'))) {
          const pathspecs = argv.slice(argv.indexOf('--') + 1);
          const listed = await promisify(execFile)(
            'git',
            ['ls-files', '-c', '-o', '-z', '--', ...pathspecs],
            {
              cwd: top,
            },
          );
          const asked = listed.stdout.split('\0').filter((file) => file !== '');
          expect(asked).toContain('state/moved.json');
          expect(asked).toContain('a/gold.yaml');
          expect(asked).not.toContain('state/audiences/prod/gold.json');
          expect(asked).not.toContain('state/audiences/prod/tin.json');
        }
      }
    });
  });

  it('tells the files MANIFEST_NAMES matches as git does (filesNaming) from the others (otherFilesNaming)', async () => {
    await withTempDir(async (tmp) => {
      const names = [
        'a.yaml',
        'b/c.YAML',
        'b/c.yml~',
        'b/c.Yaml.bak',
        'b/c.json',
        'b/c.JSON',
        'b/.yaml',
        'b/x.yml.',
        'a.yaml.d/x',
        '*.json/x.txt',
        '*.YML~/x.txt',
        'b/c.txt',
        'b/x.json.bak',
        'b/x.yamlx',
        'x.yaml~/y',
        'b/yaml',
        'b/c.json ',
      ];
      await repository(tmp, Object.fromEntries(names.map((name) => [name, 'x\n'])));
      const { stdout } = await promisify(execFile)('git', ['ls-files', '-z', '--', ...MANIFEST_NAMES], {
        cwd: tmp,
      });
      const matched = new Set(stdout.split('\0').filter((file) => file !== ''));
      for (const name of names) expect([name, manifestNamed(name)]).toEqual([name, matched.has(name)]);
    });
  });

  it('gives a name git gave in bytes that are not UTF-8 apart (unread, by its bytes), not as a name no file has, tracked, untracked or outside git; one that claims too', async () => {
    await withTempDir(async (tmp) => {
      const claim = 'apiVersion: audiencectl/v1\nmetadata:\n  name: gold\n';
      const named = (top: string, dir: string, stem: string, tail: string) =>
        Buffer.concat([Buffer.from(`${top}/${dir}/${stem}`), Buffer.from([0xff]), Buffer.from(tail)]);
      for (const top of await threeTops(tmp, { 'a/gold.yaml': 'name: gold\n', 'other/.keep': '' })) {
        await writeFile(named(top, 'other', 'g', 'old.yaml'), claim);
        await writeFile(named(top, 'other', 'g', 'old.bak'), claim);
        // Of a name read only when it claims, and claiming not: not the search's.
        await writeFile(named(top, 'other', 'n', 'otes.bak'), 'gold\n');
        const found = await filesAndOthersNaming(top, new Set(['gold']));
        expect(found?.manifests).toEqual(['a/gold.yaml']);
        expect(found?.others).toEqual([]);
        expect(
          found?.unread.map((u) => (u.by === 'name' ? [u.file, [...u.raw]] : [u.file, u.detail])).sort(),
        ).toEqual([
          ['other/g\uFFFDold.bak', [...Buffer.from('other/g'), 0xff, ...Buffer.from('old.bak')]],
          ['other/g\uFFFDold.yaml', [...Buffer.from('other/g'), 0xff, ...Buffer.from('old.yaml')]],
        ]);
      }
    });
  });

  it('looks in a directory that is no git repository too (the controller checkout)', async () => {
    await withTempDir(async (tmp) => {
      await writeFiles(tmp, { 'm/gold.yaml': 'name: gold\n', 'm/tin.yaml': 'name: tin\n' });
      expect(await filesNaming(tmp, new Set(['gold']))).toEqual(['m/gold.yaml']);
    });
  });

  it('looks inside the git repositories in the work tree, by their paths from its top; one git cannot search is unread, by its folder', async () => {
    await withTempDir(async (tmp) => {
      await repository(tmp, { 'a/keep.yaml': 'name: keep\n' });
      // Untracked in one (no commit), committed in one inside that, and a name not UTF-8.
      await mkdir(path.join(tmp, 'other'));
      await promisify(execFile)('git', ['init', '--quiet'], { cwd: path.join(tmp, 'other') });
      await writeFiles(path.join(tmp, 'other'), { 'gold.yaml': 'name: gold\n' });
      await mkdir(path.join(tmp, 'other/deep'));
      await repository(path.join(tmp, 'other/deep'), {
        'old/gold.bak': 'apiVersion: audiencectl/v1\nname: gold\n',
      });
      const raw = Buffer.concat([Buffer.from('g'), Buffer.from([0xff]), Buffer.from('old.yaml')]);
      await writeFile(Buffer.concat([Buffer.from(`${tmp}/other/deep/`), raw]), 'name: gold\n');
      expect(await filesAndOthersNaming(tmp, new Set(['gold']))).toEqual({
        manifests: ['other/gold.yaml'],
        others: ['other/deep/old/gold.bak'],
        unread: [
          {
            by: 'name',
            file: 'other/deep/g\uFFFDold.yaml',
            raw: Buffer.concat([Buffer.from('other/deep/'), raw]),
          },
        ],
      });
      // The folder the caller reads itself, left out, is not looked into.
      expect(await filesAndOthersNaming(tmp, new Set(['gold']), new Set(), 'other')).toEqual({
        manifests: [],
        others: [],
        unread: [],
      });
      await writeFile(path.join(tmp, 'other/.git/index'), 'not an index');
      const broken = await filesAndOthersNaming(tmp, new Set(['gold']));
      expect(broken?.manifests).toEqual([]);
      expect(broken?.unread).toEqual([
        {
          by: 'grep',
          file: 'other',
          detail:
            "could not search 'other', a git repository inside the work tree: fatal: .git/index: index file smaller than expected",
        },
      ]);
    });
  });
});

describe('placeRemovals: whether this work tree removed a file since the commit it was applied from', () => {
  it('a removal committed after that commit, by a commit or a merge, or not committed yet, is one; compared at that commit', async () => {
    await withTempDir(async (tmp) => {
      const { git, head } = await repository(tmp, {
        [gone]: 'a\n',
        'teams/mkt/b.yaml': 'b\n',
        'teams/mkt/c.yaml': 'c\n',
      });
      const applied = await head();
      await git('rm', '--quiet', gone);
      await git('commit', '--quiet', '-m', 'a removed');
      const aRemoved = await head();
      // b removed in a merge commit: both parents hold it, so only the merge's own diff shows it.
      await git('checkout', '--quiet', '-b', 'side');
      await writeFiles(tmp, { 'side.txt': 'side\n' });
      await git('add', 'side.txt');
      await git('commit', '--quiet', '-m', 'side');
      await git('checkout', '--quiet', '-');
      await git('merge', '--quiet', '--no-ff', '--no-commit', 'side');
      await git('rm', '--quiet', 'teams/mkt/b.yaml');
      await git('commit', '--quiet', '-m', 'merge, b removed');
      const merge = await head();
      await rm(path.join(tmp, 'teams/mkt/c.yaml'));
      const files = [gone, 'teams/mkt/b.yaml', 'teams/mkt/c.yaml'];
      expect(
        await placeRemovals(
          tmp,
          files.map((file) => ({ file, commit: applied })),
        ),
      ).toEqual([
        { removed: true, compareAt: applied, by: aRemoved },
        { removed: true, compareAt: applied, by: merge },
        // Not committed yet: no commit removed it.
        { removed: true, compareAt: applied, by: undefined },
      ]);
    });
  });

  it('a removal before the commit it was applied from is none (a branch cut before a revert)', async () => {
    await withTempDir(async (tmp) => {
      const { git, head } = await repository(tmp, { [gone]: 'a\n' });
      await git('rm', '--quiet', gone);
      await git('commit', '--quiet', '-m', 'a removed');
      await git('revert', '--no-edit', 'HEAD');
      const applied = await head();
      await git('checkout', '--quiet', 'HEAD~1');
      const aRemoved = await head();
      // HEAD does not contain the commit applied from: the whole history says the file was removed,
      // and the older-checkout check refuses applying that removal (plan/older-checkout.ts).
      const [placed] = await placeRemovals(tmp, [{ file: gone, commit: applied }]);
      expect(placed).toEqual({ removed: true, compareAt: applied, by: aRemoved });
    });
  });

  it('a commit this clone lacks, or a file never committed, places nothing; a record without a commit is looked for in the whole history', async () => {
    await withTempDir(async (tmp) => {
      const { git, head } = await repository(tmp, { [gone]: 'a\n', 'other.yaml': 'o\n' });
      const first = await head();
      await git('rm', '--quiet', gone);
      await git('commit', '--quiet', '-m', 'a removed');
      const removedBy = await head();
      const another = 'f'.repeat(40);
      expect(
        await placeRemovals(tmp, [
          { file: gone, commit: another },
          { file: 'teams/mkt/never.yaml', commit: first },
          { file: gone, commit: undefined },
        ]),
      ).toEqual([
        { removed: false, why: 'not-removed' },
        { removed: false, why: 'not-removed' },
        { removed: true, compareAt: `${removedBy}^`, by: removedBy },
      ]);
    });
  });

  it('without .git there is no history; in a repository without a commit git cannot be asked', async () => {
    await withTempDir(async (tmp) => {
      expect(await placeRemovals(tmp, [{ file: gone, commit: undefined }])).toEqual([
        { removed: false, why: 'no-history' },
      ]);
      await promisify(execFile)('git', ['init', '--quiet'], { cwd: tmp });
      expect(await placeRemovals(tmp, [{ file: gone, commit: undefined }])).toEqual([
        { removed: false, why: 'git-failed', detail: 'the repository has no commit' },
      ]);
    });
  });
});

describe('filesAt and notCheckedOut', () => {
  it('reads files at a commit (none where the commit has none), and tells files a sparse checkout leaves out', async () => {
    await withTempDir(async (tmp) => {
      const { git, head } = await repository(tmp, { [gone]: 'name: a\n', 'teams/web/w.yaml': 'name: w\n' });
      const first = await head();
      await writeFiles(tmp, { 'teams/web/w.yaml': 'name: w2\n' });
      await git('commit', '--quiet', '-am', 'w changed');
      const texts = await filesAt(tmp, [
        [first, 'teams/web/w.yaml'],
        ['HEAD', 'teams/web/w.yaml'],
        [first, 'teams/web/none.yaml'],
        [first, 'teams/web'],
      ]);
      expect(texts.map((b) => b?.toString())).toEqual(['name: w\n', 'name: w2\n', undefined, undefined]);
      await git('sparse-checkout', 'set', 'teams/web');
      expect(await notCheckedOut(tmp, [gone, 'teams/web/w.yaml'])).toEqual(new Set([gone]));
    });
  });
});

describe('thousands of long paths', () => {
  it('are asked of git a few at a time: over the system limit at once, git could not be run (E2BIG)', async () => {
    await withTempDir(async (tmp) => {
      await repository(tmp, { 'other.yaml': 'o\n' });
      // 12,000 paths of 250 characters: 3 MB of arguments at once.
      const paths = Array.from({ length: 12_000 }, (_, i) => `teams/${'m'.repeat(240)}/${i}.yaml`);
      expect(await notCheckedOut(tmp, paths)).toEqual(new Set());
      const placed = await placeRemovals(
        tmp,
        paths.map((file) => ({ file, commit: undefined })),
      );
      expect(new Set(placed.map((p) => JSON.stringify(p)))).toEqual(
        new Set([JSON.stringify({ removed: false, why: 'not-removed' })]),
      );
    });
  });
});
