import { execFile } from 'node:child_process';
import { cp, mkdir, mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { promisify } from 'node:util';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { repoRoot } from './helm.js';

const exec = promisify(execFile);
type Run = { code: number; stdout: string; stderr: string };

let dir: string;
let bin: string;
let packed: string[];
let installed: { stderr: string; manifest: { scripts?: Record<string, string> } };

/**
 * The lifecycle scripts npm runs when it installs a package (npm's docs, "Life Cycle Operation
 * Order" for npm install; prepare, for a git dependency). A published package with one of
 * them makes every `npm install -g audiencectl` run it, or, newer npm, warn about it.
 */
const INSTALL_SCRIPTS = [
  'preinstall',
  'install',
  'postinstall',
  'prepublish',
  'preprepare',
  'prepare',
  'postprepare',
];

/** Runs the installed `audiencectl` (its own shebang, its own node_modules), never the checkout. */
function audiencectl(args: string[], cwd: string): Promise<Run> {
  return new Promise((resolve) => {
    execFile(bin, args, { cwd, env: { ...process.env, NO_COLOR: '1' } }, (error, stdout, stderr) => {
      let code = 0;
      if (error) code = typeof error.code === 'number' ? error.code : 1;
      resolve({ code, stdout, stderr });
    });
  });
}

async function git(cwd: string, ...args: string[]): Promise<void> {
  await exec('git', ['-c', 'user.name=ci', '-c', 'user.email=ci@audiencectl.invalid', ...args], { cwd });
}

/**
 * As a user would: `npm pack`, then a global install of the tarball into a temp prefix.
 * The pack skips `prepack` (the build): `npm run check:package` and CI build first.
 */
beforeAll(async () => {
  dir = await mkdtemp(path.join(os.tmpdir(), 'audiencectl-pack-'));
  const { stdout } = await exec('npm', ['pack', '--json', '--ignore-scripts', '--pack-destination', dir], {
    cwd: repoRoot,
    maxBuffer: 64 * 1024 * 1024,
  });
  const [info] = JSON.parse(stdout.slice(stdout.indexOf('['))) as {
    filename: string;
    files: { path: string }[];
  }[];
  if (!info) throw new Error('npm pack reported nothing');
  packed = info.files.map((file) => file.path);
  const prefix = path.join(dir, 'prefix');
  const install = await exec(
    'npm',
    [
      'install',
      '-g',
      '--prefix',
      prefix,
      '--no-audit',
      '--no-fund',
      // The dependencies are those `npm ci` just cached: no need to ask the registry again.
      '--prefer-offline',
      // A dependency that wants a newer Node than this one (cookie 2 under fastify wanted 22)
      // fails the install, as it does for a user with engine-strict set; the lock, which a
      // global install does not read, cannot show that (test/release/engines.spec.ts).
      '--engine-strict',
      path.join(dir, info.filename),
    ],
    {
      cwd: dir,
      maxBuffer: 64 * 1024 * 1024,
    },
  );
  bin = path.join(prefix, 'bin', 'audiencectl');
  const manifest = path.join(prefix, 'lib', 'node_modules', 'audiencectl', 'package.json');
  installed = { stderr: install.stderr, manifest: JSON.parse(await readFile(manifest, 'utf8')) as never };
});

afterAll(async () => {
  if (dir) await rm(dir, { recursive: true, force: true });
});

describe('the npm package, installed from its tarball', () => {
  it('ships the built CLI and the schemas, not the sources or tests', () => {
    expect(packed).toEqual(expect.arrayContaining(['package.json', 'dist/cli/main.js', 'README.md']));
    expect(
      packed.filter(
        (file) => /^(src|test|bench|helm)\/|\.spec\.js$|\.ts$/.test(file) && !file.endsWith('.d.ts'),
      ),
    ).toEqual([]);
  });

  it('has no install-time script, so a global install runs none and warns of none', () => {
    const scripts = Object.keys(installed.manifest.scripts ?? {});
    expect(scripts.filter((name) => INSTALL_SCRIPTS.includes(name))).toEqual([]);
    expect(installed.stderr).not.toMatch(/install-scripts|allow-scripts/);
  });

  it('prints its version', async () => {
    const pkg = JSON.parse(await readFile(path.join(repoRoot, 'package.json'), 'utf8')) as {
      version: string;
    };
    const result = await audiencectl(['--version'], dir);
    expect(result).toMatchObject({ code: 0, stderr: '' });
    expect(result.stdout.trim()).toBe(pkg.version);
  });

  it('validates the example manifests', async () => {
    const result = await audiencectl(['validate', path.join(repoRoot, 'examples', 'audiences')], dir);
    expect(result.stderr).toBe('');
    expect(result.code).toBe(0);
    expect(result.stdout).toMatch(/\b0 error/);
  });

  it('plans a pull request against its base branch', async () => {
    const repo = path.join(dir, 'repo');
    await mkdir(repo);
    await git(repo, 'init', '-q', '-b', 'main');
    await cp(path.join(repoRoot, 'examples', 'audiences'), path.join(repo, 'audiences'), { recursive: true });
    await git(repo, 'add', '.');
    await git(repo, 'commit', '-qm', 'base');
    await git(repo, 'checkout', '-qb', 'feature');
    const manifest = [
      'apiVersion: audiencectl/v1',
      'kind: ExternalAudience',
      'metadata: { name: packaged-check }',
      'spec:',
      '  name: Packaged check',
      '  fields: [{ name: email, type: string, identityNs: email }]',
      '  sourceSpec: { path: marketing/check.csv, type: file, sourceType: Cloud Storage, cloudType: DLZ }',
      '  originName: CUSTOM_UPLOAD',
      '',
    ].join('\n');
    await writeFile(path.join(repo, 'audiences', 'packaged-check.yaml'), manifest);
    const plan = ['plan', 'audiences', '--base', 'main', '--output', 'markdown'];
    const result = await audiencectl(plan, repo);
    expect(result.stderr).toBe('');
    expect(result.code).toBe(0);
    expect(result.stdout).toContain('<code>prod/packaged-check</code>: + create');
    // What the pull-request action runs: 2 means changes pending.
    const detailed = await audiencectl([...plan, '--detailed-exitcode'], repo);
    expect(detailed.code).toBe(2);
    expect(detailed.stdout).toBe(result.stdout);
    expect(result.stdout).not.toContain('~ update');
  });
});
