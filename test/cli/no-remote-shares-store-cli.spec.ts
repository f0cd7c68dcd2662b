import { execFile } from 'node:child_process';
import { rm } from 'node:fs/promises';
import path from 'node:path';
import { promisify } from 'node:util';
import { describe, expect, it } from 'vitest';
import { apply, emulatorEnv } from '../helpers/apply-env.js';
import { GIT_ENV, runCli, withTempDir } from '../helpers/cli.js';
import { manifestYaml } from '../helpers/manifests.js';
import { audienceNames, gitIn, gitRepository, storedRecord } from '../helpers/work-tree.js';
import { withEmulator, type TestEmulator } from '../helpers/with-emulator.js';
import { usePostgres } from '../state/pg.js';

/**
 * A repository with no remote yet (`git init` of a second team's manifests, not pushed) planned
 * against the store another repository (acme/a, with its origin) applied, from a directory of
 * the same name (`audiences/`): its plan compares no repository, and acme/a's records read as
 * its own removed manifests, so `apply` deleted acme/a's audiences. acme/a's commit is not in
 * this repository's history, so nothing shows this work tree removing their files: held as
 * possibly another repository's (review scope-41, H-1). A clone of acme/a whose remote was
 * removed still deletes a manifest its history removes.
 */
const quiet = { ingestion: { onCreate: false } };
const run = promisify(execFile);
const postgres = usePostgres();

/** acme/a (a1, a2) applied to `state`, then b (b1, no remote), committed an hour after a. */
async function sharing(root: string, emulator: TestEmulator, state: string) {
  const env = emulatorEnv(emulator);
  const a = await gitRepository(
    root,
    { 'audiences/a1.yaml': manifestYaml('a1', quiet), 'audiences/a2.yaml': manifestYaml('a2', quiet) },
    'a',
  );
  await a.git('remote', 'add', 'origin', 'https://github.com/acme/a.git');
  expect((await apply(path.join(a.repo, 'audiences'), state, env)).code).toBe(0);
  const b = await gitRepository(root, { 'audiences/b1.yaml': manifestYaml('b1', quiet) }, 'b');
  const { stdout: when } = await a.git('log', '-1', '--format=%ct');
  const later = `@${Number(when.trim()) + 3600} +0000`;
  await run('git', ['commit', '--amend', '--no-edit', '--quiet'], {
    cwd: b.repo,
    env: { ...process.env, ...GIT_ENV, GIT_COMMITTER_DATE: later, GIT_AUTHOR_DATE: later },
  });
  return { a, b, env };
}

const heldLine = (key: string) =>
  `prod/${key}: it was applied from acme/a (its directory audiences), where its file audiences/${key}.yaml is gone, and this work tree names no repository (it has no remote, or its remote is a path on this machine or a file:// URL) and its history does not show it removing that file: it may be another repository's, sharing the store; the audience is left as it is: if this is acme/a, name its URL as origin (git remote add origin <its URL>, or git remote set-url origin <its URL> where origin is a path) and plan again; to delete the audience, remove its manifest in a clone of acme/a`;

async function expectLeftAlone(
  repo: string,
  state: string,
  env: Record<string, string>,
  emulator: TestEmulator,
  dir = 'audiences',
) {
  const planned = await runCli(['plan', dir, '--state', state], { cwd: repo, env });
  expect(planned.code, planned.stderr).toBe(0);
  expect(planned.stdout).toMatch(/\+ prod\/b1\s+create/);
  expect(planned.stdout).not.toMatch(/prod\/a[12]\s+delete/);
  const flat = planned.stdout.replace(/\s+/g, ' ');
  expect(flat).toContain(heldLine('a1'));
  expect(flat).toContain(heldLine('a2'));

  const applied = await runCli(['apply', dir, '--state', state, '--auto-approve'], {
    cwd: repo,
    env,
  });
  expect(applied.stderr).not.toMatch(/\n\s+at /);
  expect(applied.code, applied.stderr).toBe(0);
  expect(audienceNames(emulator)).toEqual(['Audience a1', 'Audience a2', 'Audience b1']);
}

// Planned at its top (`.`, which holds a directory of the records' name), the records were read
// as the plan's own, below the directory given, and deleted (found by the sixtieth pass).
describe('a repository without a remote sharing a store with one that has one', () => {
  it.each(['audiences', '.'])(
    "neither plans nor applies the deletion of the other repository's audiences (plan %s)",
    async (dir) => {
      await withTempDir(async (root) =>
        withEmulator({ operationDelayMs: 10 }, async (emulator) => {
          const state = path.join(root, 'state');
          const { b, env } = await sharing(root, emulator, state);
          expect((await storedRecord(state, 'a1')).repository).toBe('acme/a');
          await expectLeftAlone(b.repo, state, env, emulator, dir);
        }),
      );
    },
  );

  it('the same with a PostgreSQL store', async () => {
    await withTempDir(async (root) =>
      withEmulator({ operationDelayMs: 10 }, async (emulator) => {
        const location = await postgres.freshLocation();
        const { b, env } = await sharing(root, emulator, location);
        await expectLeftAlone(b.repo, location, env, emulator);
      }),
    );
  });

  it.each(['audiences', '.'])(
    'a clone of the repository with its remote removed still deletes what its history removed (plan %s)',
    async (dir) => {
      await withTempDir(async (root) =>
        withEmulator({ operationDelayMs: 10 }, async (emulator) => {
          const state = path.join(root, 'state');
          const { a, env } = await sharing(root, emulator, state);
          const clone = path.join(root, 'clone');
          await run('git', ['clone', '--quiet', a.repo, clone], { env: { ...process.env, ...GIT_ENV } });
          const git = gitIn(clone);
          await git('remote', 'remove', 'origin');
          await rm(path.join(clone, 'audiences/a1.yaml'));
          await git('commit', '--quiet', '-am', 'remove a1');
          const planned = await runCli(['plan', dir, '--state', state], { cwd: clone, env });
          expect(planned.stdout).toMatch(/- prod\/a1\s+delete: manifest removed/);
          const applied = await runCli(['apply', dir, '--state', state, '--auto-approve'], {
            cwd: clone,
            env,
          });
          expect(applied.code, applied.stderr).toBe(0);
          expect(audienceNames(emulator)).toEqual(['Audience a2']);
        }),
      );
    },
  );
});
