import { mkdir, readdir, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { runCli } from '../helpers/cli.js';
import { useTempDirs } from './helpers.js';

// Review 37b, M-2: docs/state.md "Where it lives": a directory that does not exist is created
// by `init` and by `state migrate` "as the target it copies a whole state into", and by nothing
// else, so that a mistyped or not-yet-made store is refused (STATE_NOT_FOUND) rather than read
// as a new, empty one. A migrate refused after locking the target (a damaged source record, an
// empty source) left an empty folder there, which every command then took for an empty store:
// an apply pointed at it planned every manifest as a create.
const tempDir = useTempDirs();

async function damagedSource(root: string): Promise<string> {
  const source = path.join(root, 'src');
  await mkdir(path.join(source, 'audiences', 'prod'), { recursive: true });
  await writeFile(
    path.join(source, 'meta.json'),
    JSON.stringify({ schemaVersion: 1, lineage: '41ee2f2f-edc7-4904-a76c-6aa37f3dcfa6', serial: 3 }),
  );
  await writeFile(path.join(source, 'audiences', 'prod', 'gold.json'), '{"schemaVersion":1,\n');
  return source;
}

describe('state migrate refused for its source', () => {
  it('leaves no empty store where there was none (a damaged record)', { timeout: 60_000 }, async () => {
    const root = await tempDir();
    const source = await damagedSource(root);
    const target = path.join(root, 'target');

    const migrated = await runCli(['state', 'migrate', '--from', source, '--to', target], { cwd: root });
    expect(migrated.code).toBe(1);
    expect(migrated.stderr).toContain('is not valid JSON');

    const listed = await runCli(['state', 'list', '--state', target], { cwd: root });
    expect(listed).toEqual({
      code: 1,
      stdout: '',
      stderr: `Error: no state directory at ${target}; pass --state <dir> to point at one\n`,
    });
  });

  it(
    'leaves no folder behind for an empty --from, nor the missing folders above --to',
    { timeout: 60_000 },
    async () => {
      const root = await tempDir();
      const empty = path.join(root, 'empty');
      await mkdir(empty);
      const target = path.join(root, 'data', 'new', 'state');

      const migrated = await runCli(['state', 'migrate', '--from', empty, '--to', target], { cwd: root });
      expect(migrated).toEqual({
        code: 1,
        stdout: '',
        stderr: `Error: ${empty} holds no state (no lineage, no records): nothing to copy; check --from\n`,
      });
      expect((await readdir(root)).sort()).toEqual(['empty']);
      expect(await readdir(empty)).toEqual([]);
    },
  );

  it('leaves an existing empty target folder in place', { timeout: 60_000 }, async () => {
    const root = await tempDir();
    const source = await damagedSource(root);
    // A folder the user made for the store (a volume's mount, say): not the migrate's to remove.
    const target = path.join(root, 'target');
    await mkdir(target);

    const migrated = await runCli(['state', 'migrate', '--from', source, '--to', target], { cwd: root });
    expect(migrated.code).toBe(1);
    expect((await readdir(root)).sort()).toEqual(['src', 'target']);
    expect(await readdir(target)).toEqual([]);
  });
});
