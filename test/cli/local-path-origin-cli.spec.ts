import { mkdir, rm } from 'node:fs/promises';
import path from 'node:path';
import { pathToFileURL } from 'node:url';
import { describe, expect, it } from 'vitest';
import { apply, emulatorEnv } from '../helpers/apply-env.js';
import { runCli, withTempDir } from '../helpers/cli.js';
import { manifestYaml } from '../helpers/manifests.js';
import { audienceNames, gitIn, gitRepository, storedRecord } from '../helpers/work-tree.js';
import { withEmulator } from '../helpers/with-emulator.js';

/**
 * A work tree whose `origin` is a local path or a file:// URL (a clone of a clone on this
 * machine, a bare repository beside it) names no repository (README, "Several repositories,
 * one store"). acme/a (its origin on GitHub) applied a1 and a2 to the store; planned from such a
 * work tree, their records are deleted only where git shows this work tree removing their files.
 */
const quiet = { ingestion: { onCreate: false } };

/** acme/a (its origin on GitHub) in `root`, its a1 and a2 applied to the store in `state`. */
async function appliedFromAcmeA(root: string, state: string, env: Record<string, string>) {
  const a = await gitRepository(
    root,
    { 'audiences/a1.yaml': manifestYaml('a1', quiet), 'audiences/a2.yaml': manifestYaml('a2', quiet) },
    'a',
  );
  await a.git('remote', 'add', 'origin', 'https://github.com/acme/a.git');
  expect((await apply(path.join(a.repo, 'audiences'), state, env)).code).toBe(0);
  return a;
}

describe('a work tree whose origin is a local path or file:// URL', () => {
  it.each([
    ['a local path', (dir: string) => dir],
    ['a file:// URL', (dir: string) => pathToFileURL(dir).href],
  ])("another repository's (origin %s) holds acme/a's audiences, saying how to name it", async (_, url) => {
    await withTempDir(async (root) =>
      withEmulator({ operationDelayMs: 10 }, async (emulator) => {
        const env = emulatorEnv(emulator);
        const state = path.join(root, 'state');
        await mkdir(state);
        await appliedFromAcmeA(root, state, env);
        expect((await storedRecord(state, 'a1')).repository).toBe('acme/a');
        // b: another team's repository, its origin a bare repository on this machine.
        const b = await gitRepository(root, { 'audiences/b1.yaml': manifestYaml('b1', quiet) }, 'b');
        const bare = path.join(root, 'b.git');
        await gitIn(root)('init', '--quiet', '--bare', bare);
        await b.git('remote', 'add', 'origin', url(bare));

        const planned = await runCli(['plan', 'audiences', '--state', state], { cwd: b.repo, env });
        expect(planned.code, planned.stderr).toBe(0);
        expect(planned.stdout).not.toMatch(/prod\/a[12]\s+delete/);
        const flat = planned.stdout.replace(/\s+/g, ' ');
        expect(flat).toContain(
          `prod/a1: it was applied from acme/a (its directory audiences), where its file audiences/a1.yaml is gone, and this work tree names no repository (it has no remote, or its remote is a path on this machine or a file:// URL) and its history does not show it removing that file: it may be another repository's, sharing the store; the audience is left as it is: if this is acme/a, name its URL as origin (git remote add origin <its URL>, or git remote set-url origin <its URL> where origin is a path) and plan again; to delete the audience, remove its manifest in a clone of acme/a`,
        );
        const applied = await runCli(['apply', 'audiences', '--state', state, '--auto-approve'], {
          cwd: b.repo,
          env,
        });
        expect(applied.code, applied.stderr).toBe(0);
        expect(audienceNames(emulator)).toEqual(['Audience a1', 'Audience a2', 'Audience b1']);
      }),
    );
  });

  it("a clone of acme/a's clone deletes the manifest its history removes, and only that one", async () => {
    await withTempDir(async (root) =>
      withEmulator({ operationDelayMs: 10 }, async (emulator) => {
        const env = emulatorEnv(emulator);
        const state = path.join(root, 'state');
        await mkdir(state);
        const a = await appliedFromAcmeA(root, state, env);
        const c = path.join(root, 'c');
        await gitIn(root)('clone', '--quiet', a.repo, c);
        await rm(path.join(c, 'audiences/a1.yaml'));
        await gitIn(c)('commit', '--quiet', '-am', 'a1 removed');
        const planned = await runCli(['plan', 'audiences', '--state', state], { cwd: c, env });
        expect(planned.code, planned.stderr).toBe(0);
        expect(planned.stdout).toMatch(/prod\/a1\s+delete/);
        expect(planned.stdout).not.toMatch(/prod\/a2\s+delete/);
        expect(
          (await runCli(['apply', 'audiences', '--state', state, '--auto-approve'], { cwd: c, env })).code,
        ).toBe(0);
        expect(audienceNames(emulator)).toEqual(['Audience a2']);
      }),
    );
  });
});
