import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { emulatorEnv } from '../helpers/apply-env.js';
import { GIT_ENV, runCli, writeFiles } from '../helpers/cli.js';
import { runCliInProcess } from '../helpers/cli-in-process.js';
import { manifestYaml } from '../helpers/manifests.js';
import { audienceNames, gitRepository } from '../helpers/work-tree.js';
import { withEmulator, type TestEmulator } from '../helpers/with-emulator.js';

// A record's own file, edited so that it names another key (metadata.name, metadata.sandbox or
// the default sandbox changed together, or with an error): its manifest was changed, not
// removed, so its audience is never deleted (review 30, H-1, H-1b, H-2). Black-box: the built
// CLI against the emulator over HTTP, in a git work tree so that `plan --base` (the pull
// request's plan) is asked too, and must say what the apply after the merge does.

type Bench = {
  emulator: TestEmulator;
  tmp: string;
  state: string;
  repo: string;
  git: (...args: string[]) => Promise<unknown>;
  cli: (...args: string[]) => ReturnType<typeof runCli>;
};

/** `files` committed under m/ and applied in prod; then `fn`. */
async function bench(files: Record<string, string>, fn: (b: Bench) => Promise<void>): Promise<void> {
  await withEmulator({ operationDelayMs: 5, runStageDelayMs: 5 }, async (emulator) => {
    const tmp = await mkdtemp(path.join(tmpdir(), 'audiencectl-own-file-'));
    try {
      const state = path.join(tmp, 'state');
      const options = { env: { ...emulatorEnv(emulator), ...GIT_ENV }, cwd: tmp };
      const cli = (...args: string[]) => runCli([...args, '--state', state], options);
      // The set-up (init, the first apply) runs the CLI's entry in process; the tests' commands spawn.
      const setUp = (...args: string[]) => runCliInProcess([...args, '--state', state], options);
      const init = await setUp('init');
      expect(init.code, init.stderr).toBe(0);
      const { repo, git } = await gitRepository(
        tmp,
        Object.fromEntries(Object.entries(files).map(([file, text]) => [`m/${file}`, text])),
      );
      const first = await setUp('apply', path.join(repo, 'm'), '--auto-approve');
      expect(first.code, first.stdout + first.stderr).toBe(0);
      await fn({ emulator, tmp, state, repo, git, cli });
    } finally {
      await rm(tmp, { recursive: true, force: true });
    }
  });
}

/** The pull request's plan: the working tree against the commit applied (no state). */
const planBase = (b: Bench, ...args: string[]) =>
  runCli(['plan', path.join(b.repo, 'm'), '--base', 'HEAD', ...args], { cwd: b.repo, env: GIT_ENV });

const SOURCE = {
  path: 'exports/gold.csv',
  type: 'file',
  sourceType: 'Cloud Storage',
  cloudType: 'DLZ',
} as const;

