import { execFile } from 'node:child_process';
import { readFile, symlink } from 'node:fs/promises';
import path from 'node:path';
import { promisify } from 'node:util';
import { describe, expect, it } from 'vitest';
import { Plan } from '../../src/plan/schema.js';
import { GIT_ENV, withTempDir, writeFiles } from '../helpers/cli.js';
import { runCliInProcess } from '../helpers/cli-in-process.js';
import { manifestYaml } from '../helpers/manifests.js';

const execFileAsync = promisify(execFile);
const git = (cwd: string, ...args: string[]) =>
  execFileAsync('git', args, { cwd, env: { ...process.env, ...GIT_ENV } });

describe('audiencectl validate', () => {
  it('exits 0 on the examples', async () => {
    const result = await runCliInProcess(['validate', 'examples/audiences']);
    expect(result.stdout).toMatch(/8 valid manifest\(s\); 0 error\(s\)/);
    expect(result.code).toBe(0);
  });

  it('prints file:line:col and the rule, exits 1, no stack trace', async () => {
    await withTempDir(async (dir) => {
      await writeFiles(dir, {
        'bad.yaml': manifestYaml('gold').replace('type: file', 'type: blob'),
        'ok.yml': manifestYaml('silver'),
      });
      const result = await runCliInProcess(['validate', '.'], { cwd: dir });
      expect(result.code).toBe(1);
      expect(result.stdout).toMatch(
        /^bad\.yaml:\d+:\d+: error: spec\.sourceSpec\.type: must be one of "file", "folder", not string "blob" \[schema\/invalid-value\]$/m,
      );
      expect(result.stdout).toMatch(/1 valid manifest/);
      expect(result.stdout + result.stderr).not.toMatch(/\n\s+at /);
    });
  });

  it('refuses a file over the size limit and does not follow symlinks out of the root', async () => {
    await withTempDir(async (dir) => {
      await writeFiles(dir, {
        'src/big.yaml': `# ${'x'.repeat(2000)}\n`,
        'outside/secret.yaml': manifestYaml('leak'),
      });
      await symlink(path.join(dir, 'outside/secret.yaml'), path.join(dir, 'src/link.yaml'));
      const result = await runCliInProcess(['validate', path.join(dir, 'src'), '--max-file-bytes', '1000']);
      expect(result.code).toBe(1);
      expect(result.stdout).toMatch(
        /big\.yaml: error: file is \d+ bytes, over the 1000-byte limit \[source\/file-too-large\]/,
      );
      expect(result.stdout).toMatch(
        /link\.yaml: warning: symlink points outside the source root; not followed/,
      );
    });
  });

  it('rejects a missing directory and bad flags with exit 1 and a clear message', async () => {
    const missing = await runCliInProcess(['validate', '/nonexistent/dir']);
    expect(missing.code).toBe(1);
    expect(missing.stderr).toBe('Error: /nonexistent/dir: does not exist\n');
    const badFlag = await runCliInProcess(['plan', '--output', 'yaml']);
    expect(badFlag.code).toBe(1);
    expect(badFlag.stderr).toBe('Error: --output: "yaml" is not one of text, json, markdown\n');
  });
});

