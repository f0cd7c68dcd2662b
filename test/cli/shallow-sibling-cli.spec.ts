import { execFile, spawn } from 'node:child_process';
import { once } from 'node:events';
import { existsSync, readFileSync } from 'node:fs';
import { mkdir, readdir, readFile, rm, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { pathToFileURL } from 'node:url';
import { promisify } from 'node:util';
import { describe, expect, it } from 'vitest';
import { emulatorEnv, ensureDirStore } from '../helpers/apply-env.js';
import { CLI, GIT_ENV, runCli, withTempDir } from '../helpers/cli.js';
import { runCliInProcess } from '../helpers/cli-in-process.js';
import { manifestYaml } from '../helpers/manifests.js';
import { deadPid, thisHostTag } from '../helpers/temp-names.js';
import { audienceNames } from '../helpers/work-tree.js';
import { withEmulator, type TestEmulator } from '../helpers/with-emulator.js';

/**
 * A CI job's shallow clone (actions/checkout's depth 1) lacks the commit R an audience was
 * last applied from. Of a sibling branch cut before the audience's manifest was added on main,
 * with a later commit of its own, R's committer time is before HEAD's: compared by time only,
 * the apply deleted an audience whose manifest was never removed, only never there (review
 * scope-48, "Left undone"). A full clone of that branch is refused as an older checkout; the
 * shallow one now asks git too, deepening the clone back to R's time from its remote, for the
 * commits of its own repository's records a step would undo only (marks and other
 * repositories' commits are judged as before: c3ae4fb7, which fetched them too, was reverted),
 * and refuses when git cannot answer: no remote, a remote gone, one that never answers (the
 * fetch is stopped), one that will not give HEAD's commit by id and whose branches do not hold
 * it. A server that will not give HEAD by id but whose branch holds it answers by that branch.
 * main's own shallow clone, whose HEAD contains R, still applies (an update and a delete).
 * Real repositories (a bare origin named acme/audiences by an https URL that git's
 * url.insteadOf sends to it), the built CLI, the emulator over HTTP.
 *
 * main: A (x) 10:00, B (adds delta) 11:00, C (edits x, removes delta) 13:00.
 * sibling: A, then S (a note) 12:00.
 */
const run = promisify(execFile);
const quiet = { ingestion: { onCreate: false } };
const A_TIME = '2026-12-01T10:00:00.000Z';
const B_TIME = '2026-12-01T11:00:00.000Z';
const S_TIME = '2026-12-01T12:00:00.000Z';
const S2_TIME = '2026-12-01T12:30:00.000Z';
const C_TIME = '2026-12-01T13:00:00.000Z';
const URL = 'https://github.com/acme/audiences.git';
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

/**
 * main and sibling pushed to a bare origin, main applied from a work tree whose origin is
 * acme/audiences (its records and mark name it): the ids of B and S, and what to clone and
 * apply with.
 */
async function applied(root: string, emulator: TestEmulator) {
  const work = path.join(root, 'work');
  const origin = path.join(root, 'origin.git');
  await mkdir(work);
  await git(work, ['init', '--quiet', '--initial-branch=main']);
  await git(work, ['remote', 'add', 'origin', URL]);
  await git(work, ['config', `url.file://${origin}.insteadOf`, URL]);
  await commit(work, { 'x.yaml': x('x at A') }, A_TIME);
  await git(work, ['branch', 'sibling']);
  const b = await commit(work, { 'x.yaml': x('x at A'), 'delta.yaml': delta }, B_TIME);
  await git(work, ['checkout', '--quiet', 'sibling']);
  const s = await commit(work, { 'x.yaml': x('x at A') }, S_TIME, { 'NOTES.md': 'a note\n' });
  await git(work, ['checkout', '--quiet', 'main']);
  await git(root, ['init', '--quiet', '--bare', origin]);
  await git(work, ['push', '--quiet', 'origin', 'main', 'sibling']);

  const state = path.join(root, 'state');
  await ensureDirStore(state);
  const env = emulatorEnv(emulator);
  const apply = (dir: string, extraEnv: Record<string, string> = {}) =>
    runCli(['apply', path.join(dir, 'audiences'), '--state', state, '--auto-approve'], {
      env: { ...env, ...extraEnv },
    });
  // The story's first apply (main at B) is its premise: the CLI's entry in this process
  // (cli-in-process.ts); every apply and plan a case asserts on spawns the built CLI.
  const first = await runCliInProcess(
    ['apply', path.join(work, 'audiences'), '--state', state, '--auto-approve'],
    { env },
  );
  expect(first.code, first.stderr).toBe(0);
  expect(audienceNames(emulator)).toEqual(['Audience delta', 'Audience x']);
  /** `branch`'s depth-1 clone at `root/name`, its origin acme/audiences (url.insteadOf: the bare one). */
  const clone = async (branch: string, name: string) => {
    const to = path.join(root, name);
    await git(root, ['clone', '--quiet', '--depth', '1', '--branch', branch, `file://${origin}`, to]);
    await git(to, ['remote', 'set-url', 'origin', URL]);
    await git(to, ['config', `url.file://${origin}.insteadOf`, URL]);
    return to;
  };
  return { work, b, s, state, env, apply, clone };
}

/** The one `Error:` line of an apply that git could not answer, checked; the line. */
function unansweredLine(stderr: string, s: string, b: string): string {
  const lines = stderr.split('\n').filter((line) => line.startsWith('Error: '));
  expect(lines, stderr).toHaveLength(1);
  expect(stderr).not.toMatch(STACK);
  const line = lines[0]!;
  expect(line).toMatch(
    new RegExp(
      `^Error: cannot tell whether this checkout's HEAD ${s.slice(0, 7)} contains commit ${b.slice(0, 7)} \\(committed ${B_TIME}\\), which prod/delta was last applied from: this clone is shallow and lacks it, and `,
    ),
  );
  expect(line).toContain(
    'Nothing was applied. Apply from a clone with its history (actions/checkout with fetch-depth: 0, or git fetch --unshallow), or pass --allow-older-checkout to apply anyway',
  );
  return line;
}

describe("a shallow clone lacking the commit an audience's record was applied from", () => {
  it('refuses the delete from a sibling branch cut before the manifest was added, and applies main', async () => {
    await withTempDir(async (root) =>
      withEmulator(undefined, async (emulator) => {
        const { work, b, s, state, env, apply, clone } = await applied(root, emulator);
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
        // The history was fetched beside the checkout, which is left one commit deep.
        expect(await git(sibling, ['rev-list', '--count', 'HEAD'])).toBe('1');

        // main's own depth-1 clone at C: B is an earlier commit of main, found once deepened.
        await commit(work, { 'x.yaml': x('x at C') }, C_TIME);
        await git(work, ['push', '--quiet', 'origin', 'main']);
        const ci = await apply(await clone('main', 'main'));
        expect(ci.code, ci.stderr).toBe(0);
        expect(audienceNames(emulator)).toEqual(['Audience x']);
        expect(
          emulator.control.listAudiences('DEMO0RG0000000000000000@AdobeOrg', 'prod')[0]?.description,
        ).toBe('x at C');
      }),
    );
  });

  it('refuses in one line when its remote is gone, or never answers (the fetch is stopped)', async () => {
    await withTempDir(async (root) =>
      withEmulator(undefined, async (emulator) => {
        const { b, s, state, env, apply, clone } = await applied(root, emulator);
        const gone = await clone('sibling', 'gone');
        await git(gone, ['config', '--remove-section', `url.file://${path.join(root, 'origin.git')}`]);
        await git(gone, ['config', `url.file://${path.join(root, 'gone.git')}.insteadOf`, URL]);
        // An ssh remote whose host never answers: ssh, here, waits and says nothing.
        const hung = await clone('sibling', 'hung');
        await git(hung, ['remote', 'set-url', 'origin', 'ssh://git@example.invalid/acme/audiences.git']);
        await git(hung, ['config', 'core.sshCommand', "sh -c 'sleep 600' ssh"]);
        emulator.control.resetCounters();
        // plan warns of the refusal, saying git could not tell (and why), not that HEAD lacks B.
        const planned = await runCli(
          ['plan', path.join(gone, 'audiences'), '--state', state, '--detailed-exitcode'],
          { env },
        );
        expect(planned.code, planned.stderr).toBe(3);
        const warning = planned.stdout
          .split('\n')
          .filter((line) => line.startsWith('Warning: apply would refuse'));
        expect(warning, planned.stdout).toHaveLength(1);
        expect(warning[0]).toMatch(
          new RegExp(
            `^Warning: apply would refuse this plan: cannot tell whether this checkout's HEAD ${s.slice(0, 7)} contains commit ${b.slice(0, 7)} \\(committed ${B_TIME}\\), which prod/delta was last applied from: this clone is shallow and lacks it, and git fetch --shallow-since=\\S+ from origin failed \\(.+\\)\\. Plan from a clone with its history \\(actions/checkout with fetch-depth: 0, or git fetch --unshallow\\), or apply with --allow-older-checkout\\.$`,
          ),
        );
        expect(planned.stdout).not.toContain('does not contain');
        // Its JSON says so too (why: unanswered, not not-contained), and Markdown the same warning.
        const json = await runCli(
          ['plan', path.join(gone, 'audiences'), '--state', state, '--output', 'json'],
          {
            env,
          },
        );
        expect(json.code, json.stderr).toBe(0);
        const older = (JSON.parse(json.stdout) as { olderCheckout?: { audiences: unknown[]; note: string } })
          .olderCheckout;
        expect(older?.audiences).toEqual([
          {
            sandbox: 'prod',
            key: 'delta',
            kind: 'delete',
            revision: { commit: b, committedAt: B_TIME },
            why: 'unanswered',
          },
        ]);
        expect(`Warning: ${older?.note}.`).toBe(warning[0]);
        const markdown = await runCli(
          ['plan', path.join(gone, 'audiences'), '--state', state, '--output', 'markdown'],
          { env },
        );
        expect(markdown.code, markdown.stderr).toBe(0);
        // Its one warning says the same (a long line is shortened there, the JSON plan has it whole).
        const shown = markdown.stdout
          .split('\n')
          .filter((line) => line.startsWith('Warning: apply would refuse'));
        expect(shown, markdown.stdout).toHaveLength(1);
        expect(warning[0]!.startsWith(shown[0]!.replace(/… \(\d+ more characters\)$/, ''))).toBe(true);
        expect(shown[0]).toContain(
          `cannot tell whether this checkout's HEAD ${s.slice(0, 7)} contains commit`,
        );
        expect(markdown.stdout).not.toContain('does not contain');
        const unreachable = await apply(gone);
        expect(unreachable.code, unreachable.stdout).toBe(1);
        expect(unansweredLine(unreachable.stderr, s, b)).toContain(' from origin failed (');
        const stopped = await apply(hung, { AUDIENCECTL_GIT_TIMEOUT: '1s' });
        expect(stopped.code, stopped.stdout).toBe(1);
        expect(unansweredLine(stopped.stderr, s, b)).toContain(
          'failed (git fetch was silent for 1s and was stopped (AUDIENCECTL_GIT_TIMEOUT))',
        );
        expect(emulator.control.counters().requests).toBe(0);
        expect(audienceNames(emulator)).toEqual(['Audience delta', 'Audience x']);
      }),
    );
  });

  it("asks a server that will not give HEAD's commit by id for its branch, and refuses when no branch holds it", async () => {
    await withTempDir(async (root) =>
      withEmulator(undefined, async (emulator) => {
        const { work, b, s, apply, clone } = await applied(root, emulator);
        // Protocol v0 without uploadpack.allowReachableSHA1InWant: only the branches' tips are
        // given by id, and sibling has moved on since the clones were made.
        const moved = await clone('sibling', 'moved');
        const rewound = await clone('sibling', 'rewound');
        for (const dir of [moved, rewound]) await git(dir, ['config', 'protocol.version', '0']);
        await git(work, ['checkout', '--quiet', 'sibling']);
        await commit(work, { 'x.yaml': x('x at A') }, S2_TIME, { 'NOTES.md': 'another note\n' });
        await git(work, ['push', '--quiet', 'origin', 'sibling']);
        emulator.control.resetCounters();
        const refused = await apply(moved);
        expect(refused.code, refused.stdout).toBe(1);
        expect(refused.stderr).toContain(
          `Error: refusing to undo a newer apply: prod/delta was last applied from commit ${b.slice(0, 7)} (committed ${B_TIME}), which this checkout's HEAD ${s.slice(0, 7)} (committed ${S_TIME}) does not contain. Nothing was applied.`,
        );
        // sibling force-pushed to a commit that does not hold S: git cannot answer.
        await git(work, ['checkout', '--quiet', '--orphan', 'other']);
        await commit(work, { 'x.yaml': x('x at A') }, S2_TIME);
        await git(work, ['push', '--quiet', '--force', 'origin', 'other:sibling']);
        const unanswered = await apply(rewound);
        expect(unanswered.code, unanswered.stdout).toBe(1);
        expect(unansweredLine(unanswered.stderr, s, b)).toContain(
          `origin would not give commit ${s.slice(0, 7)} by id (error: Server does not allow request for unadvertised object ${s}), and none of its branches fetched holds it`,
        );
        expect(emulator.control.counters().requests).toBe(0);
        expect(audienceNames(emulator)).toEqual(['Audience delta', 'Audience x']);
      }),
    );
  });

  it('removes its history repository once the command is done with it, not at the exit', async () => {
    await withTempDir(async (root) =>
      withEmulator(undefined, async (emulator) => {
        const { work, b, s, state, env, clone } = await applied(root, emulator);
        // Each command's temporary folder, of its own, and what it holds once the command is
        // done, before the exit hooks run (fixtures/temp-at-end.mjs).
        const temp = path.join(root, 'tmp');
        await mkdir(temp);
        const atEnd = path.join(root, 'temp-at-end.json');
        const preload = pathToFileURL(path.join(import.meta.dirname, 'fixtures', 'temp-at-end.mjs')).href;
        const cli = async (args: string[]) => {
          await rm(atEnd, { force: true });
          const result = await runCli([...args, '--state', state], {
            env: { ...env, TMPDIR: temp, TEMP_AT_END: atEnd, NODE_OPTIONS: `--import=${preload}` },
          });
          const left = JSON.parse(await readFile(atEnd, 'utf8')) as string[];
          return { ...result, left, now: await readdir(temp) };
        };
        const sibling = await clone('sibling', 'sibling');
        const gone = await clone('sibling', 'gone');
        await git(gone, ['config', '--remove-section', `url.file://${path.join(root, 'origin.git')}`]);
        await git(gone, ['config', `url.file://${path.join(root, 'gone.git')}.insteadOf`, URL]);
        await commit(work, { 'x.yaml': x('x at C') }, C_TIME);
        await git(work, ['push', '--quiet', 'origin', 'main']);
        const main = await clone('main', 'main');

        // plan and apply of the sibling's clone: the history fetched places B (not contained).
        const planned = await cli(['plan', path.join(sibling, 'audiences'), '--detailed-exitcode']);
        expect(planned.code, planned.stderr).toBe(3);
        expect(planned.stdout).toContain(
          `${b.slice(0, 7)} (committed ${B_TIME}), which this checkout's HEAD`,
        );
        expect(planned.left).toEqual([]);
        const refused = await cli(['apply', path.join(sibling, 'audiences'), '--auto-approve']);
        expect(refused.code, refused.stdout).toBe(1);
        expect(refused.stderr).toContain('Error: refusing to undo a newer apply: prod/delta');
        expect(refused.left).toEqual([]);
        // Its fetch failed: the repository made for it goes then.
        const unanswered = await cli(['apply', path.join(gone, 'audiences'), '--auto-approve']);
        expect(unanswered.code, unanswered.stdout).toBe(1);
        expect(unansweredLine(unanswered.stderr, s, b)).toContain(' from origin failed (');
        expect(unanswered.left).toEqual([]);
        // main's own clone, its history fetched, applies.
        const applies = await cli(['apply', path.join(main, 'audiences'), '--auto-approve']);
        expect(applies.code, applies.stderr).toBe(0);
        expect(audienceNames(emulator)).toEqual(['Audience x']);
        expect(applies.left).toEqual([]);
        expect(applies.now).toEqual([]);
      }),
    );
  });

  it('leaves no credential on disk, and a later run removes the history repository a killed one left', async () => {
    await withTempDir(async (root) =>
      withEmulator(undefined, async (emulator) => {
        const { b, s, apply, clone, state, env } = await applied(root, emulator);
        // actions/checkout's credential, kept in the clone's settings; an ssh remote that says
        // it was reached (its pid written) and never answers, as in the case above.
        const secret = 'AUTHORIZATION: basic eC1hY2Nlc3MtdG9rZW46Z2hzX3NlY3JldA==';
        const hung = await clone('sibling', 'hung');
        await git(hung, ['config', 'http.https://github.com/.extraheader', secret]);
        await git(hung, ['remote', 'set-url', 'origin', 'ssh://git@example.invalid/acme/audiences.git']);
        const sshPid = path.join(root, 'ssh.pid');
        await git(hung, [
          'config',
          'core.sshCommand',
          `sh -c 'echo $$ > "${sshPid}.new" && mv "${sshPid}.new" "${sshPid}"; exec sleep 600' ssh`,
        ]);
        // The apply's temporary folder, of its own: what it leaves there is what it left.
        const temp = path.join(root, 'tmp');
        await mkdir(temp);
        const histories = async () =>
          (await readdir(temp)).filter((entry) => entry.startsWith('audiencectl-history-')).sort();
        /** Every file under `dir` that holds the secret (or its token). */
        const holding = async (dir: string): Promise<string[]> => {
          const found: string[] = [];
          for (const entry of await readdir(dir, { recursive: true, withFileTypes: true })) {
            if (!entry.isFile()) continue;
            const file = path.join(entry.parentPath, entry.name);
            const text = await readFile(file, 'latin1');
            if (text.includes('eC1hY2Nlc3MtdG9rZW46Z2hzX3NlY3JldA')) found.push(file);
          }
          return found;
        };
        // Made by processes gone or alive, named as this host's: a pid that has exited, the
        // pid of this test's process with its start time (alive), and that pid with another
        // start (a process it reused the pid of, gone).
        const host = thisHostTag();
        const stat = readFileSync('/proc/self/stat', 'utf8');
        const start = stat.slice(stat.lastIndexOf(')') + 2).split(' ')[19]!;
        const gone = `audiencectl-history-${host}-${deadPid()}-${start}-aaaaaa`;
        const alive = `audiencectl-history-${host}-${process.pid}-${start}-bbbbbb`;
        const reused = `audiencectl-history-${host}-${process.pid}-${Number(start) + 1}-cccccc`;
        const elsewhere = `audiencectl-history-00000000-${deadPid()}-${start}-dddddd`;
        for (const name of [gone, alive, reused, elsewhere]) await mkdir(path.join(temp, name));

        emulator.control.resetCounters();
        const child = spawn(
          process.execPath,
          [CLI, 'apply', path.join(hung, 'audiences'), '--state', state, '--auto-approve'],
          { env: { ...process.env, NO_COLOR: '1', ...env, TMPDIR: temp }, stdio: 'ignore' },
        );
        const exited = once(child, 'exit');
        // Its git and ssh outlive the kill (git's process group, no exit hook run): ended here, the
        // whole group: its git, its ssh killed alone, ran another (left running for the sleep's
        // 10 minutes after every run; found by the sixtieth pass's ciwall).
        let sshGroup: number | undefined;
        try {
          // Killed once its fetch is under way: the history repository is there, its settings in use.
          while (!existsSync(sshPid) && child.exitCode === null)
            await new Promise((resolve) => setTimeout(resolve, 50));
          expect(child.exitCode, 'the apply ended before its fetch').toBeNull();
          sshGroup = processGroupOf(Number((await readFile(sshPid, 'utf8')).trim()));
          const during = (await histories()).filter(
            (name) => ![gone, alive, reused, elsewhere].includes(name),
          );
          expect(during).toHaveLength(1);
          expect(await holding(temp)).toEqual([]);
          expect(during[0]).toMatch(new RegExp(`^audiencectl-history-${host}-${child.pid}-\\d+-`));
          child.kill('SIGKILL');
          await exited;
          // The kill landed while it was there: no exit hook removed it.
          expect(await histories()).toContain(during[0]);
        } finally {
          if (child.exitCode === null && child.signalCode === null) child.kill('SIGKILL');
          if (sshGroup !== undefined && sshGroup > 1 && sshGroup !== processGroupOf(process.pid))
            process.kill(-sshGroup, 'SIGKILL');
        }
        expect(emulator.control.counters().requests).toBe(0);

        // The next run that fetches history removes what the killed one, and the gone one, left.
        const again = await apply(hung, { AUDIENCECTL_GIT_TIMEOUT: '1s', TMPDIR: temp });
        expect(again.code, again.stdout).toBe(1);
        expect(unansweredLine(again.stderr, s, b)).toContain('was silent for 1s and was stopped');
        expect(await histories()).toEqual([alive, elsewhere].sort());
        expect(await holding(temp)).toEqual([]);
        expect(audienceNames(emulator)).toEqual(['Audience delta', 'Audience x']);
      }),
    );
  });

  it('asks git of a record that names no repository (applied before the remote was added) too', async () => {
    await withTempDir(async (root) =>
      withEmulator(undefined, async (emulator) => {
        // Applied at B from a work tree with no remote: x's record names no repository.
        const work = path.join(root, 'work');
        const origin = path.join(root, 'origin.git');
        await mkdir(work);
        await git(work, ['init', '--quiet', '--initial-branch=main']);
        await commit(work, { 'x.yaml': x('x at A') }, A_TIME);
        await git(work, ['branch', 'sibling']);
        const b = await commit(work, { 'x.yaml': x('x at B') }, B_TIME);
        const state = path.join(root, 'state');
        await ensureDirStore(state);
        const env = emulatorEnv(emulator);
        const first = await runCliInProcess(
          ['apply', path.join(work, 'audiences'), '--state', state, '--auto-approve'],
          { env },
        );
        expect(first.code, first.stderr).toBe(0);
        // Then pushed to acme/audiences; sibling, cut at A, gets a later commit of its own.
        await git(work, ['checkout', '--quiet', 'sibling']);
        const s = await commit(work, { 'x.yaml': x('x at A') }, S_TIME, { 'NOTES.md': 'a note\n' });
        await git(root, ['init', '--quiet', '--bare', origin]);
        await git(work, ['push', '--quiet', `file://${origin}`, 'main', 'sibling']);
        const sibling = path.join(root, 'sibling');
        await git(root, [
          'clone',
          '--quiet',
          '--depth',
          '1',
          '--branch',
          'sibling',
          `file://${origin}`,
          sibling,
        ]);
        await git(sibling, ['remote', 'set-url', 'origin', URL]);
        await git(sibling, ['config', `url.file://${origin}.insteadOf`, URL]);

        // Its depth-1 clone would PATCH x back to A's spec, undoing B: refused, as a full clone is.
        emulator.control.resetCounters();
        const refused = await runCli(
          ['apply', path.join(sibling, 'audiences'), '--state', state, '--auto-approve'],
          { env },
        );
        expect(refused.code, refused.stdout).toBe(1);
        expect(refused.stderr).toContain(
          `Error: refusing to undo a newer apply: prod/x was last applied from commit ${b.slice(0, 7)} (committed ${B_TIME}), which this checkout's HEAD ${s.slice(0, 7)} (committed ${S_TIME}) does not contain. Nothing was applied.`,
        );
        expect(emulator.control.counters().requests).toBe(0);
        expect(
          emulator.control.listAudiences('DEMO0RG0000000000000000@AdobeOrg', 'prod')[0]?.description,
        ).toBe('x at B');
      }),
    );
  });
});

/** The process group of a live process (/proc/<pid>/stat's fifth field, after its name). */
function processGroupOf(pid: number): number {
  const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
  return Number(stat.slice(stat.lastIndexOf(')') + 2).split(' ')[2]);
}