describe('a manifest whose metadata.sandbox and metadata.name change together in its own file', () => {
  it('H-1: gold.yaml now names dev/gold-dev (spec.name kept): a blocked move, prod/gold is not deleted', async () => {
    await bench({ 'gold.yaml': manifestYaml('gold') }, async (b) => {
      const m = path.join(b.repo, 'm');
      expect(audienceNames(b.emulator, 'prod')).toEqual(['Audience gold']);
      // One edit of gold.yaml: metadata.sandbox dev, and metadata.name gold-dev; spec.name stays
      // "Audience gold". Either change alone is a blocked move.
      await writeFiles(m, {
        'gold.yaml': manifestYaml('gold-dev', {
          metadata: { sandbox: 'dev' },
          spec: { name: 'Audience gold', sourceSpec: SOURCE },
        }),
      });
      const planned = await b.cli('plan', m, '--detailed-exitcode');
      expect(planned.stdout).not.toContain('Diagnostics');
      expect(planned.stdout).not.toContain('- prod/gold delete');
      expect(planned.stdout).not.toContain('+ dev/gold-dev create');
      expect(planned.stdout).toContain(
        '  ! prod/gold move: gold.yaml now names dev/gold-dev, but its audience ("Audience gold") is recorded as prod/gold  (gold.yaml:1)\n' +
          '        ~ metadata.name: "gold" -> "gold-dev"\n' +
          '        ~ sandbox: "prod" -> "dev"\n' +
          '        blocked: a manifest that now names another key is never applied as delete + create. ' +
          'To keep the audience: set metadata.name back to gold and metadata.sandbox back to prod in gold.yaml. ' +
          `To create dev/gold-dev as a new audience: \`audiencectl state forget gold --sandbox prod --state ${b.state}\` (the audience in "prod" stays, unmanaged), then \`audiencectl apply ${m} --state ${b.state}\`. ` +
          `If it already exists in "dev", instead: \`audiencectl state forget gold --sandbox prod --state ${b.state}\`, then \`audiencectl state import gold-dev ${m} --sandbox dev --audience-id AUDIENCE_ID --state ${b.state}\`. ` +
          'To delete the audience instead: take the manifest of gold-dev out of gold.yaml (remove the file if nothing else is left in it) and apply, then put it back.\n',
      );
      expect(planned.stdout).toContain(
        'Plan: 0 to create, 0 to update, 0 to replace, 0 to delete, 0 to forget, 0 run(s) to start, 1 to move (never applied); 1 blocked, 0 deferred.',
      );
      expect(planned.code, planned.stdout).toBe(3);

      // The pull request's plan says the same.
      const pr = await planBase(b, '--detailed-exitcode');
      expect(pr.stdout).not.toContain('- prod/gold delete');
      expect(pr.stdout).not.toContain('+ dev/gold-dev create');
      expect(pr.stdout).toContain(
        '  ! prod/gold move: gold.yaml now names dev/gold-dev, but its audience ("Audience gold") is recorded as prod/gold  (gold.yaml:1)',
      );
      expect(pr.code, pr.stdout).toBe(3);

      const applied = await b.cli('apply', m, '--auto-approve');
      expect(applied.stdout).not.toContain('deleted');
      expect(applied.stdout).not.toContain('created');
      expect(audienceNames(b.emulator, 'prod'), 'prod/gold deleted by an edit that moved it').toEqual([
        'Audience gold',
      ]);
      expect(audienceNames(b.emulator, 'dev')).toEqual([]);
    });
  });

  it('H-1b: gold renamed gold-members (spec.name kept), planned with --sandbox dev: prod/gold is not deleted, as prod/silver is not', async () => {
    const files = { 'gold.yaml': manifestYaml('gold'), 'silver.yaml': manifestYaml('silver') };
    await bench(files, async (b) => {
      const m = path.join(b.repo, 'm');
      await writeFiles(m, { 'gold.yaml': manifestYaml('gold-members', { spec: { name: 'Audience gold' } }) });
      const planned = await b.cli('plan', m, '--sandbox', 'dev');
      // silver, whose manifest names no sandbox, is a blocked move under the new default sandbox.
      expect(planned.stdout).toContain('! prod/silver move');
      expect(planned.stdout).toContain(
        '  ! prod/gold move: gold.yaml now names dev/gold-members (it names no sandbox, and the default sandbox is now "dev"), but its audience ("Audience gold") is recorded as prod/gold  (gold.yaml:1)\n' +
          '        ~ metadata.name: "gold" -> "gold-members"\n' +
          '        ~ sandbox: "prod" -> "dev"\n' +
          '        blocked: a manifest that now names another key is never applied as delete + create. ' +
          'To keep the audience: set metadata.name back to gold and metadata.sandbox: prod in gold.yaml (or set the name back and plan with --sandbox prod). ' +
          `To create dev/gold-members as a new audience: \`audiencectl state forget gold --sandbox prod --state ${b.state}\` (the audience in "prod" stays, unmanaged), then \`audiencectl apply ${m} --sandbox dev --state ${b.state}\`. `,
      );
      expect(planned.stdout, 'a default sandbox deletes').not.toContain('- prod/gold delete');
      expect(planned.stdout).not.toContain('+ dev/');
      expect(planned.stdout).toContain(
        'Plan: 0 to create, 0 to update, 0 to replace, 0 to delete, 0 to forget, 0 run(s) to start, 2 to move (never applied); 2 blocked, 0 deferred.',
      );

      // The pull request's plan assumes the base applied under the same default sandbox (dev): a rename.
      const pr = await planBase(b, '--sandbox', 'dev');
      expect(pr.stdout).toContain('! dev/gold move: metadata.name is now "gold-members" in gold.yaml');
      expect(pr.stdout).not.toContain('- prod/gold delete');

      await b.cli('apply', m, '--sandbox', 'dev', '--auto-approve');
      expect(audienceNames(b.emulator, 'prod')).toEqual(['Audience gold', 'Audience silver']);
      expect(audienceNames(b.emulator, 'dev')).toEqual([]);
    });
  });
});

