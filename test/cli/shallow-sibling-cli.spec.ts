import { execFile } from 'node:child_process';
import { mkdir, rm, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { promisify } from 'node:util';
import { describe, expect, it } from 'vitest';
import { emulatorEnv, ensureDirStore } from '../helpers/apply-env.js';
import { GIT_ENV, runCli, withTempDir } from '../helpers/cli.js';
import { manifestYaml } from '../helpers/manifests.js';
import { audienceNames } from '../helpers/work-tree.js';
import { withEmulator } from '../helpers/with-emulator.js';

/**
 * A CI job's shallow clone (actions/checkout's depth 1) lacks the commit R an audience was
 * last applied from. Of a sibling branch cut before the audience's manifest was added on main,
 * with a later commit of its own, R's committer time is before HEAD's: compared by time only,
 * the apply deleted an audience whose manifest was never removed, only never there (review
 * scope-48, "Left undone"). A full clone of that branch is refused as an older checkout; the
 * shallow one now asks git too, deepening the clone back to R's time from its remote, and
 * refuses when git cannot answer. main's own shallow clone, whose HEAD contains R, still
 * applies (an update and a delete). Real repositories (a bare origin, file:// clones, which
 * honour --depth), the built CLI, the emulator over HTTP.
 *
 * main: A (x) 10:00, B (adds delta) 11:00, C (edits x, removes delta) 13:00.
 * sibling: A, then S (a note) 12:00.
 */
const run = promisify(execFile);
const quiet = { ingestion: { onCreate: false } };
const A_TIME = '2026-12-01T10:00:00.000Z';
const B_TIME = '2026-12-01T11:00:00.000Z';
const S_TIME = '2026-12-01T12:00:00.000Z';
const C_TIME = '2026-12-01T13:00:00.000Z';
const STACK = /\n\s+at /;

async function git(cwd: string, args: string[], committedAt?: string): Promise<string> {
  const env = { ...process.env, ...GIT_ENV, ...(committedAt ? { GIT_COMMITTER_DATE: committedAt } : {}) };
  return (await run('git', args, { cwd, env })).stdout.trim();
}

/** Replaces `repo`'s manifests with `files` (and writes `extra` beside them), commits at `at`. */
async function commit(
  repo: string,
  files: Record<string, string>,
  at: string,
  extra: Record<string, string> = {},
): Promise<string> {
  await rm(path.join(repo, 'audiences'), { recursive: true, force: true });
  await mkdir(path.join(repo, 'audiences'));
  for (const [name, text] of Object.entries(files)) await writeFile(path.join(repo, 'audiences', name), text);
  for (const [name, text] of Object.entries(extra)) await writeFile(path.join(repo, name), text);
  await git(repo, ['add', '--all']);
  await git(repo, ['commit', '--quiet', '-m', `at ${at}`], at);
  return git(repo, ['rev-parse', 'HEAD']);
}

const x = (description: string) => manifestYaml('x', { ...quiet, spec: { description } });
const delta = manifestYaml('delta', quiet);

describe("a shallow clone lacking the commit an audience's record was applied from", () => {
  it('refuses the delete from a sibling branch cut before the manifest was added, applies main, and refuses when git cannot answer', async () => {
    await withTempDir(async (root) =>
      withEmulator(undefined, async (emulator) => {
        const work = path.join(root, 'work');
        const origin = path.join(root, 'origin.git');
        await mkdir(work);
        await git(work, ['init', '--quiet', '--initial-branch=main']);
        await commit(work, { 'x.yaml': x('x at A') }, A_TIME);
        await git(work, ['branch', 'sibling']);
        const b = await commit(work, { 'x.yaml': x('x at A'), 'delta.yaml': delta }, B_TIME);
        await git(work, ['checkout', '--quiet', 'sibling']);
        const s = await commit(work, { 'x.yaml': x('x at A') }, S_TIME, { 'NOTES.md': 'a note\n' });
        await git(work, ['checkout', '--quiet', 'main']);
        await git(root, ['init', '--quiet', '--bare', origin]);
        await git(work, ['push', '--quiet', origin, 'main', 'sibling']);

        const state = path.join(root, 'state');
        await ensureDirStore(state);
        const env = emulatorEnv(emulator);
        const apply = (dir: string, ...flags: string[]) =>
          runCli(['apply', path.join(dir, 'audiences'), '--state', state, '--auto-approve', ...flags], {
            env,
          });
        const applied = await apply(work);
        expect(applied.code, applied.stderr).toBe(0);
        expect(audienceNames(emulator)).toEqual(['Audience delta', 'Audience x']);

        // The sibling branch's depth-1 clone: B is not in it, and S was committed after B.
        const clone = async (branch: string, name: string) => {
          const to = path.join(root, name);
          await git(root, ['clone', '--quiet', '--depth', '1', '--branch', branch, `file://${origin}`, to]);
          return to;
        };
        // plan, in a clone of its own (apply's fetch would answer it), warns of the refusal.
        const planned = await runCli(
          [
            'plan',
            path.join(await clone('sibling', 'planned'), 'audiences'),
            '--state',
            state,
            '--detailed-exitcode',
          ],
          { env },
        );
        expect(planned.code, planned.stderr).toBe(3);
        expect(planned.stdout).toContain(
          `Warning: apply would refuse this plan: prod/delta was last applied from commit ${b.slice(0, 7)} (committed ${B_TIME}), which this checkout's HEAD ${s.slice(0, 7)} (committed ${S_TIME}) does not contain.`,
        );
        const sibling = await clone('sibling', 'sibling');
        emulator.control.resetCounters();
        const refused = await apply(sibling);
        expect(refused.code, refused.stdout).toBe(1);
        expect(refused.stderr).toContain(
          `Error: refusing to undo a newer apply: prod/delta was last applied from commit ${b.slice(0, 7)} (committed ${B_TIME}), which this checkout's HEAD ${s.slice(0, 7)} (committed ${S_TIME}) does not contain. Nothing was applied.`,
        );
        expect(refused.stderr).not.toMatch(STACK);
        expect(emulator.control.counters().requests).toBe(0);
        expect(audienceNames(emulator)).toEqual(['Audience delta', 'Audience x']);

        // Without a remote to ask (nor one that answers), git cannot tell: refused, saying why.
        for (const [name, cut] of [
          ['no-remote', ['remote', 'remove', 'origin']],
          ['gone-remote', ['remote', 'set-url', 'origin', `file://${path.join(root, 'gone.git')}`]],
        ] as const) {
          const offline = await clone('sibling', name);
          await git(offline, [...cut]);
          const unanswered = await apply(offline);
          expect(unanswered.code, unanswered.stdout).toBe(1);
          // One line says why and what to do ("Applying to …" before it), no stack trace.
          const lines = unanswered.stderr.split('\n').filter((line) => line.startsWith('Error: '));
          expect(lines, unanswered.stderr).toHaveLength(1);
          expect(unanswered.stderr).not.toMatch(STACK);
          expect(lines[0]).toMatch(
            new RegExp(
              `^Error: cannot tell whether this checkout's HEAD ${s.slice(0, 7)} contains commit ${b.slice(0, 7)} \\(committed ${B_TIME}\\), which prod/delta was last applied from: this clone is shallow and lacks it, and `,
            ),
          );
          expect(lines[0]).toContain(
            'Nothing was applied. Apply from a clone with its history (actions/checkout with fetch-depth: 0, or git fetch --unshallow), or pass --allow-older-checkout to apply anyway',
          );
          expect(emulator.control.counters().requests).toBe(0);
        }
        expect(audienceNames(emulator)).toEqual(['Audience delta', 'Audience x']);

        // main's own depth-1 clone at C: B is an earlier commit of main, found once deepened.
        await commit(work, { 'x.yaml': x('x at C') }, C_TIME);
        await git(work, ['push', '--quiet', origin, 'main']);
        const main = await clone('main', 'main');
        const ci = await apply(main);
        expect(ci.code, ci.stderr).toBe(0);
        expect(audienceNames(emulator)).toEqual(['Audience x']);
        expect(
          emulator.control.listAudiences('DEMO0RG0000000000000000@AdobeOrg', 'prod')[0]?.description,
        ).toBe('x at C');
      }),
    );
  });
});
