import { mkdir, readdir, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { runCli, withTempDir, writeFiles } from '../helpers/cli.js';
import { runCliInProcess } from '../helpers/cli-in-process.js';
import { manifestYaml } from '../helpers/manifests.js';

/** A repository: its manifests in audiences/, a README beside them. */
async function repository(dir: string): Promise<string> {
  const repo = path.join(dir, 'repo');
  await writeFiles(repo, { 'audiences/gold.yaml': manifestYaml('gold'), 'README.md': '# audiences\n' });
  return repo;
}

describe('--state naming a directory that is not a state store', () => {
  it('is refused by plan, apply and state list, and nothing is written into it', async () => {
    await withTempDir(async (dir) => {
      const repo = await repository(dir);
      const refused =
        `Error: ${repo} is not a state store: it has no meta.json and holds "README.md", which a store ` +
        'never holds. Point --state (or AUDIENCECTL_STATE) at the store; a new store goes in a new or empty directory\n';
      // `--state .` in the repository: read as an empty store, every manifest was a create.
      for (const args of [
        ['plan', 'audiences', '--state', '.'],
        ['apply', 'audiences', '--state', '.', '--emulator', '--auto-approve'],
        ['state', 'list', '--state', '.'],
      ]) {
        const result = await runCli(args, { cwd: repo });
        expect({ args, code: result.code, stdout: result.stdout, stderr: result.stderr }).toEqual({
          args,
          code: 1,
          stdout: '',
          stderr: refused,
        });
      }
      expect((await readdir(repo)).sort()).toEqual(['README.md', 'audiences']);
      expect(await readdir(path.join(repo, 'audiences'))).toEqual(['gold.yaml']);
    });
  });

  it('takes an empty directory, one with only a volume lost+found and dot files, and a store with more beside it', async () => {
    await withTempDir(async (dir) => {
      const repo = await repository(dir);
      const empty = path.join(dir, 'empty');
      await mkdir(empty);
      const volume = path.join(dir, 'volume');
      await mkdir(path.join(volume, 'lost+found'), { recursive: true });
      await writeFile(path.join(volume, '.gitkeep'), '');
      // A store (meta.json) with a note someone left beside it.
      const store = path.join(dir, 'store');
      await mkdir(store);
      await writeFile(
        path.join(store, 'meta.json'),
        '{"schemaVersion":1,"lineage":"8d494feb-915e-4146-ae5c-dc61fe21d7de","serial":0}\n',
      );
      await writeFile(path.join(store, 'NOTES.txt'), 'backed up nightly\n');
      // The built CLI for the first; the same CLI entry in this process for the others (the same
      // code and output).
      for (const [state, run] of [
        [empty, runCli],
        [volume, runCliInProcess],
        [store, runCliInProcess],
      ] as const) {
        const plan = await run(['plan', 'audiences', '--state', state], { cwd: repo });
        expect({
          state,
          code: plan.code,
          stderr: plan.stderr,
          last: plan.stdout.trimEnd().split('\n').at(-1),
        }).toEqual({
          state,
          code: 0,
          stderr: '',
          last: 'Plan: 1 to create, 0 to update, 0 to replace, 0 to delete, 0 to forget, 1 run(s) to start; 0 blocked, 0 deferred.',
        });
      }
    });
  });
});
