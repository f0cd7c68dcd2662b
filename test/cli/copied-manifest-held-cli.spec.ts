import { rm, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { apply, emulatorEnv, remoteByName } from '../helpers/apply-env.js';
import { runCli, withTempDir } from '../helpers/cli.js';
import { manifestYaml } from '../helpers/manifests.js';
import { gitRepository, storedRecord } from '../helpers/work-tree.js';
import { withEmulator } from '../helpers/with-emulator.js';

/**
 * Two directories of one repository sharing a store (`eu/`, `us/`). A team copies eu's gold.yaml
 * into us/ (a template to start from, metadata.name unchanged) and applies us: the plan took
 * eu's record over (`~ prod/gold update: manifest directory changed (record only, no API
 * call)`), though eu/gold.yaml was still there, and once us removed its copy, `apply us`
 * deleted the audience eu/gold.yaml still defines. A copy is no move: the copy's plan holds the
 * audience, naming eu's file, and records nothing (review scope-41, H-3). Moved (eu's file gone),
 * it is taken over as before.
 */
const quiet = { ingestion: { onCreate: false } };

const copyHeld =
  'prod/gold: gold.yaml is a copy: its manifest ../eu/gold.yaml, in the directory it was applied from (../eu), still defines it; the audience is left as it is: to move it here, remove ../eu/gold.yaml (git mv) and apply; to manage another audience from this file, give it another metadata.name and spec.name';

async function eu(root: string, env: Record<string, string>, state: string) {
  const made = await gitRepository(root, {
    'eu/gold.yaml': manifestYaml('gold', quiet),
    'us/keep.yaml': manifestYaml('keep', quiet),
  });
  expect((await apply(path.join(made.repo, 'eu'), state, env)).code).toBe(0);
  expect((await apply(path.join(made.repo, 'us'), state, env)).code).toBe(0);
  expect((await storedRecord(state, 'gold')).sourceRoot).toBe('eu');
  return made;
}

describe('a manifest copied into another directory sharing the store', () => {
  it('is held by the copy, and its removal there never deletes the audience eu/gold.yaml defines', async () => {
    await withTempDir(async (root) =>
      withEmulator({ operationDelayMs: 10 }, async (emulator) => {
        const env = emulatorEnv(emulator);
        const state = path.join(root, 'state');
        const { repo, git } = await eu(root, env, state);
        const id = remoteByName(emulator).get('Audience gold')!.audienceId;

        await writeFile(path.join(repo, 'us/gold.yaml'), manifestYaml('gold', quiet));
        await git('add', '--all');
        await git('commit', '--quiet', '-m', 'us: start from eu gold');
        const copied = await runCli(['plan', 'us', '--state', state], { cwd: repo, env });
        expect(copied.code, copied.stderr).toBe(0);
        expect(copied.stdout).not.toMatch(/prod\/gold\s+update/);
        expect(copied.stdout.replace(/\s+/g, ' ')).toContain(copyHeld);
        const applied = await runCli(['apply', 'us', '--state', state, '--auto-approve'], { cwd: repo, env });
        expect(applied.code, applied.stderr).toBe(0);
        expect((await storedRecord(state, 'gold')).sourceRoot).toBe('eu');

        await rm(path.join(repo, 'us/gold.yaml'));
        await git('commit', '--quiet', '-am', 'us: drop the copy');
        const planned = await runCli(['plan', 'us', '--state', state], { cwd: repo, env });
        expect(planned.stdout).not.toMatch(/^\s+- prod\/gold\s+delete/m);
        await runCli(['apply', 'us', '--state', state, '--auto-approve'], { cwd: repo, env });
        expect(remoteByName(emulator).get('Audience gold')?.audienceId).toBe(id);
      }),
    );
  });

  it('moved (git mv eu/gold.yaml us/), is taken over as before, same audience', async () => {
    await withTempDir(async (root) =>
      withEmulator({ operationDelayMs: 10 }, async (emulator) => {
        const env = emulatorEnv(emulator);
        const state = path.join(root, 'state');
        const { repo, git } = await eu(root, env, state);
        const id = remoteByName(emulator).get('Audience gold')!.audienceId;
        await git('mv', 'eu/gold.yaml', 'us/gold.yaml');
        await git('commit', '--quiet', '-m', 'gold moves to us');
        const planned = await runCli(['plan', 'us', '--state', state], { cwd: repo, env });
        expect(planned.stdout).toMatch(
          /~ prod\/gold\s+update: manifest directory changed \(record only, no API call\)/,
        );
        expect(
          (await runCli(['apply', 'us', '--state', state, '--auto-approve'], { cwd: repo, env })).code,
        ).toBe(0);
        expect((await storedRecord(state, 'gold')).sourceRoot).toBe('us');
        expect(remoteByName(emulator).get('Audience gold')?.audienceId).toBe(id);
      }),
    );
  });
});
