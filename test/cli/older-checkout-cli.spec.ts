import { execFile, spawn } from 'node:child_process';
import { cp, mkdir, readFile, rm, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { promisify } from 'node:util';
import { describe, expect, it } from 'vitest';
import { DEMO_CLIENT } from '../../src/emulator/index.js';
import { recordPath } from '../../src/state/paths.js';
import type { AudienceRecord, StateMeta } from '../../src/state/schema.js';
import { apply, emulatorEnv } from '../helpers/apply-env.js';
import { CLI, GIT_ENV, runCli, withTempDir } from '../helpers/cli.js';
import { runCliInProcess } from '../helpers/cli-in-process.js';
import { manifestYaml } from '../helpers/manifests.js';
import { withEmulator, type TestEmulator } from '../helpers/with-emulator.js';

/**
 * An apply of a checkout older than what was applied is refused before any call (README,
 * "How it stays safe"): real repositories, the emulator over HTTP, and the built CLI for
 * the refusal a CI job would meet (exit code, message, no stack trace); the rest of the
 * story runs the CLI's entry in this process.
 *
 * Commit A holds x and y; B, committed an hour later, edits x, removes y, adds z.
 */
const run = promisify(execFile);
const quiet = { ingestion: { onCreate: false } };
const A_TIME = '2026-12-01T10:00:00.000Z';
const B_TIME = '2026-12-01T11:00:00.000Z';
const STACK = /\n\s+at /;

async function git(cwd: string, args: string[], committedAt?: string): Promise<string> {
  const env = { ...process.env, ...GIT_ENV, ...(committedAt ? { GIT_COMMITTER_DATE: committedAt } : {}) };
  return (await run('git', args, { cwd, env })).stdout.trim();
}

/** Replaces the manifests under `repo/audiences` with `files` and commits them at `at`. */
async function commit(repo: string, files: Record<string, string>, at: string): Promise<string> {
  await rm(path.join(repo, 'audiences'), { recursive: true, force: true });
  await mkdir(path.join(repo, 'audiences'));
  for (const [name, text] of Object.entries(files)) await writeFile(path.join(repo, 'audiences', name), text);
  await git(repo, ['add', '--all']);
  await git(repo, ['commit', '--quiet', '-m', `at ${at}`], at);
  return git(repo, ['rev-parse', 'HEAD']);
}

const x = (description: string) => manifestYaml('x', { ...quiet, spec: { description } });
const y = manifestYaml('y', quiet);
const z = manifestYaml('z', quiet);

/** A repository at commit A (x and y), on `main`, with the branch `old` also at A. */
async function repositoryAtA(root: string): Promise<{ repo: string; a: string }> {
  const repo = path.join(root, 'repo');
  await mkdir(repo);
  await git(repo, ['init', '--quiet', '--initial-branch=main']);
  const a = await commit(repo, { 'x.yaml': x('x at A'), 'y.yaml': y }, A_TIME);
  await git(repo, ['branch', 'old']);
  return { repo, a };
}

/** A repository whose `main` is B and whose branch `old` is A. */
async function repository(root: string): Promise<{ repo: string; a: string; b: string }> {
  const { repo, a } = await repositoryAtA(root);
  const b = await commit(repo, { 'x.yaml': x('x at B'), 'z.yaml': z }, B_TIME);
  return { repo, a, b };
}

async function metaOf(state: string): Promise<StateMeta> {
  return JSON.parse(await readFile(path.join(state, 'meta.json'), 'utf8')) as StateMeta;
}

/** The emulator's audiences: name -> description. */
function remote(emulator: TestEmulator): Record<string, string | undefined> {
  const audiences = emulator.control.listAudiences(DEMO_CLIENT.orgId, 'prod');
  const entries = audiences.map((a): [string, string | undefined] => [a.audienceName, a.description]);
  return Object.fromEntries(entries.sort(([a], [b]) => a.localeCompare(b)));
}

async function revisionOf(state: string, key: string): Promise<AudienceRecord['applied']> {
  const record = JSON.parse(await readFile(recordPath(state, 'prod', key), 'utf8')) as AudienceRecord;
  return record.applied;
}

const AT_B = { 'Audience x': 'x at B', 'Audience z': 'About z' };
const AT_A = { 'Audience x': 'x at A', 'Audience y': 'About y' };

describe('apply from a checkout older than what was applied', () => {
  it('is refused before any call, warned about by plan, refused as a saved plan, and applied with --allow-older-checkout; a newer checkout applies', async () => {
    await withTempDir(async (root) =>
      withEmulator(undefined, async (emulator) => {
        const { repo, a, b } = await repository(root);
        const audiences = path.join(repo, 'audiences');
        const state = path.join(root, 'state');
        const env = emulatorEnv(emulator);
        expect((await apply(audiences, state, env)).code).toBe(0);
        expect(remote(emulator)).toEqual(AT_B);
        expect((await revisionOf(state, 'x'))?.revision).toEqual({ commit: b, committedAt: B_TIME });

        await git(repo, ['checkout', '--quiet', 'old']);
        emulator.control.resetCounters();
        const refused = await runCli(['apply', audiences, '--state', state, '--auto-approve'], { env });
        expect(refused.code).toBe(1);
        expect(refused.stderr).toContain(
          `Error: refusing to undo a newer apply: prod/x and prod/z were last applied from commit ${b.slice(0, 7)} (committed ${B_TIME}), which this checkout's HEAD ${a.slice(0, 7)} (committed ${A_TIME}) does not contain; and prod/y would be created again (sandbox prod was last applied from it). Nothing was applied. Pull or fetch the newer commit and apply from it, or pass --allow-older-checkout to apply anyway\n`,
        );
        expect(refused.stderr).not.toMatch(STACK);
        // Not one request: no token, no read, no change.
        expect(emulator.control.counters().requests).toBe(0);
        expect(remote(emulator)).toEqual(AT_B);

        // plan says so; its steps are what they are.
        const planned = await runCliInProcess(['plan', audiences, '--state', state]);
        expect(planned.code).toBe(0);
        expect(planned.stdout).toContain('Plan: 1 to create, 1 to update, 0 to replace, 1 to delete');
        expect(planned.stdout).toContain(
          `Warning: apply would refuse this plan: prod/x and prod/z were last applied from commit ${b.slice(0, 7)}`,
        );
        // A CI gate on --detailed-exitcode sees it as blocked (3), not as changes to apply (2).
        const gated = await runCliInProcess(['plan', audiences, '--state', state, '--detailed-exitcode']);
        expect(gated.code).toBe(3);
        // A saved plan is checked against the commit it was made from.
        const saved = path.join(root, 'plan.json');
        const written = await runCliInProcess([
          'plan',
          audiences,
          '--state',
          state,
          '--output',
          'json',
          '--out',
          saved,
        ]);
        // Said beside the file too, not only in it (review 20b, M3).
        expect(written.stderr).toContain(
          `Warning: apply would refuse this plan: prod/x and prod/z were last applied from commit ${b.slice(0, 7)}`,
        );
        const savedRefused = await runCliInProcess(['apply', saved, '--state', state, '--auto-approve'], {
          env,
        });
        expect(savedRefused.code).toBe(1);
        expect(savedRefused.stderr).toContain(
          `which ${saved}'s commit ${a.slice(0, 7)} (committed ${A_TIME}) does not contain; and prod/y would be created again (sandbox prod was last applied from it). Nothing was applied. Plan again from a checkout of the newer commit, or pass --allow-older-checkout`,
        );
        expect(emulator.control.counters().requests).toBe(0);

        // A newer checkout (C after B) applies as usual.
        await git(repo, ['checkout', '--quiet', 'main']);
        const c = await commit(repo, { 'x.yaml': x('x at C'), 'z.yaml': z }, '2026-12-01T12:00:00.000Z');
        expect((await apply(audiences, state, env)).code).toBe(0);
        expect(remote(emulator)).toEqual({ ...AT_B, 'Audience x': 'x at C' });
        expect((await revisionOf(state, 'x'))?.revision?.commit).toBe(c);

        // Asked for: the older checkout is applied, and its commit recorded.
        await git(repo, ['checkout', '--quiet', 'old']);
        const allowed = await apply(audiences, state, env, '--allow-older-checkout');
        expect(allowed.code).toBe(0);
        expect(allowed.stderr).toContain(
          `Warning: --allow-older-checkout: prod/x was last applied from commit ${c.slice(0, 7)} (committed 2026-12-01T12:00:00.000Z), which this checkout's HEAD ${a.slice(0, 7)} (committed ${A_TIME}) does not contain; and prod/y would be created again (sandbox prod was last applied from it); and 1 more audience(s), from 1 other such commit(s); applying it anyway, as asked\n`,
        );
        expect(remote(emulator)).toEqual(AT_A);
        expect((await revisionOf(state, 'x'))?.revision?.commit).toBe(a);
      }),
    );
  });

  it('is refused from a shallow clone by commit time, and from a diverged branch by ancestry', async () => {
    await withTempDir(async (root) =>
      withEmulator(undefined, async (emulator) => {
        const { repo, a, b } = await repository(root);
        const state = path.join(root, 'state');
        const env = emulatorEnv(emulator);
        expect((await apply(path.join(repo, 'audiences'), state, env)).code).toBe(0);

        // actions/checkout's default: one commit, so B is not in the clone to compare with.
        const shallow = path.join(root, 'shallow');
        await git(root, ['clone', '--quiet', '--depth', '1', '--branch', 'old', `file://${repo}`, shallow]);
        emulator.control.resetCounters();
        const refused = await apply(path.join(shallow, 'audiences'), state, env);
        expect(refused.code).toBe(1);
        expect(refused.stderr).toContain(
          `prod/x and prod/z were last applied from commit ${b.slice(0, 7)} (committed ${B_TIME}), which is not in this clone and was committed after this checkout's HEAD ${a.slice(0, 7)} (committed ${A_TIME}); and prod/y would be created again (sandbox prod was last applied from it).`,
        );

        // A branch off A, committed after B: its time is no excuse, B is not in its history.
        await git(repo, ['checkout', '--quiet', '-b', 'side', 'old']);
        await commit(repo, { 'x.yaml': x('x on a side branch'), 'z.yaml': z }, '2026-12-01T13:00:00.000Z');
        const diverged = await apply(path.join(repo, 'audiences'), state, env);
        expect(diverged.code).toBe(1);
        expect(diverged.stderr).toContain(
          `prod/x was last applied from commit ${b.slice(0, 7)} (committed ${B_TIME}), which this checkout's HEAD`,
        );
        expect(emulator.control.counters().requests).toBe(0);
        expect(remote(emulator)).toEqual(AT_B);
      }),
    );
  });

  it('refuses to create again what a newer commit removed: its sandbox keeps the commit last applied', async () => {
    await withTempDir(async (root) =>
      withEmulator(undefined, async (emulator) => {
        // A holds x and y; B, an hour later, removes y and leaves x alone (its record keeps A).
        const { repo, a } = await repositoryAtA(root);
        const audiences = path.join(repo, 'audiences');
        const state = path.join(root, 'state');
        const env = emulatorEnv(emulator);
        expect((await apply(audiences, state, env)).code).toBe(0);
        const b = await commit(repo, { 'x.yaml': x('x at A') }, B_TIME);
        expect((await apply(audiences, state, env)).code).toBe(0);
        expect(remote(emulator)).toEqual({ 'Audience x': 'x at A' });
        expect((await metaOf(state)).revisions).toEqual({ prod: { commit: b, committedAt: B_TIME } });

        // A re-run of A's CI job.
        await git(repo, ['checkout', '--quiet', 'old']);
        emulator.control.resetCounters();
        const serial = (await metaOf(state)).serial;
        const refused = await runCli(['apply', audiences, '--state', state, '--auto-approve'], { env });
        expect(refused.code).toBe(1);
        expect(refused.stderr).toContain(
          `Error: refusing to undo a newer apply: prod/y would be created again; sandbox prod was last applied from commit ${b.slice(0, 7)} (committed ${B_TIME}), which this checkout's HEAD ${a.slice(0, 7)} (committed ${A_TIME}) does not contain. Nothing was applied.`,
        );
        expect(refused.stderr).not.toMatch(STACK);
        expect(emulator.control.counters().requests).toBe(0);
        expect(remote(emulator)).toEqual({ 'Audience x': 'x at A' });
        expect((await metaOf(state)).serial).toBe(serial);
        const gated = await runCliInProcess(['plan', audiences, '--state', state, '--detailed-exitcode']);
        expect(gated.code).toBe(3);
        expect(gated.stdout).toContain(
          `Warning: apply would refuse this plan: prod/y would be created again;`,
        );

        // Asked for: y is created, and A is now the commit last applied to prod, rolled back from B.
        const allowed = await apply(audiences, state, env, '--allow-older-checkout');
        expect(allowed.code).toBe(0);
        expect(remote(emulator)).toEqual({ 'Audience x': 'x at A', 'Audience y': 'About y' });
        const { revisions } = await metaOf(state);
        // When the rollback was applied: the wall clock's time.
        const at = revisions?.prod?.rolledBackFrom?.[0]?.at;
        expect(at).toMatch(/^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z$/);
        expect(revisions).toEqual({
          prod: {
            commit: a,
            committedAt: A_TIME,
            rolledBackFrom: [{ commit: b, committedAt: B_TIME, to: a, at }],
          },
        });
      }),
    );
  });

  it("marks the sandbox before its first call: B's apply killed at its DELETE (done, answer lost) still refuses A's create", async () => {
    await withTempDir(async (root) =>
      withEmulator(undefined, async (emulator) => {
        const { repo } = await repositoryAtA(root);
        const audiences = path.join(repo, 'audiences');
        const state = path.join(root, 'state');
        const env = emulatorEnv(emulator);
        expect((await apply(audiences, state, env)).code).toBe(0);
        const b = await commit(repo, { 'x.yaml': x('x at A') }, B_TIME);

        // The service deletes y; its answer waits until the CLI is dead, so it never arrives.
        let deleted!: () => void;
        const reached = new Promise<'deleted'>((resolve) => (deleted = () => resolve('deleted')));
        let dead!: () => void;
        const killed = new Promise<void>((resolve) => (dead = resolve));
        const stop = emulator.control.observeRequests((request) => {
          if (request.endpoint !== 'deleteAudience') return undefined;
          deleted();
          return killed;
        });
        try {
          const child = spawn(
            process.execPath,
            [CLI, 'apply', audiences, '--state', state, '--auto-approve'],
            {
              env: { ...process.env, ...env, NO_COLOR: '1' },
              stdio: 'ignore',
            },
          );
          const exited = new Promise<'exit'>((resolve) => child.once('exit', () => resolve('exit')));
          expect(await Promise.race([reached, exited])).toBe('deleted');
          child.kill('SIGKILL');
          await exited;
        } finally {
          dead();
          stop();
        }
        expect(remote(emulator)).toEqual({ 'Audience x': 'x at A' });
        const meta = await metaOf(state);
        expect(meta.revisions).toEqual({ prod: { commit: b, committedAt: B_TIME } });

        // A's apply settles y's intent (gone), plans its create, and refuses it.
        await git(repo, ['checkout', '--quiet', 'old']);
        emulator.control.resetCounters();
        const refused = await apply(audiences, state, env);
        expect(refused.code).toBe(1);
        expect(refused.stderr).toContain(
          'Error: refusing to undo a newer apply: prod/y would be created again;',
        );
        expect(emulator.control.counters().byEndpoint.createAudience.requests).toBe(0);
        expect(remote(emulator)).toEqual({ 'Audience x': 'x at A' });
        const after = await metaOf(state);
        expect(after.revisions).toEqual(meta.revisions);
      }),
    );
  });

  it('outside git applies and records no commit', async () => {
    await withTempDir(async (root) =>
      withEmulator(undefined, async (emulator) => {
        const { repo } = await repository(root);
        const plain = path.join(root, 'plain');
        await cp(path.join(repo, 'audiences'), plain, { recursive: true });
        const state = path.join(root, 'state');
        expect((await apply(plain, state, emulatorEnv(emulator))).code).toBe(0);
        expect(remote(emulator)).toEqual(AT_B);
        const applied = await revisionOf(state, 'x');
        expect(applied?.spec.description).toBe('x at B');
        expect(applied).not.toHaveProperty('revision');
      }),
    );
  });
});
