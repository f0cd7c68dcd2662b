import { execFile } from 'node:child_process';
import { existsSync } from 'node:fs';
import {
  lstat,
  mkdir,
  mkdtemp,
  readFile,
  readdir,
  readlink,
  rm,
  stat,
  symlink,
  utimes,
  writeFile,
} from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { promisify } from 'node:util';
import { describe, expect, it } from 'vitest';
import { GIT_ENV, runCli, withTempDir, writeFiles, type CliResult } from '../helpers/cli.js';
import { runCliInProcess } from '../helpers/cli-in-process.js';
import { manifestYaml } from '../helpers/manifests.js';
import { deadPid, thisHostTag } from '../helpers/temp-names.js';
import { openStateStore } from '../../src/state/open.js';
import { aRecord } from '../state/helpers.js';

// `plan --out` replaces a file the user names: never the state's or a manifest's, and
// never by cutting the previous file short when the write fails.

const execFileAsync = promisify(execFile);
const META = '{"schemaVersion":1,"lineage":"5f0c2f9e-1d7e-4d4e-9a55-6f1c0c3b2a10","serial":1}\n';

/** Manifests in `aud` and a directory store `st`; with `git`, a repository with `aud` committed. */
async function repo(dir: string, git = false): Promise<void> {
  await writeFiles(dir, {
    'aud/gold.yaml': manifestYaml('gold'),
    'aud/silver.yaml': manifestYaml('silver'),
    'st/meta.json': META,
  });
  if (!git) return;
  const run = (...args: string[]) =>
    execFileAsync('git', args, { cwd: dir, env: { ...process.env, ...GIT_ENV } });
  await run('init', '-q', '-b', 'main');
  await run('add', 'aud');
  await run('commit', '-q', '-m', 'base');
}

/** Every file under `dir` with its bytes, symlinks as their target. */
async function snapshot(dir: string): Promise<Record<string, string>> {
  const files: Record<string, string> = {};
  for (const name of await readdir(dir, { recursive: true })) {
    if (name.startsWith('.git')) continue;
    const file = path.join(dir, name);
    const info = await lstat(file);
    if (info.isSymbolicLink()) files[name] = `-> ${await readlink(file)}`;
    else if (info.isFile()) files[name] = await readFile(file, 'utf8');
  }
  return files;
}

