import { mkdir, readFile, rename, rm, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { apply, emulatorEnv } from '../helpers/apply-env.js';
import { runCli, withTempDir } from '../helpers/cli.js';
import { audienceNames, gitRepository, storedRecord } from '../helpers/work-tree.js';
import { manifestYaml } from '../helpers/manifests.js';
import { openStateStore } from '../../src/state/open.js';
import { usePostgres } from '../state/pg.js';
import { withEmulator, type TestEmulator } from '../helpers/with-emulator.js';

/**
 * Two repositories sharing one store, each with a directory of the same name (`audiences/`):
 * the records keep the repository they were applied from (its remote's path), and a plan of the
 * other leaves them alone (review 29, H-6: the second repository's plan deleted the first's
 * audiences). Real git repositories (their remotes are only named, never reached), the emulator
 * over HTTP, the CLI.
 */
const quiet = { ingestion: { onCreate: false } };
const postgres = usePostgres();

/** A repository `name` with `audiences/<key>.yaml` for each key, its origin `url`. */
async function repository(root: string, name: string, url: string | undefined, keys: readonly string[]) {
  const files = Object.fromEntries(keys.map((key) => [`audiences/${key}.yaml`, manifestYaml(key, quiet)]));
  const made = await gitRepository(root, files, name);
  if (url !== undefined) await made.git('remote', 'add', 'origin', url);
  return made;
}

async function plan(repo: string, state: string, env: Record<string, string>) {
  const out = await runCli(['plan', 'audiences', '--state', state], { cwd: repo, env });
  expect(out.stderr).not.toMatch(/\n\s+at /);
  expect(out.code, out.stderr).toBe(0);
  return out.stdout;
}

/** Repositories a (acme/a: a1, a2) and b (acme/b: b1), each applied to the store `state`. */
async function sharing(root: string, emulator: TestEmulator, state = path.join(root, 'state')) {
  const a = await repository(root, 'a', 'https://github.com/acme/a.git', ['a1', 'a2']);
  const b = await repository(root, 'b', 'git@github.com:Acme/B.git', ['b1']);
  const env = emulatorEnv(emulator);
  expect((await apply(path.join(a.repo, 'audiences'), state, env)).code).toBe(0);
  expect((await apply(path.join(b.repo, 'audiences'), state, env)).code).toBe(0);
  expect(audienceNames(emulator)).toEqual(['Audience a1', 'Audience a2', 'Audience b1']);
  return { a, b, state, env };
}

const othersNote = (count: number, from: string, planned: string) =>
  `Other repositories: ${count} recorded audience(s) applied from ${from}, whose manifests this plan, of ${planned}, does not read; left alone, never deleted here: a plan in a clone of their repository deletes them when their manifest is removed there. If ${planned} is ${from} renamed, restore a removed manifest here and apply (its record then names ${planned}), then remove it again.`;

describe('two repositories sharing a store, each with audiences/', () => {
  it("the second repository's plan and apply leave the first's audiences alone; the first's removal deletes", async () => {
    await withTempDir(async (root) =>
      withEmulator({ operationDelayMs: 10 }, async (emulator) => {
        const { a, b, state, env } = await sharing(root, emulator);
        expect((await storedRecord(state, 'a1')).repository).toBe('acme/a');
        expect((await storedRecord(state, 'b1')).repository).toBe('acme/b');

        const planned = await plan(b.repo, state, env);
        expect(planned).not.toMatch(/prod\/a[12]\s+delete/);
        expect(planned.replace(/\s+/g, ' ')).toContain(othersNote(2, 'acme/a', 'acme/b'));
        expect((await apply(path.join(b.repo, 'audiences'), state, env)).code).toBe(0);
        expect(audienceNames(emulator)).toEqual(['Audience a1', 'Audience a2', 'Audience b1']);

        // In the repository it was applied from, a removed manifest deletes as ever.
        await rm(path.join(a.repo, 'audiences/a1.yaml'));
        expect(await plan(a.repo, state, env)).toMatch(/prod\/a1\s+delete/);
        expect((await apply(path.join(a.repo, 'audiences'), state, env)).code).toBe(0);
        expect(audienceNames(emulator)).toEqual(['Audience a2', 'Audience b1']);
      }),
    );
  });

  it("the same with the PostgreSQL store both repositories' jobs share", async () => {
    await withTempDir(async (root) =>
      withEmulator({ operationDelayMs: 10 }, async (emulator) => {
        const location = await postgres.freshLocation();
        const { a, b, env } = await sharing(root, emulator, location);
        const store = await openStateStore(location);
        try {
          expect((await store.get('prod', 'a1'))?.repository).toBe('acme/a');
        } finally {
          await store.close();
        }
        const planned = await plan(b.repo, location, env);
        expect(planned).not.toMatch(/prod\/a[12]\s+delete/);
        expect(planned.replace(/\s+/g, ' ')).toContain(othersNote(2, 'acme/a', 'acme/b'));
        await rm(path.join(a.repo, 'audiences/a2.yaml'));
        expect((await apply(path.join(a.repo, 'audiences'), location, env)).code).toBe(0);
        expect((await apply(path.join(b.repo, 'audiences'), location, env)).code).toBe(0);
        expect(audienceNames(emulator)).toEqual(['Audience a1', 'Audience b1']);
      }),
    );
  });

  it('a renamed repository re-records the audiences it holds, and its printed way out deletes one removed meanwhile', async () => {
    await withTempDir(async (root) =>
      withEmulator({ operationDelayMs: 10 }, async (emulator) => {
        const { a, state, env } = await sharing(root, emulator);
        await a.git('remote', 'set-url', 'origin', 'https://github.com/acme/audiences.git');
        const removed = path.join(a.repo, 'audiences/a1.yaml');
        await rm(removed);

        const planned = await plan(a.repo, state, env);
        expect(planned).not.toMatch(/prod\/a1\s+delete/);
        expect(planned).toMatch(
          /prod\/a2\s+update:\s+manifest repository changed \(record only, no API call\)/,
        );
        // b1 is acme/b's: another repository's for this one too.
        expect(planned.replace(/\s+/g, ' ')).toContain(
          'Other repositories: 2 recorded audience(s) applied from acme/a (1), acme/b (1), whose manifests this plan, of acme/audiences, does not read; left alone, never deleted here: a plan in a clone of their repository deletes them when their manifest is removed there. If acme/audiences is one of them renamed, restore a removed manifest here and apply (its record then names acme/audiences), then remove it again.',
        );
        expect((await apply(path.join(a.repo, 'audiences'), state, env)).code).toBe(0);
        expect((await storedRecord(state, 'a2')).repository).toBe('acme/audiences');
        expect(audienceNames(emulator)).toEqual(['Audience a1', 'Audience a2', 'Audience b1']);

        // The way out: restore the manifest and apply, then remove it again.
        await writeFile(removed, manifestYaml('a1', quiet));
        expect((await apply(path.join(a.repo, 'audiences'), state, env)).code).toBe(0);
        expect((await storedRecord(state, 'a1')).repository).toBe('acme/audiences');
        await rm(removed);
        expect((await apply(path.join(a.repo, 'audiences'), state, env)).code).toBe(0);
        expect(audienceNames(emulator)).toEqual(['Audience a2', 'Audience b1']);
      }),
    );
  });

  it("a saved plan carries its repository: applied where .git is gone, it deletes none of the other repository's audiences", async () => {
    await withTempDir(async (root) =>
      withEmulator({ operationDelayMs: 10 }, async (emulator) => {
        const { b, state, env } = await sharing(root, emulator);
        await rm(path.join(b.repo, 'audiences/b1.yaml'));
        await writeFile(path.join(b.repo, 'audiences/b2.yaml'), manifestYaml('b2', quiet));
        const out = path.join(root, 'plan.json');
        const planned = await runCli(
          ['plan', 'audiences', '--state', state, '--output', 'json', '--out', out],
          {
            cwd: b.repo,
            env,
          },
        );
        expect(planned.code, planned.stderr).toBe(0);
        const saved = JSON.parse(await readFile(out, 'utf8')) as Record<string, unknown>;
        expect(saved.otherRepositories).toEqual({
          planned: 'acme/b',
          recorded: [{ repository: 'acme/a', count: 2 }],
        });

        // The apply job: the same path, unpacked from an artifact (no .git, so no remote to read).
        await rename(path.join(b.repo, '.git'), path.join(root, 'git-away'));
        const applied = await runCli(['apply', out, '--state', state, '--auto-approve'], { cwd: root, env });
        expect(applied.code, applied.stderr).toBe(0);
        expect(audienceNames(emulator)).toEqual(['Audience a1', 'Audience a2', 'Audience b2']);
        expect((await storedRecord(state, 'b2')).repository).toBe('acme/b');
      }),
    );
  });

  it('state import and state import --discover record the repository, as an apply does', async () => {
    await withTempDir(async (root) =>
      withEmulator({ operationDelayMs: 10 }, async (emulator) => {
        const { repo } = await repository(root, 'c', 'https://github.com/acme/c.git', ['c1', 'c2']);
        const env = emulatorEnv(emulator);
        const first = path.join(root, 'first');
        expect((await apply(path.join(repo, 'audiences'), first, env)).code).toBe(0);
        const id = (await storedRecord(first, 'c1')).audienceId!;

        // A lost store rebuilt: one audience by id, the other found by name.
        const state = path.join(root, 'state');
        await mkdir(state);
        const imported = await runCli(
          ['state', 'import', 'c1', 'audiences', '--audience-id', id, '--state', state],
          {
            cwd: repo,
            env,
          },
        );
        expect(imported.code, imported.stderr).toBe(0);
        const discovered = await runCli(['state', 'import', '--discover', 'audiences', '--state', state], {
          cwd: repo,
          env,
        });
        expect(discovered.code, discovered.stderr).toBe(0);
        expect((await storedRecord(state, 'c1')).repository).toBe('acme/c');
        expect((await storedRecord(state, 'c2')).repository).toBe('acme/c');
      }),
    );
  });

  it('a repository without a remote records none; given one, its records get it without a call', async () => {
    await withTempDir(async (root) =>
      withEmulator({ operationDelayMs: 10 }, async (emulator) => {
        const { repo, git } = await repository(root, 'c', undefined, ['c1']);
        const state = path.join(root, 'state');
        const env = emulatorEnv(emulator);
        expect((await apply(path.join(repo, 'audiences'), state, env)).code).toBe(0);
        expect(await storedRecord(state, 'c1')).not.toHaveProperty('repository');

        await git('remote', 'add', 'origin', 'ssh://git@gitlab.example.com:2222/group/sub/c.git');
        expect(await plan(repo, state, env)).toMatch(
          /prod\/c1\s+update:\s+manifest repository recorded \(record only, no API call\)/,
        );
        emulator.control.resetCounters();
        expect((await apply(path.join(repo, 'audiences'), state, env)).code).toBe(0);
        expect((await storedRecord(state, 'c1')).repository).toBe('group/sub/c');
        expect(emulator.control.counters().requests).toBe(0);
        expect(await plan(repo, state, env)).toMatch(/No changes/);
      }),
    );
  });
});
