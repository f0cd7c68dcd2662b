import { mkdir, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { emulatorEnv } from '../helpers/apply-env.js';
import { runCli, withTempDir } from '../helpers/cli.js';
import { runCliInProcess } from '../helpers/cli-in-process.js';
import { manifestYaml } from '../helpers/manifests.js';
import { audienceNames } from '../helpers/work-tree.js';
import { withEmulator } from '../helpers/with-emulator.js';
import { usePostgres } from '../state/pg.js';
import { bothStores, gitAt, metaOf } from '../helpers/marks.js';

/**
 * A revert applied with nothing to change still marks its sandbox (README, "How it stays
 * safe"): C1 adds teams/x/gold.yaml and is applied; C2 removes it; C3 reverts C2 and is applied,
 * which changes nothing. A branch cut at C2 then lacks gold.yaml, and gold's record says C1,
 * which C2 contains: its apply deleted gold, though main (C3, applied) keeps it. Real git, the
 * emulator over HTTP, the built CLI, both stores. The applies each case is about spawn the built
 * CLI; the first applies, which only set the story up, run the CLI's entry in this process.
 */
const postgres = usePostgres();
const quiet = { ingestion: { onCreate: false } };
const C1_TIME = '2026-12-01T10:00:00.000Z';
const C2_TIME = '2026-12-01T11:00:00.000Z';
const C3_TIME = '2026-12-01T12:00:00.000Z';
const STACK = /\n\s+at /;

const stores = bothStores(postgres);

/** A repository `root/name` whose origin is `url`, holding `files` committed at `at` on main. */
async function repository(
  root: string,
  name: string,
  url: string,
  files: Record<string, string>,
  at: string,
) {
  const repo = path.join(root, name);
  await mkdir(path.join(repo, 'audiences'), { recursive: true });
  await gitAt(repo, ['init', '--quiet', '--initial-branch', 'main']);
  await gitAt(repo, ['remote', 'add', 'origin', url]);
  for (const [file, text] of Object.entries(files)) await writeFile(path.join(repo, file), text);
  await gitAt(repo, ['add', '--all']);
  await gitAt(repo, ['commit', '--quiet', '-m', 'audiences'], at);
  return { repo, commit: await gitAt(repo, ['rev-parse', 'HEAD']) };
}

describe('a revert applied with nothing to change', () => {
  it.each(stores)(
    '$name store: the branch cut before the revert is refused the deletion the revert undid',
    async (kind) => {
      await withTempDir(async (root) =>
        withEmulator(undefined, async (emulator) => {
          const repo = path.join(root, 'repo');
          await mkdir(path.join(repo, 'teams/x'), { recursive: true });
          await gitAt(repo, ['init', '--quiet', '--initial-branch', 'main']);
          await writeFile(path.join(repo, 'teams/x/gold.yaml'), manifestYaml('gold', quiet));
          await writeFile(path.join(repo, 'teams/x/silver.yaml'), manifestYaml('silver', quiet));
          await gitAt(repo, ['add', '--all']);
          await gitAt(repo, ['commit', '--quiet', '-m', 'gold and silver'], C1_TIME);
          const c1 = await gitAt(repo, ['rev-parse', 'HEAD']);
          const state = await kind.location(root);
          const env = emulatorEnv(emulator);
          const dir = path.join(repo, 'teams/x');
          const args = ['apply', dir, '--state', state, '--auto-approve'];
          const apply = () => runCli(args, { env });

          const atC1 = await runCliInProcess(args, { env });
          expect(atC1.code, atC1.stderr).toBe(0);
          expect(audienceNames(emulator)).toEqual(['Audience gold', 'Audience silver']);

          await gitAt(repo, ['rm', '--quiet', 'teams/x/gold.yaml']);
          await gitAt(repo, ['commit', '--quiet', '-m', 'gold removed'], C2_TIME);
          const c2 = await gitAt(repo, ['rev-parse', 'HEAD']);
          await gitAt(repo, ['branch', 'cut-at-c2']);
          await gitAt(repo, ['revert', '--no-edit', 'HEAD'], C3_TIME);
          const c3 = await gitAt(repo, ['rev-parse', 'HEAD']);

          // CI applies C3 only: nothing to change, no call; the sandbox is marked with C3.
          const serialAtC1 = (await metaOf(state))?.serial;
          emulator.control.resetCounters();
          const atC3 = await apply();
          expect(atC3.code, atC3.stderr).toBe(0);
          expect(atC3.stdout).toContain('No changes.');
          expect(emulator.control.counters().requests).toBe(0);
          const marked = await metaOf(state);
          expect(marked?.revisions).toEqual({ prod: { commit: c3, committedAt: C3_TIME } });
          expect(marked?.serial).toBe((serialAtC1 ?? 0) + 1);

          // Applied again at C3: nothing to change and nothing to write.
          const again = await apply();
          expect(again.code, again.stderr).toBe(0);
          expect(emulator.control.counters().requests).toBe(0);
          expect((await metaOf(state))?.serial).toBe(marked?.serial);

          // The branch cut at C2 lacks gold.yaml: refused, before any call.
          await gitAt(repo, ['checkout', '--quiet', 'cut-at-c2']);
          const refused = await apply();
          expect(refused.code).toBe(1);
          expect(refused.stderr).toContain(
            `Error: refusing to undo a newer apply: prod/gold was last applied from commit ${c3.slice(0, 7)} (committed ${C3_TIME}), which this checkout's HEAD ${c2.slice(0, 7)} (committed ${C2_TIME}) does not contain. Nothing was applied. Pull or fetch the newer commit and apply from it, or pass --allow-older-checkout to apply anyway\n`,
          );
          expect(refused.stderr).not.toMatch(STACK);
          expect(emulator.control.counters().requests).toBe(0);
          expect(audienceNames(emulator)).toEqual(['Audience gold', 'Audience silver']);
          expect(await metaOf(state)).toEqual(marked);

          // C1 itself has nothing to change: applied, it leaves the newer mark where it is.
          await gitAt(repo, ['checkout', '--quiet', c1]);
          const atC1Again = await apply();
          expect(atC1Again.code, atC1Again.stderr).toBe(0);
          expect(atC1Again.stdout).toContain('No changes.');
          expect(emulator.control.counters().requests).toBe(0);
          expect(await metaOf(state)).toEqual(marked);
        }),
      );
    },
  );

  it("another repository's mark on the sandbox refuses nothing: a newer commit of acme/b leaves acme/a's removal alone", async () => {
    await withTempDir(async (root) =>
      withEmulator(undefined, async (emulator) => {
        const a = await repository(
          root,
          'a',
          'https://github.com/acme/a.git',
          { 'audiences/a1.yaml': manifestYaml('a1', quiet), 'audiences/a2.yaml': manifestYaml('a2', quiet) },
          C1_TIME,
        );
        const b = await repository(
          root,
          'b',
          'https://github.com/acme/b.git',
          { 'audiences/b1.yaml': manifestYaml('b1', quiet) },
          C3_TIME,
        );
        const state = path.join(root, 'state');
        await mkdir(state);
        const env = emulatorEnv(emulator);
        const args = (repo: string) => [
          'apply',
          path.join(repo, 'audiences'),
          '--state',
          state,
          '--auto-approve',
        ];
        const apply = (repo: string) => runCli(args(repo), { env });
        expect((await runCliInProcess(args(a.repo), { env })).code).toBe(0);
        expect((await runCliInProcess(args(b.repo), { env })).code).toBe(0);
        expect((await metaOf(state))?.revisions).toEqual({
          prod: {
            commit: b.commit,
            committedAt: C3_TIME,
            repository: 'acme/b',
            // Each repository's first commit is its root (SandboxMark.roots).
            roots: [b.commit],
            otherRepositories: [
              { commit: a.commit, committedAt: C1_TIME, repository: 'acme/a', roots: [a.commit] },
            ],
          },
        });

        // acme/a removes a1 at C2, before acme/b's commit and not in a's history: a1 is deleted.
        await gitAt(a.repo, ['rm', '--quiet', 'audiences/a1.yaml']);
        await gitAt(a.repo, ['commit', '--quiet', '-m', 'a1 removed'], C2_TIME);
        const removed = await apply(a.repo);
        expect(removed.code, removed.stderr).toBe(0);
        expect(audienceNames(emulator)).toEqual(['Audience a2', 'Audience b1']);
        const c2 = await gitAt(a.repo, ['rev-parse', 'HEAD']);
        expect((await metaOf(state))?.revisions).toEqual({
          prod: {
            commit: c2,
            committedAt: C2_TIME,
            repository: 'acme/a',
            roots: [a.commit],
            otherRepositories: [
              { commit: b.commit, committedAt: C3_TIME, repository: 'acme/b', roots: [b.commit] },
            ],
          },
        });
      }),
    );
  });
});
