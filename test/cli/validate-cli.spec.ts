import { describe, expect, it } from 'vitest';
import { withTempDir, writeFiles } from '../helpers/cli.js';
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
});