describe('plan --out where the plan reads', () => {
  it('refuses the state directory and the manifest files, through symlinks too, and writes nothing', async () => {
    await withTempDir(async (dir) => {
      await repo(dir, true);
      await symlink('aud', path.join(dir, 'aud-link'));
      await symlink('st', path.join(dir, 'st-link'));
      await symlink('aud/gold.yaml', path.join(dir, 'plan.json'));
      const before = await snapshot(dir);
      const state = path.join(dir, 'st');
      const inState = (out: string) =>
        `Error: --out: ${out} is inside the state directory ${state}: the plan would damage the state; name a file outside it\n`;
      const manifest = (out: string) =>
        `Error: --out: ${out} is one of the manifest files of aud: the plan would replace it, or be read as a manifest; name a file outside it or with another extension\n`;
      const cases: Array<[string[], string]> = [
        [['--state', 'st', '--output', 'json', '--out', 'st/meta.json'], inState('st/meta.json')],
        [['--state', 'st', '--out', 'st-link/plan.md'], inState('st-link/plan.md')],
        // A --base plan reads the manifests from git, but the file is still the user's.
        [['--base', 'HEAD', '--output', 'json', '--out', 'aud/gold.yaml'], manifest('aud/gold.yaml')],
        [['--state', 'st', '--out', 'aud-link/silver.yaml'], manifest('aud-link/silver.yaml')],
        // Not there yet, but the next plan would read it as a manifest.
        [['--state', 'st', '--out', 'aud/new.yml'], manifest('aud/new.yml')],
        [['--state', 'st', '--output', 'json', '--out', 'plan.json'], manifest('plan.json')],
      ];
      for (const [flags, stderr] of cases) {
        const result = await runCliInProcess(['plan', 'aud', ...flags], { cwd: dir, env: GIT_ENV });
        expect([flags.join(' '), result.code, result.stdout, result.stderr]).toEqual([
          flags.join(' '),
          1,
          '',
          stderr,
        ]);
      }
      expect(await snapshot(dir)).toEqual(before);
    });
  });

  it('writes beside the manifests, and through a symlink to a file outside them, keeping the link and the mode', async () => {
    await withTempDir(async (dir) => {
      await repo(dir);
      await mkdir(path.join(dir, 'plans'));
      await writeFile(path.join(dir, 'plans', 'saved.json'), 'old\n', { mode: 0o600 });
      await symlink('plans/saved.json', path.join(dir, 'latest.json'));
      const beside = await runCliInProcess(['plan', 'aud', '--state', 'st', '--out', 'aud/plan.md'], {
        cwd: dir,
      });
      expect([beside.code, beside.stdout]).toEqual([0, '']);
      expect(await readFile(path.join(dir, 'aud', 'plan.md'), 'utf8')).toMatch(/^audiencectl will perform/);
      const linked = await runCliInProcess(
        ['plan', 'aud', '--state', 'st', '--output', 'json', '--out', 'latest.json'],
        {
          cwd: dir,
        },
      );
      expect([linked.code, linked.stdout]).toEqual([0, '']);
      expect(await readlink(path.join(dir, 'latest.json'))).toBe('plans/saved.json');
      expect(JSON.parse(await readFile(path.join(dir, 'plans', 'saved.json'), 'utf8'))).toHaveProperty(
        'steps',
      );
      expect((await stat(path.join(dir, 'plans', 'saved.json'))).mode & 0o777).toBe(0o600);
      expect(await readdir(path.join(dir, 'plans'))).toEqual(['saved.json']);
    });
  });

  it('shows the --out path, and a --state that does not exist, escaped', async () => {
    await withTempDir(async (dir) => {
      await repo(dir);
      const escape = '\u001b]0;PWN\u0007\u001b[31m';
      const shown = '\\u001B]0;PWN\\u0007\\u001B[31m';
      const result = await runCliInProcess(
        ['plan', 'aud', '--state', `nx${escape}`, '--out', `p${escape}.md`],
        {
          cwd: dir,
        },
      );
      expect(result.code).toBe(0);
      const lines = result.stderr.split('\n');
      expect(lines[0]).toBe(
        `WARNING: no state store at ${path.join(dir, 'nx')}${shown} (--state or AUDIENCECTL_STATE).`,
      );
      expect(lines.at(-2)).toMatch(/ Written to p\\u001B\]0;PWN\\u0007\\u001B\[31m\.md\.$/);
      expect(result.stderr).not.toContain('\u001b');
      expect(result.stderr).not.toContain('\u0007');
    });
  });
});

