import { execFileSync } from 'node:child_process';
import { cpSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { ageFiles, cacheWrittenLater } from '../helpers/cache-age.js';
import { afterAll, describe, expect, it } from 'vitest';
import { generateRepo } from '../../bench/lib/generate.js';
import { planSplit } from '../../src/cli/plan-split.js';
import { lookElsewhere } from '../../src/cli/source-options.js';
import { sourceRootOf } from '../../src/manifest/read-source-root.js';
import { loadManifestDir } from '../../src/manifest/read-source.js';
import { splitQuiet } from '../../src/plan/quiet-pairs.js';
import { renderText } from '../../src/plan/render/text.js';
import { readStateThroughSnapshot } from '../../src/state/read-snapshot.js';
import { runCli } from '../helpers/cli.js';
import { runCliInProcess } from '../helpers/cli-in-process.js';
import { options } from '../helpers/planning.js';

// A plan with one change among many audiences in sync (issue 15): the audiences the caches
// serve in sync stay lines (src/plan/quiet.ts) through a create, a replace, an update and a
// removal, and the built CLI prints what it prints without the caches (no quiet path).

const roots: string[] = [];
afterAll(() => roots.forEach((root) => rmSync(root, { recursive: true, force: true })));

const COUNT = 30;

const fileOf = (manifests: string, i: number) =>
  path.join(manifests, `group-${Math.floor(i / 100)}`, `audience-${i}.yaml`);

/** The changes of one manifest a plan is made for. */
const CHANGES = {
  create: (manifests: string) =>
    writeFileSync(
      path.join(manifests, 'fresh.yaml'),
      readFileSync(fileOf(manifests, 3), 'utf8')
        .replace(/name: audience-3\n/, 'name: fresh\n')
        .replace('name: Audience 3\n', 'name: Fresh audience\n'),
    ),
  replace: (manifests: string) =>
    writeFileSync(
      fileOf(manifests, 4),
      readFileSync(fileOf(manifests, 4), 'utf8')
        .replace('path: exports/4.csv', 'path: exports/4b.csv')
        .replace('metadata:\n', 'metadata:\n  allowReplace: true\n'),
    ),
  update: (manifests: string) =>
    writeFileSync(
      fileOf(manifests, 5),
      readFileSync(fileOf(manifests, 5), 'utf8').replace('Generated', 'Edited'),
    ),
  removal: (manifests: string) => rmSync(fileOf(manifests, 7)),
} as const;

const git = (cwd: string, ...args: string[]) =>
  execFileSync('git', ['-c', 'user.name=t', '-c', 'user.email=t@example.com', ...args], {
    cwd,
    encoding: 'utf8',
  });

/** A repository of COUNT applied audiences whose caches serve every one, then `change` made. */
async function changedRepo(change: keyof typeof CHANGES, inGit = false) {
  const root = mkdtempSync(path.join(os.tmpdir(), 'plan-quiet-steps-'));
  roots.push(root);
  // In a git work tree, records name their directory from its top (read-source-root.ts).
  const { manifests, state } = await generateRepo(
    root,
    COUNT,
    true,
    inGit ? { sourceRoot: 'manifests' } : {},
  );
  if (inGit) {
    git(root, 'init', '-q');
    git(root, 'add', 'manifests');
    git(root, 'commit', '-q', '-m', 'applied');
  }
  ageFiles(manifests);
  ageFiles(state);
  // The caches written: the CLI's entry in this process (a premise; the plans compared are spawned).
  const first = await runCliInProcess(['plan', manifests, '--state', state]);
  expect(first).toMatchObject({ code: 0, stderr: '' });
  cacheWrittenLater(path.join(state, 'manifest-cache.jsonl'));
  cacheWrittenLater(path.join(state, 'state-snapshot.jsonl'));
  CHANGES[change](manifests);
  if (inGit) git(root, 'commit', '-q', '-a', '-m', change);
  return { root, manifests, state };
}

/**
 * The plan of the repository as `plan` makes it of two kinds: the load and state read with
 * `quiet`, split, and planned; `made`: how many times the quiet pairs were made objects.
 */
async function planOfKinds(manifests: string, state: string) {
  const cacheFile = path.join(state, 'manifest-cache.jsonl');
  const load = await loadManifestDir(manifests, { defaultSandbox: 'prod', cacheFile, quiet: true });
  const snapshot = path.join(state, 'state-snapshot.jsonl');
  const read = await readStateThroughSnapshot(
    state,
    snapshot,
    Date.now,
    undefined,
    undefined,
    undefined,
    true,
  );
  const split = splitQuiet(load.quiet!, () => load.result, read.state, read.quiet!, 'prod');
  let made = 0;
  const whole = split.whole.bind(split);
  split.whole = () => {
    made += 1;
    return whole();
  };
  const sourceRoot = sourceRootOf(manifests);
  // The search elsewhere for a removed record's manifest, as `plan` makes it.
  const look = lookElsewhere(manifests, { sandbox: 'prod' }, { above: true, unread: load.unread });
  const result = await planSplit(
    split,
    { desired: split.rest, recorded: split.restState },
    options({ sourceRoot }),
    look,
    { repository: undefined, sourceRoot },
  );
  return { quiet: split.quiet.length, made, text: renderText(result.plan, { color: false }) };
}

/**
 * The built CLI's plan of `manifests` with the store's caches, and the expected one: the CLI's
 * entry in this process on a copy without them (every file parsed, every record read).
 */
async function warmAndCold(root: string, manifests: string, state: string) {
  const cold = path.join(root, 'cold-state');
  cpSync(state, cold, { recursive: true });
  rmSync(path.join(cold, 'manifest-cache.jsonl'));
  rmSync(path.join(cold, 'state-snapshot.jsonl'));
  const warm = await runCli(['plan', manifests, '--state', state, '--detailed-exitcode']);
  const reference = await runCliInProcess(['plan', manifests, '--state', cold, '--detailed-exitcode']);
  const same = (text: string) => text.replaceAll(cold, state);
  return {
    warm: { code: warm.code, stdout: warm.stdout, stderr: warm.stderr },
    cold: { code: reference.code, stdout: same(reference.stdout), stderr: same(reference.stderr) },
  };
}

describe('plan with one change among audiences in sync (issue 15)', () => {
  it.each(['create', 'replace', 'update'] as const)(
    'a %s: the audiences in sync stay lines, and the plan is the one made without the caches',
    async (change) => {
      const { root, manifests, state } = await changedRepo(change);
      const kinds = await planOfKinds(manifests, state);
      expect(kinds.quiet).toBe(COUNT - (change === 'create' ? 0 : 1));
      expect(kinds.made).toBe(0);
      const { warm, cold } = await warmAndCold(root, manifests, state);
      expect(warm).toEqual(cold);
      expect(warm.code).toBe(2);
      expect(warm.stdout).toContain(change === 'update' ? 'update' : change);
      expect(kinds.text).toBe(warm.stdout);
    },
    60_000,
  );

  it.each([
    ['outside a git work tree', false],
    ['in one, the removal committed', true],
  ])(
    'a removal %s: the audiences in sync stay lines, searched elsewhere as they are, and the plan is the one made without the caches',
    async (_where, inGit) => {
      const { root, manifests, state } = await changedRepo('removal', inGit);
      const kinds = await planOfKinds(manifests, state);
      expect(kinds.quiet).toBe(COUNT - 1);
      expect(kinds.made).toBe(0);
      const { warm, cold } = await warmAndCold(root, manifests, state);
      expect(warm).toEqual(cold);
      expect(warm.code).toBe(2);
      const commit = inGit ? `, in commit ${git(root, 'rev-parse', '--short=7', 'HEAD').trim()}` : '';
      expect(warm.stdout).toContain(
        `prod/audience-7 delete: manifest removed (group-0/audience-7.yaml${commit})`,
      );
      expect(kinds.text).toBe(warm.stdout);
    },
    60_000,
  );
});