describe('audiencectl plan', () => {
  it('exits 0 with changes (2 with --detailed-exitcode), 1 for a missing source directory', async () => {
    await withTempDir(async (dir) => {
      // A chart's file beside the manifests: skipped with a note, nothing held.
      await writeFiles(dir, {
        'm/gold.yaml': manifestYaml('gold'),
        'm/Chart.yaml': 'apiVersion: v2\nname: audiences\nversion: 1.0.0\n',
      });
      const plain = await runCliInProcess(['plan', path.join(dir, 'm'), '--state', path.join(dir, 'state')]);
      expect(plain.code).toBe(0);
      expect(plain.stderr).toContain(
        'note: 1 file(s) skipped, not audiencectl manifests (`audiencectl validate` lists them)',
      );
      const result = await runCliInProcess([
        'plan',
        path.join(dir, 'm'),
        '--state',
        path.join(dir, 'state'),
        '--detailed-exitcode',
      ]);
      expect(result.code).toBe(2);
      expect(result.stdout).toMatch(/\+ prod\/gold create: new manifest/);
      expect(result.stdout).toMatch(
        /Plan: 1 to create, 0 to update, 0 to replace, 0 to delete, 0 to forget, 1 run\(s\) to start; 0 blocked, 0 deferred\./,
      );
      const empty = await runCliInProcess([
        'plan',
        path.join(dir, 'none'),
        '--state',
        path.join(dir, 'state'),
      ]);
      expect(empty.code).toBe(1);
    });
  });

  it('writes stable JSON that parses as a Plan, with --out', async () => {
    await withTempDir(async (dir) => {
      await writeFiles(dir, { 'gold.yaml': manifestYaml('gold') });
      const out = path.join(dir, 'plan.json');
      const result = await runCliInProcess([
        'plan',
        dir,
        '--state',
        path.join(dir, 's'),
        '--output',
        'json',
        '--out',
        out,
        '--include',
        '*.yaml',
      ]);
      expect(result.code).toBe(0);
      expect(result.stderr).toMatch(/Written to/);
      const json = JSON.parse(await readFile(out, 'utf8')) as unknown;
      const parsed = Plan.parse(json);
      expect(parsed.summary).toEqual({
        create: 1,
        adopt: 0,
        update: 0,
        replace: 0,
        delete: 0,
        forget: 0,
        run: 1,
        move: 0,
        blocked: 0,
        deferred: 0,
      });
      expect(parsed.steps.map((s) => [s.sandbox, s.key, s.kind])).toEqual([
        ['prod', 'gold', 'create'],
        ['prod', 'gold', 'run'],
      ]);
    });
  });

  it('exits 1 when a manifest is invalid, still showing what it would hold', async () => {
    await withTempDir(async (dir) => {
      // It claims to be ours, so it is an error (a foreign apiVersion would be skipped).
      await writeFiles(dir, { 'gold.yaml': 'apiVersion: audiencectl/v2\n' });
      const result = await runCliInProcess(['plan', dir, '--state', path.join(dir, 's')]);
      expect(result.code).toBe(1);
      expect(result.stdout).toMatch(/gold\.yaml:1:13: error: apiVersion/);
    });
  });

  it('reports an unreadable state clearly', async () => {
    await withTempDir(async (dir) => {
      await writeFiles(dir, {
        'm/gold.yaml': manifestYaml('gold'),
        'state/audiences/prod/gold.json': '{ not json',
      });
      const result = await runCliInProcess(['plan', path.join(dir, 'm'), '--state', path.join(dir, 'state')]);
      expect(result.code).toBe(1);
      expect(result.stderr).toMatch(/^Error: state file .*gold\.json is not valid JSON/);
      expect(result.stderr).not.toMatch(/\n\s+at /);
    });
  });

  it('--base plans a pull request against the base branch of a real git repository', async () => {
    await withTempDir(async (dir) => {
      await git(dir, 'init', '-q', '-b', 'main');
      await writeFiles(dir, {
        'audiences/gold.yaml': manifestYaml('gold'),
        'audiences/silver.yaml': manifestYaml('silver'),
        'audiences/bronze.yaml': manifestYaml('bronze'),
      });
      await git(dir, 'add', '.');
      await git(dir, 'commit', '-q', '-m', 'base');
      await git(dir, 'checkout', '-q', '-b', 'feature');
      await writeFiles(dir, {
        'audiences/gold.yaml': manifestYaml('gold', { spec: { description: 'edited in the PR' } }),
        'audiences/platinum.yaml': manifestYaml('platinum'),
      });
      await execFileAsync('rm', [path.join(dir, 'audiences/bronze.yaml')]);

      const result = await runCliInProcess(
        ['plan', 'audiences', '--base', 'main', '--output', 'markdown', '--detailed-exitcode'],
        { cwd: dir },
      );
      expect(result.code).toBe(2);
      expect(result.stdout).toContain('| 1 | 0 | 1 | 0 | 1 | 0 | 1 | 0 | 0 |');
      expect(result.stdout).toMatch(/prod\/gold<\/code>: ~ update/);
      expect(result.stdout).toContain('~ description: "About gold" -> "edited in the PR"');
      expect(result.stdout).toMatch(/prod\/bronze<\/code>: - delete/);

      const same = await runCliInProcess(['plan', 'audiences', '--base', 'HEAD', '--detailed-exitcode'], {
        cwd: dir,
      });
      expect(same.code).toBe(2); // the working tree differs from HEAD too

      const bad = await runCliInProcess(['plan', 'audiences', '--base', '--upload-pack=evil'], { cwd: dir });
      expect(bad.code).toBe(1);
      expect(bad.stderr).toMatch(/is not a git revision/);
      const unknown = await runCliInProcess(['plan', 'audiences', '--base', 'no-such-branch'], { cwd: dir });
      expect(unknown.code).toBe(1);
      expect(unknown.stderr).toMatch(
        /^Error: --base: cannot resolve "no-such-branch" in the git repository at /,
      );
    });
  });

  it('exits 3 with --detailed-exitcode when a guard blocks a step, else 0', async () => {
    await withTempDir(async (dir) => {
      await git(dir, 'init', '-q', '-b', 'main');
      await writeFiles(dir, { 'a/gold.yaml': manifestYaml('gold') });
      await git(dir, 'add', '.');
      await git(dir, 'commit', '-q', '-m', 'base');
      await writeFiles(dir, { 'a/gold.yaml': manifestYaml('gold', { spec: { name: 'Renamed' } }) });
      const plain = await runCliInProcess(['plan', 'a', '--base', 'main'], { cwd: dir });
      expect(plain.code).toBe(0);
      const result = await runCliInProcess(['plan', 'a', '--base', 'main', '--detailed-exitcode'], {
        cwd: dir,
      });
      expect(result.code).toBe(3);
      expect(result.stdout).toMatch(/-\/\+ prod\/gold replace: name cannot be changed in place/);
      expect(result.stdout).toMatch(/blocked: replacement needs metadata.allowReplace/);
      const allowed = await runCliInProcess(
        ['plan', 'a', '--base', 'main', '--allow-replace', '--detailed-exitcode'],
        {
          cwd: dir,
        },
      );
      expect(allowed.code).toBe(2);
      await git(dir, 'commit', '-q', '-am', 'rename');
      const clean = await runCliInProcess(['plan', 'a', '--base', 'HEAD', '--detailed-exitcode'], {
        cwd: dir,
      });
      expect(clean).toMatchObject({ code: 0, stdout: 'No changes. The audiences match the manifests.\n' });
    });
  });

  it('--help shows examples and exit codes', async () => {
    const result = await runCliInProcess(['plan', '--help']);
    expect(result.code).toBe(0);
    expect(result.stdout).toMatch(/Exit codes: 0 success \(with or without changes\), 1 errors/);
    expect(result.stdout).toMatch(
      /0 no changes, 2 changes to apply, 3 some steps blocked \(or an older checkout apply would refuse\), 1 errors/,
    );
    expect(result.stdout).toMatch(/--base origin\/main --output markdown/);
  });
});