describe('the file of a record, now naming another key, has errors', () => {
  it('H-2: gold.yaml edited to metadata.name gold-2 with a schema error: prod/gold is held, not deleted', async () => {
    await bench({ 'gold.yaml': manifestYaml('gold') }, async (b) => {
      const m = path.join(b.repo, 'm');
      // The record's own file, edited: a new metadata.name and an invalid ttlInDays.
      await writeFiles(m, {
        'gold.yaml': manifestYaml('gold-2', { spec: { name: 'Audience gold', ttlInDays: -3 } }),
      });
      const planned = await b.cli('plan', m);
      expect(planned.stdout).toContain('spec.ttlInDays');
      expect(planned.stdout).not.toContain('- prod/gold delete');
      expect(planned.stdout).toContain('prod/gold: gold.yaml has errors; the audience is left as it is');

      const pr = await planBase(b);
      expect(pr.stdout).not.toContain('- prod/gold delete');
      expect(pr.stdout).toContain('prod/gold: gold.yaml has errors; the audience is left as it is');

      const applied = await b.cli('apply', m, '--auto-approve');
      expect(applied.code).toBe(1);
      expect(applied.stdout).toContain('prod/gold: gold.yaml has errors; the audience is left as it is');
      expect(applied.stdout).not.toContain('deleted');
      expect(audienceNames(b.emulator, 'prod'), 'deleted by a broken edit of its own file').toEqual([
        'Audience gold',
      ]);
    });
  });
});

describe('a file of two manifests', () => {
  it('one document replaced by a new one is a blocked move; taken out, the document removed is deleted', async () => {
    const both = `${manifestYaml('gold')}---\n${manifestYaml('silver')}`;
    await bench({ 'both.yaml': both }, async (b) => {
      const m = path.join(b.repo, 'm');
      expect(audienceNames(b.emulator, 'prod')).toEqual(['Audience gold', 'Audience silver']);

      // silver's document replaced by platinum's in the same file: changed, not removed.
      await writeFiles(m, { 'both.yaml': `${manifestYaml('gold')}---\n${manifestYaml('platinum')}` });
      const replaced = await b.cli('apply', m, '--auto-approve');
      expect(replaced.stdout).toContain(
        '  ! prod/silver move: both.yaml now names prod/platinum, but its audience ("Audience silver") is recorded as prod/silver',
      );
      expect(replaced.stdout).not.toContain('deleted');
      expect(audienceNames(b.emulator, 'prod')).toEqual(['Audience gold', 'Audience silver']);

      // The way out the step gives: platinum taken out of both.yaml; gold, still there, is recorded.
      await writeFiles(m, { 'both.yaml': manifestYaml('gold') });
      const planned = await b.cli('plan', m);
      expect(planned.stdout).toContain('  - prod/silver delete: manifest removed (both.yaml)\n');
      expect(planned.stdout).toContain(
        'Plan: 0 to create, 0 to update, 0 to replace, 1 to delete, 0 to forget, 0 run(s) to start; 0 blocked, 0 deferred.',
      );
      const removed = await b.cli('apply', m, '--auto-approve');
      expect(removed.code, removed.stdout + removed.stderr).toBe(0);
      expect(audienceNames(b.emulator, 'prod')).toEqual(['Audience gold']);
    });
  });
});
