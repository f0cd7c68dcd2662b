import { execFile } from 'node:child_process';
import { cp, mkdir, rm, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { promisify } from 'node:util';
import { describe, expect, it } from 'vitest';
import { DEMO_CLIENT } from '../../src/emulator/index.js';
import { openStateStore } from '../../src/state/open.js';
import type { RecordedState } from '../../src/state/schema.js';
import { apply, emulatorEnv } from '../helpers/apply-env.js';
import { GIT_ENV, runCli } from '../helpers/cli.js';
import { runCliInProcess } from '../helpers/cli-in-process.js';
import { manifestYaml } from '../helpers/manifests.js';
import { audienceBody, withEmulator, type TestEmulator } from '../helpers/with-emulator.js';
import { useTempDirs } from '../state/helpers.js';
import { useStores } from '../state/stores.js';

/**
 * `state import` (by id, and `--discover`) from a git checkout records the checkout's commit
 * with the audience, so that an older checkout, which lacks its manifest, cannot delete it
 * (README, "How it stays safe"). Commit C1 holds x; C2, an hour later, adds gold and silver,
 * whose audiences already exist (made in the UI) and are imported on C2.
 */
const run = promisify(execFile);
const quiet = { ingestion: { onCreate: false } };
const C1_TIME = '2026-12-01T10:00:00.000Z';
const C2_TIME = '2026-12-01T11:00:00.000Z';
const STACK = /\n\s+at /;

async function git(cwd: string, args: string[], committedAt?: string): Promise<string> {
  const env = { ...process.env, ...GIT_ENV, ...(committedAt ? { GIT_COMMITTER_DATE: committedAt } : {}) };
  return (await run('git', args, { cwd, env })).stdout.trim();
}

/** Replaces the manifests under `repo/audiences` with those of `keys` and commits them at `at`. */
async function commit(repo: string, keys: readonly string[], at: string): Promise<string> {
  await rm(path.join(repo, 'audiences'), { recursive: true, force: true });
  await mkdir(path.join(repo, 'audiences'));
  for (const key of keys)
    await writeFile(path.join(repo, 'audiences', `${key}.yaml`), manifestYaml(key, quiet));
  await git(repo, ['add', '--all']);
  await git(repo, ['commit', '--quiet', '-m', `at ${at}`], at);
  return git(repo, ['rev-parse', 'HEAD']);
}

/** Audiences made outside audiencectl, as a colleague would in the UI: name -> id. */
function madeInTheUi(emulator: TestEmulator, keys: readonly string[]): Map<string, string> {
  const made = keys.map((key): [string, string] => {
    const body = audienceBody({ name: `Audience ${key}` });
    return [key, emulator.control.uiCreateAudience(DEMO_CLIENT.orgId, 'prod', body, 'colleague@AdobeID').id];
  });
  return new Map(made);
}

function remoteNames(emulator: TestEmulator): string[] {
  return emulator.control
    .listAudiences(DEMO_CLIENT.orgId, 'prod')
    .map((a) => a.audienceName)
    .sort();
}

async function recorded(state: string): Promise<RecordedState> {
  const store = await openStateStore(state);
  try {
    return await store.readAll();
  } finally {
    await store.close();
  }
}

const stores = useStores();
const tempDir = useTempDirs();

describe.each(stores)('state import from a git checkout ($name store)', (kind) => {
  it("records the checkout's commit: an older checkout's apply is refused the deletion, unless --allow-older-checkout", async () => {
    const root = await tempDir();
    await withEmulator(undefined, async (emulator) => {
      const repo = path.join(root, 'repo');
      await mkdir(repo);
      await git(repo, ['init', '--quiet', '--initial-branch=main']);
      const c1 = await commit(repo, ['x'], C1_TIME);
      await git(repo, ['branch', 'old']);
      const audiences = path.join(repo, 'audiences');
      const state = await kind.fresh();
      const env = emulatorEnv(emulator);
      expect((await apply(audiences, state, env)).code).toBe(0);
      const mark = { prod: { commit: c1, committedAt: C1_TIME } };
      expect((await recorded(state)).meta?.revisions).toEqual(mark);

      const ids = madeInTheUi(emulator, ['gold', 'silver']);
      const c2 = await commit(repo, ['x', 'gold', 'silver'], C2_TIME);
      const imported = await runCliInProcess(
        ['state', 'import', 'gold', audiences, '--audience-id', ids.get('gold')!, '--state', state],
        { env },
      );
      expect(imported.code).toBe(0);
      expect(imported.stdout).toContain(
        `  - recorded with commit ${c2.slice(0, 7)} (HEAD of ${audiences}): an apply from a checkout without it will not delete this audience or PATCH it back (unless --allow-older-checkout)\n`,
      );
      const discovered = await runCliInProcess(
        ['state', 'import', '--discover', audiences, '--state', state],
        {
          env,
        },
      );
      expect(discovered.code).toBe(0);
      expect(discovered.stdout).toMatch(new RegExp(`prod/silver\\s+matched\\s+${ids.get('silver')}`));
      const after = await recorded(state);
      const revision = { commit: c2, committedAt: C2_TIME };
      for (const key of ['gold', 'silver']) {
        const record = after.audiences.find((r) => r.key === key);
        expect(record?.audienceId, key).toBe(ids.get(key));
        expect(record?.imported?.revision, key).toEqual(revision);
      }
      // The sandbox's mark is the commit last applied, which an import leaves alone.
      expect(after.meta?.revisions).toEqual(mark);

      // A colleague's apply from C1, which has no manifest for gold or silver.
      await git(repo, ['checkout', '--quiet', 'old']);
      emulator.control.resetCounters();
      const refused = await runCli(['apply', audiences, '--state', state, '--auto-approve'], { env });
      expect(refused.code).toBe(1);
      expect(refused.stderr).toContain(
        `Error: refusing to undo a newer apply: prod/gold and prod/silver were last applied from commit ${c2.slice(0, 7)} (committed ${C2_TIME}), which this checkout's HEAD ${c1.slice(0, 7)} (committed ${C1_TIME}) does not contain. Nothing was applied. Pull or fetch the newer commit and apply from it, or pass --allow-older-checkout to apply anyway\n`,
      );
      expect(refused.stderr).not.toMatch(STACK);
      expect(emulator.control.counters().requests).toBe(0);
      expect(remoteNames(emulator)).toEqual(['Audience gold', 'Audience silver', 'Audience x']);

      const planned = await runCliInProcess(['plan', audiences, '--state', state]);
      expect(planned.stdout).toContain('Plan: 0 to create, 0 to update, 0 to replace, 2 to delete');
      expect(planned.stdout).toContain(
        `Warning: apply would refuse this plan: prod/gold and prod/silver were last applied from commit ${c2.slice(0, 7)}`,
      );

      // Asked for: the older checkout is applied, and deletes them.
      const allowed = await apply(audiences, state, env, '--allow-older-checkout');
      expect(allowed.code).toBe(0);
      expect(allowed.stderr).toContain(
        `Warning: --allow-older-checkout: prod/gold and prod/silver were last applied from commit ${c2.slice(0, 7)}`,
      );
      expect(remoteNames(emulator)).toEqual(['Audience x']);
    });
  });
});

describe('state import outside a git work tree', () => {
  it('records no commit, as apply does', async () => {
    const root = await tempDir();
    await withEmulator(undefined, async (emulator) => {
      const repo = path.join(root, 'repo');
      await mkdir(repo);
      await git(repo, ['init', '--quiet', '--initial-branch=main']);
      await commit(repo, ['gold'], C1_TIME);
      const plain = path.join(root, 'plain');
      await cp(path.join(repo, 'audiences'), plain, { recursive: true });
      const state = path.join(root, 'state');
      await mkdir(state);
      const id = madeInTheUi(emulator, ['gold']).get('gold')!;
      const imported = await runCliInProcess(
        ['state', 'import', 'gold', plain, '--audience-id', id, '--state', state],
        { env: emulatorEnv(emulator) },
      );
      expect(imported.code).toBe(0);
      expect(imported.stdout).not.toContain('recorded with commit');
      const [record] = (await recorded(state)).audiences;
      expect(record?.audienceId).toBe(id);
      expect(record?.imported).toBeDefined();
      expect(record?.imported).not.toHaveProperty('revision');
    });
  });
});
