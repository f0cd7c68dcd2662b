import { mkdir, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { emulatorEnv } from '../helpers/apply-env.js';
import { runCli, withTempDir } from '../helpers/cli.js';
import { runCliInProcess } from '../helpers/cli-in-process.js';
import { manifestYaml } from '../helpers/manifests.js';
import { audienceNames } from '../helpers/work-tree.js';
import { withEmulator, type TestEmulator } from '../helpers/with-emulator.js';
import { usePostgres } from '../state/pg.js';
import { bothStores, gitAt, metaOf, type StoreKind } from '../helpers/marks.js';

/**
 * A rollback sticks (review 30, M-2; docs/state.md, "Rolled back"): P holds silver; X, on top
 * of it, adds gold. Clone A applies X (gold created, prod marked X). The branch is force-pushed
 * back to P, and a fresh clone B applies it with --allow-older-checkout: gold is deleted, prod
 * is marked P and remembers it was rolled back from X. A clone still at X, never fetched, contains
 * P: it is refused, before any call. A merge of X on top of P, made after the rollback, applies.
 * Real git (a bare origin and three clones), the emulator over HTTP, the built CLI, both stores.
 */
const postgres = usePostgres();
const quiet = { ingestion: { onCreate: false } };
// Long before any run of this test: both commits are made before the rollback.
const P_TIME = '2020-01-01T10:00:00.000Z';
const X_TIME = '2020-01-01T11:00:00.000Z';
const ORIGIN_URL = 'https://github.com/acme/audiences.git';
const STACK = /\n\s+at /;

const stores = bothStores(postgres);

/** A clone of `origin` at `dir`, its origin then named as the team's GitHub repository. */
async function cloneOf(origin: string, dir: string): Promise<string> {
  await gitAt(path.dirname(dir), ['clone', '--quiet', origin, dir]);
  // Never fetched again: the URL only names the repository the marks keep.
  await gitAt(dir, ['remote', 'set-url', 'origin', ORIGIN_URL]);
  return dir;
}

type RolledBack = {
  emulator: TestEmulator;
  state: string;
  /** Clone A: applied X, then reset to P by the force-push it made (X still in its objects). */
  author: string;
  /** A clone at X, never fetched since. */
  stale: string;
  p: string;
  x: string;
  /** When the rollback was applied, as its mark says. */
  at: string;
  apply: (clone: string, ...flags: string[]) => ReturnType<typeof runCli>;
};

/** The story up to the rollback applied from clone B (at P, fetched after the force-push). */
async function rolledBack(root: string, emulator: TestEmulator, kind: StoreKind): Promise<RolledBack> {
  const origin = path.join(root, 'origin.git');
  await mkdir(origin);
  await gitAt(origin, ['init', '--quiet', '--bare', '--initial-branch', 'main']);
  const author = path.join(root, 'a');
  await mkdir(path.join(author, 'audiences'), { recursive: true });
  await gitAt(author, ['init', '--quiet', '--initial-branch', 'main']);
  await gitAt(author, ['remote', 'add', 'origin', origin]);
  await writeFile(path.join(author, 'audiences/silver.yaml'), manifestYaml('silver', quiet));
  await gitAt(author, ['add', '--all']);
  await gitAt(author, ['commit', '--quiet', '-m', 'silver'], P_TIME);
  const p = await gitAt(author, ['rev-parse', 'HEAD']);
  await writeFile(path.join(author, 'audiences/gold.yaml'), manifestYaml('gold', quiet));
  await gitAt(author, ['add', '--all']);
  await gitAt(author, ['commit', '--quiet', '-m', 'gold'], X_TIME);
  const x = await gitAt(author, ['rev-parse', 'HEAD']);
  await gitAt(author, ['push', '--quiet', 'origin', 'main']);
  const stale = await cloneOf(origin, path.join(root, 'stale'));

  const state = await kind.location(root);
  const env = emulatorEnv(emulator);
  const apply = (clone: string, ...flags: string[]) =>
    runCli(['apply', path.join(clone, 'audiences'), '--state', state, '--auto-approve', ...flags], { env });
  // The story's own applies (at X, then the rollback at P) run the CLI's entry in process;
  // the tests' applies (story.apply) spawn the built CLI.
  const setUp = (clone: string, ...flags: string[]) =>
    runCliInProcess(['apply', path.join(clone, 'audiences'), '--state', state, '--auto-approve', ...flags], {
      env,
    });
  // The author's apply names the same repository as the clones'.
  await gitAt(author, ['remote', 'set-url', 'origin', ORIGIN_URL]);
  const atX = await setUp(author);
  expect(atX.code, atX.stderr).toBe(0);
  expect(audienceNames(emulator)).toEqual(['Audience gold', 'Audience silver']);

  // The rollback: main force-pushed back to P, a fresh clone applies it anyway.
  await gitAt(author, ['remote', 'set-url', 'origin', origin]);
  await gitAt(author, ['reset', '--quiet', '--hard', p]);
  await gitAt(author, ['push', '--quiet', '--force', 'origin', 'main']);
  await gitAt(author, ['remote', 'set-url', 'origin', ORIGIN_URL]);
  const fresh = await cloneOf(origin, path.join(root, 'b'));
  const before = Date.now();
  const atP = await setUp(fresh, '--allow-older-checkout');
  const after = Date.now();
  expect(atP.code, atP.stderr).toBe(0);
  expect(atP.stderr).toContain('Warning: --allow-older-checkout: prod/gold was last applied from commit');
  expect(audienceNames(emulator)).toEqual(['Audience silver']);
  const mark = (await metaOf(state))?.revisions?.prod;
  const at = mark?.rolledBackFrom?.[0]?.at ?? '';
  expect(mark).toEqual({
    commit: p,
    committedAt: P_TIME,
    repository: 'acme/audiences',
    // P, the first commit, is the history's root (SandboxMark.roots).
    roots: [p],
    rolledBackFrom: [{ commit: x, committedAt: X_TIME, to: p, at }],
  });
  expect(Date.parse(at)).toBeGreaterThanOrEqual(before);
  expect(Date.parse(at)).toBeLessThanOrEqual(after);
  return { emulator, state, author, stale, p, x, at, apply };
}

/** The refusal a clone at X meets (exit 1, one line, nothing called or written). */
async function expectStaleRefused(story: RolledBack): Promise<void> {
  const { emulator, state, stale, p, x, at, apply } = story;
  const meta = await metaOf(state);
  emulator.control.resetCounters();
  const refused = await apply(stale);
  expect(refused.code).toBe(1);
  expect(refused.stderr).toContain(
    `Error: refusing to undo a rollback: sandbox prod was rolled back from commit ${x.slice(0, 7)} (committed ${X_TIME}) to ${p.slice(0, 7)} at ${at}; this checkout's HEAD ${x.slice(0, 7)} (committed ${X_TIME}, before that) contains ${x.slice(0, 7)} and would create prod/gold again. Nothing was applied. Fetch and check out the branch as pushed (git pull keeps the commit rolled back from), then apply from it, or pass --allow-older-checkout to apply anyway\n`,
  );
  expect(refused.stderr).not.toMatch(STACK);
  expect(emulator.control.counters().requests).toBe(0);
  expect(audienceNames(emulator)).toEqual(['Audience silver']);
  expect(await metaOf(state)).toEqual(meta);
}

describe('a rollback applied with --allow-older-checkout sticks', () => {
  it.each(stores)(
    '$name store: a clone still at the commit rolled back from is refused; a merge of it made since applies',
    async (kind) => {
      await withTempDir(async (root) =>
        withEmulator(undefined, async (emulator) => {
          const story = await rolledBack(root, emulator, kind);
          await expectStaleRefused(story);
          // `plan` in that clone says so: a CI gate on --detailed-exitcode sees it as blocked (3).
          const planned = await runCli(
            ['plan', path.join(story.stale, 'audiences'), '--state', story.state, '--detailed-exitcode'],
            { env: emulatorEnv(emulator) },
          );
          expect(planned.code).toBe(3);
          expect(planned.stdout).toContain(
            `Warning: apply would refuse this plan: sandbox prod was rolled back from commit ${story.x.slice(0, 7)}`,
          );

          // Gold merged again on top of P, after the rollback: applied, and the mark forgets it.
          await gitAt(story.author, ['merge', '--quiet', '--no-ff', '-m', 'gold again', story.x]);
          const merge = await gitAt(story.author, ['rev-parse', 'HEAD']);
          const mergedAt = new Date(
            Number(await gitAt(story.author, ['log', '-1', '--format=%ct', 'HEAD'])) * 1000,
          ).toISOString();
          const again = await story.apply(story.author);
          expect(again.code, again.stderr).toBe(0);
          expect(audienceNames(emulator)).toEqual(['Audience gold', 'Audience silver']);
          expect((await metaOf(story.state))?.revisions).toEqual({
            prod: { commit: merge, committedAt: mergedAt, repository: 'acme/audiences', roots: [story.p] },
          });

          // The clone at X, still not fetched, now has nothing to change: it calls nothing, and the
          // newer mark stays.
          const marked = await metaOf(story.state);
          emulator.control.resetCounters();
          const stillStale = await story.apply(story.stale);
          expect(stillStale.code, stillStale.stderr).toBe(0);
          expect(stillStale.stdout).toContain('No changes.');
          expect(emulator.control.counters().requests).toBe(0);
          expect(await metaOf(story.state)).toEqual(marked);
        }),
      );
    },
  );

  it('--allow-older-checkout from the clone at the commit rolled back from applies it again', async () => {
    await withTempDir(async (root) =>
      withEmulator(undefined, async (emulator) => {
        const story = await rolledBack(root, emulator, stores[0]!);
        await expectStaleRefused(story);
        const anyway = await story.apply(story.stale, '--allow-older-checkout');
        expect(anyway.code, anyway.stderr).toBe(0);
        expect(anyway.stderr).toContain(
          `Warning: --allow-older-checkout: sandbox prod was rolled back from commit ${story.x.slice(0, 7)}`,
        );
        expect(audienceNames(emulator)).toEqual(['Audience gold', 'Audience silver']);
        // X applied again is the newest apply: its own rollback is forgotten.
        expect((await metaOf(story.state))?.revisions).toEqual({
          prod: { commit: story.x, committedAt: X_TIME, repository: 'acme/audiences', roots: [story.p] },
        });
        const again = await story.apply(story.stale);
        expect(again.code, again.stderr).toBe(0);
        expect(again.stdout).toContain('No changes.');
      }),
    );
  });
});
