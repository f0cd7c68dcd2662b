import { execFileSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import { commitRelations, type Deepening } from '../../src/source/git-revision.js';

/**
 * A shallow clone's history is fetched once per apply (one Deepening passed to every check),
 * again only for an earlier time, and a failed fetch answers every later check without asking
 * the remote again (8cbf371a kept this "the same" with no spec counting the fetches). The
 * remote's upload-pack is wrapped to count the fetches that reach it.
 */
const root = mkdtempSync(path.join(tmpdir(), 'deepen-once-'));
// The history repositories are made under TMPDIR and removed when the process exits, which a
// test worker may not do by its 'exit' event: made under root here, they go with it.
beforeAll(() => vi.stubEnv('TMPDIR', root));
afterAll(() => {
  vi.unstubAllEnvs();
  rmSync(root, { recursive: true, force: true });
});

const git = (cwd: string, args: string[], at?: string) =>
  execFileSync('git', args, {
    cwd,
    encoding: 'utf8',
    env: { ...process.env, ...(at ? { GIT_AUTHOR_DATE: at, GIT_COMMITTER_DATE: at } : {}) },
  }).trim();

const A_TIME = '2024-01-01T00:00:00Z';
const B_TIME = '2024-03-01T00:00:00Z';
const C_TIME = '2024-06-01T00:00:00Z';

/** origin holding A, B, C on main; a depth-1 clone at C whose fetches are counted in `count`. */
function setUp(name: string, uploadPack: (count: string) => string) {
  const dir = path.join(root, name);
  const work = path.join(dir, 'work');
  const origin = path.join(dir, 'origin.git');
  const clone = path.join(dir, 'clone');
  const count = path.join(dir, 'fetches');
  execFileSync('mkdir', ['-p', work]);
  git(work, ['init', '--quiet', '--initial-branch=main']);
  const commits = [A_TIME, B_TIME, C_TIME].map((at) => {
    writeFileSync(path.join(work, 'x.yaml'), `at: ${at}\n`);
    git(work, ['add', '--all']);
    git(work, ['-c', 'user.name=t', '-c', 'user.email=t@example.com', 'commit', '--quiet', '-m', at], at);
    return git(work, ['rev-parse', 'HEAD']);
  });
  git(dir, ['clone', '--quiet', '--bare', work, origin]);
  git(dir, ['clone', '--quiet', '--depth', '1', `file://${origin}`, clone]);
  writeFileSync(count, '');
  git(clone, ['config', 'remote.origin.uploadpack', uploadPack(count)]);
  const [a, b, c] = commits as [string, string, string];
  return { clone, a, b, c, fetches: () => readFileSync(count, 'utf8').split('\n').length - 1 };
}

const deepening = (): Deepening => ({ headCommittedAt: C_TIME, silenceMs: () => 60_000 });

describe("a shallow clone's deepening, over the checks of one apply", () => {
  it('fetches once, again only for an earlier time', async () => {
    const { clone, a, b, c, fetches } = setUp('ok', (count) => `echo >> '${count}'; git-upload-pack`);
    const times = new Map([
      [a, A_TIME],
      [b, B_TIME],
    ]);
    const once = deepening();
    const relate = (commit: string) => commitRelations(clone, c, [commit], true, { deepening: once, times });

    expect(await relate(b)).toEqual(new Map([[b, 'contained']]));
    expect(fetches()).toBe(1);
    // The same time: the history fetched reaches it.
    expect(await relate(b)).toEqual(new Map([[b, 'contained']]));
    expect(fetches()).toBe(1);
    // An earlier time: fetched again, once.
    expect(await relate(a)).toEqual(new Map([[a, 'contained']]));
    expect(fetches()).toBe(2);
    // A later time than fetched for: no fetch.
    expect(await relate(b)).toEqual(new Map([[b, 'contained']]));
    expect(await relate(a)).toEqual(new Map([[a, 'contained']]));
    expect(fetches()).toBe(2);

    // Another apply's Deepening fetches for itself.
    expect(await commitRelations(clone, c, [b], true, { deepening: deepening(), times })).toEqual(
      new Map([[b, 'contained']]),
    );
    expect(fetches()).toBe(3);
  });

  it('asks the remote once when its fetch fails: every later check gets the same answer', async () => {
    const { clone, a, b, c, fetches } = setUp('failing', (count) => `echo >> '${count}'; false`);
    const times = new Map([
      [a, A_TIME],
      [b, B_TIME],
    ]);
    const once = deepening();
    const relate = (commit: string) => commitRelations(clone, c, [commit], true, { deepening: once, times });

    const first = (await relate(b).catch((error: unknown) => error)) as { why: string };
    expect(first).toMatchObject({ name: 'UnansweredHistoryError', commits: [b] });
    expect(first.why).toMatch(/^git fetch --shallow-since=\S+ from origin failed \(/);
    expect(fetches()).toBe(1);
    // The same time, and an earlier one: the same answer, the remote not asked again.
    for (const commit of [b, a]) {
      await expect(relate(commit)).rejects.toMatchObject({ commits: [commit], why: first.why });
    }
    expect(fetches()).toBe(1);
  });
});
