import { mkdir, readFile, readdir, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { openStateStore } from '../../src/state/open.js';
import { runCliInProcess } from '../helpers/cli-in-process.js';
import { pausedCli } from '../helpers/paused-cli.js';
import { aRecord, repoRoot, useTempDirs } from './helpers.js';
import { splitTakeovers } from './migrate-takeovers.js';

// `state migrate` into a directory store is all or nothing: stopped mid-copy (Ctrl-C,
// SIGTERM, kill -9) or killed between the two renames that swap the copy in, the target is
// exactly the old store (or, killed mid-swap, refused until a migrate puts it back), and
// the same command run again copies it. The built CLI runs with a preload that stops it at
// a chosen file system call (fixtures/migrate-pause.mjs), so the kill lands mid-step. What reads
// the store it left (state list, plan, the migrate run again) runs the CLI's own entry in this
// process (the same code and output): the stopped process is what each case is about.
const tempDir = useTempDirs();
const PRELOAD = path.join(repoRoot, 'test/state/fixtures/migrate-pause.mjs');
/** Records in the source; the copy is stopped at the 5th. */
const SOURCE_RECORDS = 12;

/** Every file under `dir` by relative path, with its content; the lock file left out. */
async function tree(dir: string): Promise<Record<string, string>> {
  const files: Record<string, string> = {};
  for (const entry of await readdir(dir, { recursive: true, withFileTypes: true })) {
    if (!entry.isFile() || entry.name === 'lock') continue;
    const file = path.join(entry.parentPath, entry.name);
    files[path.relative(dir, file)] = await readFile(file, 'utf8');
  }
  return files;
}

/** Record files (`audiences/<sandbox>/<key>.json`) parsed by the test, and meta.json's lineage and serial. */
async function contentOf(dir: string) {
  const files = await tree(dir);
  const records = Object.fromEntries(
    Object.entries(files)
      .filter(([name]) => name.startsWith(`audiences${path.sep}`))
      .map(([name, text]) => [name, JSON.parse(text) as unknown]),
  );
  const meta = files['meta.json'] === undefined ? undefined : (JSON.parse(files['meta.json']) as object);
  return {
    records,
    lineage: meta && 'lineage' in meta ? meta.lineage : undefined,
    serial: meta && 'serial' in meta ? meta.serial : undefined,
  };
}

async function seed(dir: string, keys: string[]): Promise<void> {
  const store = await openStateStore(dir);
  await store.lock();
  for (const [index, key] of keys.entries())
    await store.put(aRecord(key, { sandbox: index % 2 === 0 ? 'prod' : 'dev' }));
  await store.close();
}

/** What beside `dir` a migrate into it made: its staged copy, the store it moved aside. */
async function besides(dir: string): Promise<string[]> {
  const prefix = `.${path.basename(dir)}.migrate-`;
  return (await readdir(path.dirname(dir))).filter((name) => name.startsWith(prefix));
}

/** The built CLI with the preload, stopped where `pause` says (MIGRATE_PAUSE). */
function pausedMigrate(args: string[], pause: string) {
  return pausedCli(PRELOAD, ['state', 'migrate', ...args], {
    env: { ...process.env, NO_COLOR: '1', MIGRATE_PAUSE: pause },
  });
}

/**
 * A forced migrate from `source` into `target`, killed between its two renames (the store moved
 * aside, the copy not yet in place): the path of the store it moved aside.
 */
async function killedMidSwap(source: string, target: string): Promise<string> {
  const migrate = pausedMigrate(['--from', source, '--to', target, '--force'], 'swap');
  expect(await migrate.paused).toBe('paused swap');
  expect((await migrate.stop('SIGKILL')).signal).toBe('SIGKILL');
  return path.join(path.dirname(target), (await besides(target)).find((name) => name.endsWith('.old')) ?? '');
}

async function stores() {
  const root = await tempDir();
  const source = path.join(root, 'source');
  const target = path.join(root, 'target');
  await seed(
    source,
    Array.from({ length: SOURCE_RECORDS }, (_, i) => `new-${i}`),
  );
  await seed(target, ['old-a', 'old-b', 'old-c']);
  return { source, target };
}

/** The migrate run again, without the preload: the target is then the source's copy, nothing left beside it. */
async function expectRerunCopies(source: string, target: string, force: boolean) {
  const again = await runCliInProcess([
    'state',
    'migrate',
    '--from',
    source,
    '--to',
    target,
    ...(force ? ['--force'] : []),
  ]);
  expect(again.stdout).toContain(`Copied ${SOURCE_RECORDS} audience(s)`);
  expect(again.code).toBe(0);
  expect(await contentOf(target)).toEqual(await contentOf(source));
  expect(await besides(target)).toEqual([]);
  expect(await readdir(target)).not.toContain('lock');
  return again;
}

describe('state migrate into a directory store, stopped mid-copy', { timeout: 60_000 }, () => {
  it.each(['SIGINT', 'SIGKILL'] as const)(
    '%s at the 5th record: the target is exactly the old store, and the migrate run again copies it',
    async (signal) => {
      const { source, target } = await stores();
      const before = await tree(target);
      const sourceBefore = await tree(source);
      const migrate = pausedMigrate(['--from', source, '--to', target, '--force'], 'record:5');
      // The copy is held inside the creation of its 5th record file of 12: the kill lands mid-copy.
      expect(await migrate.paused).toBe('paused record 5');
      const ended = await migrate.stop(signal);

      if (signal === 'SIGKILL') {
        expect(ended.signal).toBe('SIGKILL');
      } else {
        expect(ended.code).toBe(130);
        expect(ended.stderr).toMatch(new RegExp(`^Error: interrupted \\(${signal}\\): nothing was copied`));
        expect(ended.stderr).not.toMatch(/\n\s+at /);
        // Both locks let go, the staged copy removed.
        expect(await readdir(source)).not.toContain('lock');
        expect(await readdir(target)).not.toContain('lock');
        expect(await besides(target)).toEqual([]);
      }
      expect(await tree(target)).toEqual(before);
      expect(await tree(source)).toEqual(sourceBefore);
      // The next command reads the old store (a killed migrate's staged copy is not read).
      const list = await runCliInProcess(['state', 'list', '--state', target]);
      expect(list.code).toBe(0);
      for (const key of ['old-a', 'old-b', 'old-c']) expect(list.stdout).toContain(` ${key} `);
      expect(list.stdout).toContain('\n3 audiences;');
      expect(list.stdout).not.toContain('new-');
      await expectRerunCopies(source, target, true);
    },
  );

  it('SIGINT into a new directory leaves no records without meta.json; run again without --force, it copies', async () => {
    const { source } = await stores();
    const target = path.join(await tempDir(), 'fresh');
    const migrate = pausedMigrate(['--from', source, '--to', target], 'record:5');
    expect(await migrate.paused).toBe('paused record 5');
    expect((await migrate.stop('SIGINT')).code).toBe(130);
    expect(await tree(target).catch(() => ({}))).toEqual({});
    // Review 37b M-2: nor the folder its lock made, which every command read as an empty store.
    expect(await readdir(path.dirname(target))).toEqual([]);
    await expectRerunCopies(source, target, false);
  });
});

describe('state migrate killed between the two renames that swap the copy in', { timeout: 60_000 }, () => {
  it('the target is refused until a migrate puts the old store back; run again, it copies', async () => {
    const { source, target } = await stores();
    const before = await tree(target);
    const migrate = pausedMigrate(['--from', source, '--to', target, '--force'], 'swap');
    expect(await migrate.paused).toBe('paused swap');
    // Mid-swap: the old store moved aside whole, the complete copy beside it, the target missing.
    const aside = await besides(target);
    expect(aside.filter((name) => name.endsWith('.old'))).toHaveLength(1);
    expect(aside.filter((name) => name.endsWith('.new'))).toHaveLength(1);
    const old = path.join(path.dirname(target), aside.find((name) => name.endsWith('.old')) ?? '');
    expect(await tree(old)).toEqual(before);
    expect((await migrate.stop('SIGKILL')).signal).toBe('SIGKILL');

    // Not read as a new, empty store: refused, naming the store moved aside.
    const list = await runCliInProcess(['state', 'list', '--state', target]);
    expect(list.code).toBe(1);
    expect(list.stderr).toBe(
      `Error: ${target} is missing: a \`state migrate\` into it was interrupted while swapping the copy in, and its previous store is in ${old}. ` +
        `Run that \`audiencectl state migrate\` again (it puts the previous store back first), or rename ${old} to ${target}\n`,
    );
    // Nor planned as if nothing was ever applied (every manifest a create).
    const planned = await runCliInProcess(['plan', source, '--state', target]);
    expect(planned.code).toBe(1);
    expect(planned.stdout).toBe('');
    expect(planned.stderr).toBe(list.stderr);
    const again = splitTakeovers((await expectRerunCopies(source, target, true)).stderr);
    expect(again.rest).toBe(
      `put back the previous store of ${target} from ${old} (a migrate into it was interrupted)\n`,
    );
    expect(again.stores).toEqual([source, target].sort());
  });

  // Review 35c M-2: a lock taken mid-swap by an older release (a controller's next pass) made the
  // folder again, and a plan then read it as a new store and wrote its caches there.
  it('a folder made in its place holding only caches is refused the same; run again, the migrate puts the old store back', async () => {
    const { source, target } = await stores();
    const before = await tree(target);
    const old = await killedMidSwap(source, target);
    await mkdir(target);
    await writeFile(path.join(target, 'manifest-cache.jsonl'), 'a cache\n');
    await writeFile(path.join(target, 'state-snapshot.jsonl'), 'a cache\n');

    const list = await runCliInProcess(['state', 'list', '--state', target]);
    expect(list.code).toBe(1);
    expect(list.stderr).toBe(
      `Error: ${target} holds no state while ${old} holds the store a \`state migrate\` into it moved aside: the migrate is swapping its copy in, or was interrupted there. ` +
        `Run that \`audiencectl state migrate\` again (it puts the previous store back first), or remove ${target} (it has no meta.json) and rename ${old} to ${target}\n`,
    );
    const planned = await runCliInProcess(['plan', source, '--state', target]);
    expect(planned.code).toBe(1);
    expect(planned.stdout).toBe('');
    expect(planned.stderr).toBe(list.stderr);
    expect((await readdir(target)).sort()).toEqual(['manifest-cache.jsonl', 'state-snapshot.jsonl']);
    expect(await tree(old)).toEqual(before);

    const again = splitTakeovers((await expectRerunCopies(source, target, true)).stderr);
    expect(again.rest).toBe(
      `put back the previous store of ${target} from ${old} (a migrate into it was interrupted)\n`,
    );
    expect(again.stores).toEqual([source, target].sort());
  });

  it('a folder made in its place holding a file of someone else’s: the migrate run again says what, and removes nothing', async () => {
    const { source, target } = await stores();
    const old = await killedMidSwap(source, target);
    await mkdir(target);
    await writeFile(path.join(target, 'notes.txt'), 'mine\n');

    const again = await runCliInProcess(['state', 'migrate', '--from', source, '--to', target, '--force']);
    expect(again.code).toBe(1);
    expect(again.stderr).toBe(
      `Error: cannot put back the previous store of ${target} from ${old}: ${target} has no meta.json but holds "notes.txt". ` +
        `Move it out of ${target}, then run this command again\n`,
    );
    expect(await readdir(target)).toEqual(['notes.txt']);
    expect((await besides(target)).filter((name) => name.endsWith('.old'))).toEqual([path.basename(old)]);
  });
});
