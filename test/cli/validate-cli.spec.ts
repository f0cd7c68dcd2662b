import { describe, expect, it } from 'vitest';
import { execFileSync } from 'node:child_process';
import path from 'node:path';
import { runCli, withTempDir, writeFiles } from '../helpers/cli.js';
import { runCliInProcess } from '../helpers/cli-in-process.js';
import { manifestYaml } from '../helpers/manifests.js';

const NO_TRACE = /\n\s+at |undefined/;

describe('audiencectl validate in a real repository and a pre-commit hook', () => {
  it('takes files and directories, skips what is not ours, and prints text, json or github', async () => {
    await withTempDir(async (dir) => {
      await writeFiles(dir, {
        'audiences/gold.yaml': manifestYaml('gold'),
        'audiences/bad.yaml': manifestYaml('bad').replace('sourceSpec:', 'sourcespec:'),
        'chart/Chart.yaml': 'apiVersion: v2\nname: shop\nversion: 1.0.0\n',
        'silver.yaml': manifestYaml('silver'),
        'README.md': '# not yaml\n',
      });
      // As pre-commit passes them: file names, plus a directory, from the repository root.
      const args = ['validate', 'audiences', 'chart/Chart.yaml', 'silver.yaml', 'README.md'];
      const [text, json, github, missing] = await Promise.all([
        runCliInProcess(args, { cwd: dir }),
        runCliInProcess([...args, '--output', 'json'], { cwd: dir }),
        runCliInProcess([...args, '--output', 'github'], { cwd: dir }),
        runCliInProcess(['validate', 'audiences', 'nope.yaml'], { cwd: dir }),
      ]);

      expect(text.code).toBe(1);
      expect(text.stderr).toBe('');
      expect(text.stdout).not.toMatch(NO_TRACE);
      const lines = text.stdout.trimEnd().split('\n');
      expect(lines).toContain(
        'audiences/bad.yaml:16:3: error: spec.sourcespec: unknown key "sourcespec"; did you mean "sourceSpec"? [schema/unknown-key]',
      );
      expect(lines).toContain(
        'chart/Chart.yaml:1:1: note: not an audiencectl manifest (apiVersion "v2"); skipped [source/not-a-manifest]',
      );
      expect(lines).toContain(
        'README.md: note: not selected by --include/--exclude (default: **/*.yaml, **/*.yml); skipped [source/not-selected]',
      );
      expect(lines.at(-1)).toBe(
        '2 valid manifest(s); 2 error(s), 0 warning(s) in 1 failed file(s); 1 file(s) skipped, not audiencectl manifests; 1 file(s) not selected by --include/--exclude (see the notes)',
      );

      expect(json.code).toBe(1);
      const diagnostics = JSON.parse(json.stdout) as Array<Record<string, unknown>>;
      expect(diagnostics).toContainEqual({
        file: 'audiences/bad.yaml',
        line: 16,
        col: 3,
        severity: 'error',
        code: 'schema/unknown-key',
        message: 'spec.sourcespec: unknown key "sourcespec"; did you mean "sourceSpec"?',
      });
      expect(diagnostics).toContainEqual(
        expect.objectContaining({
          file: 'chart/Chart.yaml',
          severity: 'note',
          code: 'source/not-a-manifest',
        }),
      );
      expect(diagnostics.map((d) => Object.keys(d).sort().join())).toEqual(
        diagnostics.map(() => 'code,col,file,line,message,severity'),
      );

      expect(github.code).toBe(1);
      const annotations = github.stdout.split('\n');
      expect(annotations).toContain(
        '::error file=audiences/bad.yaml,line=16,col=3,title=schema/unknown-key::spec.sourcespec: unknown key "sourcespec"; did you mean "sourceSpec"?',
      );
      expect(annotations).toContain(
        '::notice file=chart/Chart.yaml,line=1,col=1,title=source/not-a-manifest::not an audiencectl manifest (apiVersion "v2"); skipped',
      );
      expect(annotations).toContain(
        '::notice file=README.md,title=source/not-selected::not selected by --include/--exclude (default: **/*.yaml, **/*.yml); skipped',
      );
      expect(github.stdout).not.toMatch(NO_TRACE);

      expect(missing).toMatchObject({ code: 1, stdout: '', stderr: 'Error: nope.yaml: does not exist\n' });
    });
  });

  it('a named manifest the given --include leaves out: the note names that filter, the summary the reason', async () => {
    await withTempDir(async (dir) => {
      await writeFiles(dir, {
        'audiences/loyalty/gold.yaml': manifestYaml('gold'),
        'audiences/web.yaml': manifestYaml('web'),
      });
      const result = await runCliInProcess(
        [
          'validate',
          'audiences/loyalty/gold.yaml',
          'audiences/web.yaml',
          '--include',
          'audiences/loyalty/**',
        ],
        { cwd: dir },
      );
      expect(result).toMatchObject({ code: 0, stderr: '' });
      expect(result.stdout).toBe(
        [
          'audiences/web.yaml: note: not selected by --include audiences/loyalty/**; skipped [source/not-selected]',
          '1 valid manifest(s); 0 error(s), 0 warning(s) in 0 failed file(s); 1 file(s) not selected by --include/--exclude (see the notes)',
          '',
        ].join('\n'),
      );
    });
  });

  it('a named file filters written for its directory leave out: refused in one line with the glob it needs', async () => {
    await withTempDir(async (dir) => {
      await writeFiles(dir, {
        'audiences/loyalty/bad.yaml': manifestYaml('bad').replace('sourceSpec:', 'sourcespec:'),
        'audiences/web.yaml': manifestYaml('web'),
      });
      const validate = (...args: string[]) => runCliInProcess(['validate', ...args], { cwd: dir });
      const bad = 'audiences/loyalty/bad.yaml';
      const [asForDir, withExclude, both, fixed, directory, otherFile, excluded] = await Promise.all([
        validate(bad, '--include', 'loyalty/**'),
        validate(bad, '--include', 'loyalty/**', '--exclude', '**/draft-*.yaml'),
        validate('audiences/web.yaml', bad, '--include', 'loyalty/**'),
        validate(bad, '--include', 'audiences/loyalty/**'),
        validate('audiences', '--include', 'loyalty/**'),
        validate('audiences/web.yaml', '--include', 'loyalty/**'),
        validate(bad, '--exclude', 'audiences/loyalty/**'),
      ]);
      expect(asForDir).toEqual({
        code: 1,
        stdout: '',
        stderr:
          "Error: --include 'loyalty/**' selects audiences/loyalty/bad.yaml only relative to audiences/, but a file named on the command line is matched by its path as typed, so it would be skipped: give --include 'audiences/loyalty/**' (or run: audiencectl validate audiences --include 'loyalty/**')\n",
      });
      expect(withExclude.code).toBe(1);
      expect(withExclude.stderr).toContain(
        ": give --include 'audiences/loyalty/**' --exclude 'audiences/**/draft-*.yaml' (or run: audiencectl validate audiences --include 'loyalty/**' --exclude '**/draft-*.yaml')\n",
      );
      expect(both).toEqual(asForDir);
      // The globs it gives select the file, and its error fails the run; so does the directory.
      for (const result of [fixed, directory]) {
        expect(result.code).toBe(1);
        expect(result.stdout).toContain(
          'audiences/loyalty/bad.yaml:16:3: error: spec.sourcespec: unknown key',
        );
      }
      // A file no ancestor's reading selects, and one an --exclude leaves out, keep their note.
      expect(otherFile).toMatchObject({ code: 0, stderr: '' });
      expect(otherFile.stdout).toContain(
        'audiences/web.yaml: note: not selected by --include loyalty/**; skipped [source/not-selected]',
      );
      expect(excluded).toMatchObject({ code: 0, stderr: '' });
      expect(excluded.stdout).toContain('audiences/loyalty/bad.yaml: note: not selected by --exclude');
    });
  });

  it("--help says how --include and --exclude match a named file, and what filters written for its directory get; plan's help does not", async () => {
    const [validate, plan] = await Promise.all([
      runCliInProcess(['validate', '--help']),
      runCliInProcess(['plan', '--help']),
    ]);
    expect(validate.code).toBe(0);
    // Help wraps its descriptions: compare the words.
    const words = (text: string) => text.replace(/\s+/g, ' ');
    expect(words(validate.stdout)).toContain(
      "--include <glob> manifest files to read; repeat for more (default: **/*.yaml and **/*.yml); a directory's files are matched by their path relative to it, a file named on the command line by its path as typed (audiences/loyalty/gold.yaml: --include 'audiences/loyalty/**'); filters written for its directory ('loyalty/**') are an error that gives the glob it needs",
    );
    expect(words(validate.stdout)).toContain(
      '--exclude <glob> files to skip; repeat for more; matched as --include is (a named file by its path as typed)',
    );
    expect(words(plan.stdout)).toContain(
      '--include <glob> manifest files to read; repeat for more (default: **/*.yaml and **/*.yml) ',
    );
    expect(plan.stdout).not.toContain('named on the command line');
  });

  it('a directory none of whose files the given --include selects: a warning, for validate and plan', async () => {
    await withTempDir(async (dir) => {
      await writeFiles(dir, { 'audiences/gold.yaml': manifestYaml('gold') });
      const validated = await runCliInProcess(['validate', 'audiences', '--include', 'audences/**'], {
        cwd: dir,
      });
      expect(validated).toMatchObject({ code: 0, stderr: '' });
      expect(validated.stdout).toBe(
        [
          'audiences: warning: no file is selected by --include audences/**: nothing was read [source/include-matched-nothing]',
          '0 valid manifest(s); 0 error(s), 1 warning(s) in 0 failed file(s)',
          '',
        ].join('\n'),
      );
      const planned = await runCliInProcess(
        ['plan', 'audiences', '--include', 'x/**', '--exclude', 'y/**', '--state', 'state'],
        { cwd: dir },
      );
      expect(planned.code).toBe(0);
      expect(planned.stdout).toContain(
        '  .: warning: no file is selected by --include x/** --exclude y/**: nothing was read [source/include-matched-nothing]\n',
      );
      // Filters that select a file say nothing of the kind.
      const selected = await runCliInProcess(['validate', 'audiences', '--include', '**/gold.yaml'], {
        cwd: dir,
      });
      expect(selected.stdout).toBe('1 valid manifest(s); 0 error(s), 0 warning(s) in 0 failed file(s)\n');
    });
  });

  it('links to no path (/proc/self/fd: pipes) are broken links, and a FIFO named *.yaml an error (never opened, never a removed manifest), never an internal error', async () => {
    await withTempDir(async (dir) => {
      await writeFiles(dir, { 'gold.yaml': manifestYaml('gold') });
      execFileSync('mkfifo', [path.join(dir, 'pipe.yaml')]);
      // Spawned: its standard streams are pipes, so /proc/self/fd/0 links to `pipe:[…]`.
      const result = await runCli(['validate', '/proc/self/fd', '.'], { cwd: dir });
      expect(result.stderr).toBe('');
      expect(result.stdout).not.toMatch(NO_TRACE);
      expect(result.code).toBe(1);
      const lines = result.stdout.split('\n');
      expect(lines).toContain(
        '/proc/self/fd/0: error: symlink target is not a path that exists (a link to a pipe or a socket, say); not followed [source/symlink-broken]',
      );
      expect(lines).toContain(
        'pipe.yaml: error: it is a named pipe (FIFO), not a regular file: never opened; the audiences it defined are left as they are and deletions are held; make it a file again, or remove it [source/not-a-file]',
      );
      expect(lines.at(-2)).toMatch(
        /^1 valid manifest\(s\); \d+ error\(s\), \d+ warning\(s\) in \d+ failed file\(s\)$/,
      );
    });
  });
});