/** `fn` in a new directory under `root`, removed afterwards. */
async function withTempDirIn<T>(root: string, fn: (dir: string) => Promise<T>): Promise<T> {
  const dir = await mkdtemp(path.join(root, 'audiencectl-'));
  try {
    return await fn(dir);
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
}

/** The built CLI under a file-size limit of 1 KiB: a longer write fails with EFBIG. */
function runCliWithFileLimit(args: string[], cwd: string): Promise<CliResult> {
  // LC_ALL=C: a shell warns on stderr of a locale the machine lacks (CI runs a pass under
  // tr_TR.UTF-8); what is tested here does not depend on it.
  return runCli(args, {
    cwd,
    shellFirst: 'ulimit -f 1',
    env: { LC_ALL: 'C', AUDIENCECTL_MANIFEST_CACHE: 'off' },
  });
}

/** /dev/shm where the machine has it: a tmpfs whose files live under /dev, like devices. */
const DEV_SHM = existsSync('/dev/shm') ? ['/dev/shm'] : [];

describe('plan --out whose write fails', () => {
  // Under /dev/shm, a regular file was taken for a device and written in place: the
  // failed write cut plan.json to the size limit; and so was any symlink under /dev, not
  // only those to this process's descriptors (review 24, L3).
  it.each(
    [tmpdir(), ...DEV_SHM].flatMap((root) => [
      { root, through: 'named' },
      { root, through: 'a symlink' },
    ]),
  )(
    'leaves the previous file whole, with its mode, and no temporary file (in $root, $through)',
    async ({ root, through }) => {
      await withTempDirIn(root, async (dir) => {
        await repo(dir);
        // A "current" link to the file that holds the saved plan, or the file itself.
        const held = through === 'a symlink' ? 'plans-v1.json' : 'plan.json';
        if (held !== 'plan.json') await symlink(held, path.join(dir, 'plan.json'));
        const saved = path.join(dir, held);
        const first = await runCliInProcess(
          ['plan', 'aud', '--state', 'st', '--output', 'json', '--out', saved],
          {
            cwd: dir,
          },
        );
        expect(first.code).toBe(0);
        const previous = await readFile(saved);
        // Longer than the limit, or the limit cuts nothing.
        expect(previous.length).toBeGreaterThan(2048);
        await execFileAsync('chmod', ['600', saved]);
        const result = await runCliWithFileLimit(
          ['plan', 'aud', '--state', 'st', '--output', 'json', '--out', 'plan.json'],
          dir,
        );
        expect([result.code, result.stdout, result.stderr]).toEqual([
          1,
          '',
          'Error: --out: cannot write plan.json (EFBIG)\n',
        ]);
        expect((await readFile(saved)).equals(previous)).toBe(true);
        expect((await stat(saved)).mode & 0o777).toBe(0o600);
        const files =
          held === 'plan.json' ? ['aud', 'plan.json', 'st'] : ['aud', 'plan.json', 'plans-v1.json', 'st'];
        expect((await readdir(dir)).sort()).toEqual(files);
        expect((await lstat(path.join(dir, 'plan.json'))).isSymbolicLink()).toBe(held !== 'plan.json');
      });
    },
  );
});

describe('plan --out after a write that was killed', () => {
  it('removes the temporary files of that file whose writer here is not running or that are 10 minutes old, and nothing else', async () => {
    await withTempDir(async (dir) => {
      await repo(dir);
      const dead = deadPid();
      const alive = process.ppid;
      // This host, and another one sharing the directory.
      const here = thisHostTag();
      const there = here === 'feedf00d' ? 'deadbeef' : 'feedf00d';
      const temp = (pid: number, tag = '0a1b2c3d', name = 'plan.json', host = here) =>
        `.${name}.${host}.${pid}.${tag}.tmp`;
      const elsewhere = (pid: number, tag = '0a1b2c3d') => temp(pid, tag, 'plan.json', there);
      // The name of the release before the host was named: whose pid that is is unknown.
      const hostless = (pid: number, tag: string) => `.plan.json.${pid}.${tag}.tmp`;
      const removed = [
        temp(dead),
        // This process's pid, but not this write's: an earlier incarnation (pid 1 in a container).
        temp(process.pid),
        temp(alive, 'aaaaaaaa'), // its writer running, but last written 11 minutes ago
        elsewhere(dead, 'bbbbbbbb'), // another host's, last written 11 minutes ago
        hostless(dead, 'cccccccc'), // last written 11 minutes ago
      ];
      const kept = [
        temp(alive), // its writer may still be writing
        // Another host's or container's, fresh: its pid means nothing here, it may still be writing.
        elsewhere(dead),
        elsewhere(process.pid, '0d0d0d0d'),
        hostless(dead, '0a1b2c3d'),
        temp(dead, 'notahex!'),
        temp(dead, '0a1b2c3d', 'other.json'),
        '.plan.json.tmp',
        `plan.json.${dead}.0a1b2c3d.tmp`,
      ];
      for (const name of [...removed, ...kept]) await writeFile(path.join(dir, name), 'half a plan');
      const old = new Date(Date.now() - 11 * 60_000);
      for (const name of [temp(alive, 'aaaaaaaa'), elsewhere(dead, 'bbbbbbbb'), hostless(dead, 'cccccccc')])
        await utimes(path.join(dir, name), old, old);
      // Of the pattern, but not a file.
      await mkdir(path.join(dir, temp(dead, 'ffffffff')));
      kept.push(temp(dead, 'ffffffff'));

      const result = await runCliInProcess(['plan', 'aud', '--state', 'st', '--out', 'plan.json'], {
        cwd: dir,
      });
      expect([result.code, result.stdout]).toEqual([0, '']);
      expect((await readdir(dir)).sort()).toEqual([...kept, 'aud', 'plan.json', 'st'].sort());
    });
  });
});

describe('plan after a plan stopped while it wrote its caches (Ctrl-C, SIGTERM, SIGKILL)', () => {
  it("removes the caches' temporary files whose writer here is not running, or of the release before and 10 minutes old; keeps a live writer's", async () => {
    await withTempDir(async (dir) => {
      await repo(dir);
      const dead = deadPid();
      const alive = process.ppid;
      const here = thisHostTag();
      const removed = [
        `.manifest-cache.jsonl.${here}.${dead}.0a1b2c3d.tmp`,
        `.state-snapshot.jsonl.${here}.${dead}.0a1b2c3d.tmp`,
        // The release before named them by the pid only (whose host is unknown): 11 minutes old.
        `.manifest-cache.jsonl.${dead}.tmp`,
      ];
      const kept = [
        // Another plan writing its caches now.
        `.manifest-cache.jsonl.${here}.${alive}.0a1b2c3d.tmp`,
        `.state-snapshot.jsonl.${here}.${alive}.0a1b2c3d.tmp`,
        // Of the release before, fresh: whose pid that is is unknown, it may still be writing.
        `.state-snapshot.jsonl.${dead}.tmp`,
      ];
      const st = path.join(dir, 'st');
      for (const name of [...removed, ...kept]) await writeFile(path.join(st, name), 'half a cache');
      const old = new Date(Date.now() - 11 * 60_000);
      await utimes(path.join(st, `.manifest-cache.jsonl.${dead}.tmp`), old, old);

      const result = await runCliInProcess(['plan', 'aud', '--state', 'st'], { cwd: dir });
      expect(result.code).toBe(0);
      expect((await readdir(st)).sort()).toEqual(
        [...kept, 'manifest-cache.jsonl', 'meta.json', 'state-snapshot.jsonl'].sort(),
      );
    });
  });
});

describe('plan --out says what the plan shows besides its steps (review 20b, M3)', () => {
  it('held audiences, blocked steps and diagnostics on stderr, before the summary and the file written', async () => {
    await withTempDir(async (dir) => {
      // gold has an error (an unknown key): held; silver's manifest is gone, and --max-deletes 0 blocks its delete.
      await writeFiles(dir, { 'aud/gold.yaml': manifestYaml('gold').replace('ttlInDays:', 'ttl:') });
      const store = await openStateStore(path.join(dir, 'st'));
      await store.lock();
      for (const key of ['gold', 'silver']) await store.put(aRecord(key, { manifestFile: `${key}.yaml` }));
      await store.close();
      const flags = ['aud', '--state', 'st', '--max-deletes', '0'];
      const out = await runCliInProcess(['plan', ...flags, '--output', 'json', '--out', 'p.json'], {
        cwd: dir,
      });
      expect([out.code, out.stdout]).toEqual([1, '']);
      expect(out.stderr).toBe(
        [
          'Blocked (not applied): 1',
          '  prod/silver delete: --max-deletes 0 forbids deletions, and --allow-mass-delete does not lift it; raise --max-deletes to allow this delete (a saved plan keeps the --max-deletes it was made with: plan it again)',
          '',
          'Held (left alone): 1',
          '  prod/gold: gold.yaml has errors; the audience is left as it is',
          '',
          'Diagnostics:',
          '  gold.yaml:21:3: error: spec.ttl: unknown key "ttl" [schema/unknown-key]',
          '',
          'Plan: 0 to create, 0 to update, 0 to replace, 0 to delete, 0 to forget, 0 run(s) to start; 1 blocked, 0 deferred. Written to p.json.',
          '',
        ].join('\n'),
      );
      // As the text plan shows them: the same held audience, diagnostic and reason for the block.
      const text = await runCliInProcess(['plan', ...flags], { cwd: dir });
      expect(text.code).toBe(1);
      expect(text.stdout).toContain(
        '\nHeld (left alone): 1\n  prod/gold: gold.yaml has errors; the audience is left as it is\n\nDiagnostics:\n  gold.yaml:21:3: error: spec.ttl: unknown key "ttl" [schema/unknown-key]\n',
      );
      expect(text.stdout).toContain(
        '        blocked: --max-deletes 0 forbids deletions, and --allow-mass-delete does not lift it;',
      );
    });
  });
});
