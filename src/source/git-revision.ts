import path from 'node:path';
import { simpleGit, type SimpleGit } from 'simple-git';
import type { CommitRelation } from '../plan/older-checkout.js';
import type { AppliedRevision } from '../state/schema.js';
import { COMMIT_ID } from '../state/commit-id.js';
import { gitTop } from '../manifest/read-source-root.js';
import { UnansweredHistoryError } from '../plan/unanswered-history.js';
import { git as runGit } from './git-run.js';

/**
 * The git facts of the order check (plan/older-checkout.ts decides): the commit a checkout of
 * the manifests is at, and where the commits recorded by earlier applies stand against it.
 */

/** What `headRevision` found. */
export type HeadLookup =
  | { kind: 'commit'; head: AppliedRevision }
  /** Not in a git work tree, no git installed, or a repository without commits: nothing to record. */
  | { kind: 'none' }
  /** git answered with an error it should not give (a repository it refuses to read, say). */
  | { kind: 'unreadable'; reason: string };

/** What git's refusals say when there is simply no commit to record (`bad revision 'HEAD'`: none yet). */
const NO_REPOSITORY =
  /not a git repository|ENOENT|does not have any commits|unknown revision|ambiguous argument|bad revision 'HEAD'/i;

function gitAt(dir: string, abort?: AbortSignal): SimpleGit {
  // A commit missing from a partial clone must not be fetched to answer (git 2.45+ reads it).
  return simpleGit({
    baseDir: path.resolve(dir),
    allowEnvironment: ['GIT_NO_LAZY_FETCH'],
    ...(abort === undefined ? {} : { abort }),
  }).env('GIT_NO_LAZY_FETCH', '1');
}

function reasonOf(error: unknown): string {
  return (error instanceof Error ? error.message : String(error)).trim().split('\n')[0] ?? '';
}

/**
 * The commit of HEAD of the git work tree `dir` is in, with its committer time. `abort` ends
 * the git it runs (a command given up at a signal does not wait for a git that hangs).
 */
export async function headRevision(dir: string, abort?: AbortSignal): Promise<HeadLookup> {
  try {
    const git = gitAt(dir, abort);
    if ((await git.raw(['rev-parse', '--is-inside-work-tree'])).trim() !== 'true') return { kind: 'none' };
    const [commit = '', seconds = ''] = (await git.raw(['log', '-1', '--format=%H %ct', 'HEAD', '--']))
      .trim()
      .split(' ');
    if (!COMMIT_ID.test(commit) || !/^\d+$/.test(seconds)) return { kind: 'none' };
    return { kind: 'commit', head: { commit, committedAt: new Date(Number(seconds) * 1000).toISOString() } };
  } catch (error) {
    const reason = reasonOf(error);
    if (!NO_REPOSITORY.test(reason)) return { kind: 'unreadable', reason };
    // A `.git` git cannot use (a linked worktree whose repository moved, or was left out of a
    // container's mount), or no git to read it, is a work tree whose commit is unknown, not a
    // directory outside git. (A repository without commits has nothing to record.)
    const top = /not a git repository|spawn git ENOENT/i.test(reason) ? gitTop(path.resolve(dir)) : undefined;
    return top === undefined
      ? { kind: 'none' }
      : { kind: 'unreadable', reason: `${path.join(top, '.git')} is there, but ${reason}` };
  }
}

/**
 * Where each of `commits` stands against `head`, in the repository of `dir`: one `rev-list`
 * says which are in this clone, then one `merge-base` a commit present. A commit git cannot
 * place (absent, or git failed) is `unknown`, and its commit time decides; but with
 * `ofRepository` (the commits are marks and records of the hosted repository this clone is of:
 * the plan's repository is known), one absent from a clone that is not shallow is `absent`.
 */
export async function commitRelations(
  dir: string,
  head: string,
  commits: readonly string[],
  ofRepository = false,
  /** In a shallow clone, deepen it to place the commits of `times` it lacks (deepenFor). */
  deepen?: { deepening: Deepening; times: ReadonlyMap<string, string> },
): Promise<Map<string, CommitRelation>> {
  const git = gitAt(dir);
  const absent =
    deepen === undefined ? [] : await deepenFor(dir, git, head, commits, deepen.deepening, deepen.times);
  const relations = await commitRelationsIn(git, head, commits, ofRepository);
  for (const commit of absent) if (relations.get(commit) === 'unknown') relations.set(commit, 'absent');
  return relations;
}

/**
 * How far before a missing commit's recorded committer time a shallow clone's history is
 * fetched back to: a descendant's committer time can be before its ancestor's (a skewed clock,
 * a rebase), rarely by more than hours. A commit hidden behind a commit skewed further is not
 * found, and its step refused: the safe way.
 */
const DEEPEN_MARGIN_SECONDS = 7 * 24 * 3600;

/**
 * The deepening of one apply's shallow clone (commitRelations): HEAD's committer time
 * (`headCommittedAt`), and what was done (`since`: the
 * epoch seconds the history was fetched back to; `failed`: why it could not be), so that git
 * is fetched from once per apply, not once per record nor per check.
 */
export type Deepening = {
  headCommittedAt: string;
  since?: number;
  failed?: string;
};

/**
 * In a shallow clone (actions/checkout's depth 1), a recorded commit R it lacks may be an
 * ancestor of HEAD (main's previous commit) or not (main's commit, HEAD on a sibling branch cut
 * before it and committed after it): R's committer time (recorded: `times`) cannot tell the two apart, and taken
 * for the first, an audience whose manifest was never on that branch was deleted (review
 * scope-48). So the clone's history is fetched back to R's time (less a margin) from its
 * remote, HEAD's own commit asked for by id (a pull request's merge commit is on no branch):
 * then git's ancestry decides as in a full clone, and the commits still missing are returned,
 * HEAD not containing them. Only a commit recorded no later than HEAD is asked: its time would
 * let its steps pass; one recorded after HEAD is refused by its time, as before, with no fetch
 * (an ancestor committed after HEAD, by a skewed clock, was refused so before too). Throws
 * UnansweredHistoryError when the fetch cannot be made: never a guess.
 */
async function deepenFor(
  dir: string,
  git: SimpleGit,
  head: string,
  commits: readonly string[],
  deepening: Deepening,
  times: ReadonlyMap<string, string>,
): Promise<string[]> {
  const headSeconds = Date.parse(deepening.headCommittedAt) / 1000;
  const timed = commits.flatMap((commit) => {
    const at = times.get(commit);
    const seconds = at === undefined ? NaN : Date.parse(at) / 1000;
    return COMMIT_ID.test(commit) && Number.isFinite(seconds) && seconds <= headSeconds
      ? [{ commit, since: Math.floor(seconds) - DEEPEN_MARGIN_SECONDS }]
      : [];
  });
  if (timed.length === 0) return [];
  const missingOf = async (asked: readonly string[]) => {
    const listed = await git
      .raw(['rev-list', '--no-walk', '--ignore-missing', ...asked])
      .catch(() => undefined);
    const present = new Set((listed ?? '').split('\n').map((line) => line.trim()));
    return listed === undefined ? undefined : asked.filter((commit) => !present.has(commit));
  };
  const shallow = await git.raw(['rev-parse', '--is-shallow-repository']).then(
    (output) => output.trim(),
    () => undefined,
  );
  if (shallow !== 'true') return [];
  const missing = await missingOf(timed.map(({ commit }) => commit));
  if (missing === undefined || missing.length === 0) return [];
  const since = Math.min(...timed.filter(({ commit }) => missing.includes(commit)).map((t) => t.since));
  const unanswered = (why: string) => {
    const relations = new Map<string, CommitRelation>(commits.map((commit) => [commit, 'unknown']));
    return new UnansweredHistoryError(missing, why, relations);
  };
  if (deepening.failed !== undefined) throw unanswered(deepening.failed);
  if (deepening.since === undefined || since < deepening.since) {
    const failed = await fetchSince(dir, head, since);
    if (failed !== undefined) {
      deepening.failed = failed;
      throw unanswered(failed);
    }
    deepening.since = since;
  }
  return (await missingOf(missing)) ?? [];
}

/**
 * Fetches the history of `head` back to `since` (epoch seconds) into the clone `dir`, from the
 * remote it names (`origin`, else its only one, as workTreeRepository reads it); why not, when
 * it cannot. No prompt: a CI job has no terminal, and a credential asked for is a failure.
 */
async function fetchSince(dir: string, head: string, since: number): Promise<string | undefined> {
  const listed = await runGit(dir, ['remote'], '');
  if (!listed.ok) return `git could not list its remotes (${listed.why})`;
  const remotes = listed.out
    .split('\n')
    .map((line) => line.trim())
    .filter((line) => line !== '');
  if (remotes.length === 0) return 'it has no remote to fetch its history from';
  // origin, else the only one: the remote workTreeRepository names the clone by.
  let remote = 'origin';
  if (!remotes.includes(remote)) {
    const [only] = remotes;
    if (remotes.length !== 1 || only === undefined)
      return `it has no remote origin to fetch its history from (it has ${remotes.join(', ')})`;
    remote = only;
  }
  const date = new Date(since * 1000).toISOString();
  const fetched = await runGit(
    dir,
    ['-c', 'core.askPass=true', 'fetch', '--quiet', '--no-tags', `--shallow-since=${date}`, remote, head],
    '',
  );
  return fetched.ok ? undefined : `git fetch --shallow-since=${date} from ${remote} failed (${fetched.why})`;
}

/** `commitRelations`, asked of the repository `git` runs in (the controller's own fetched one). */
export async function commitRelationsIn(
  git: SimpleGit,
  head: string,
  commits: readonly string[],
  ofRepository = false,
): Promise<Map<string, CommitRelation>> {
  const relations = new Map<string, CommitRelation>(commits.map((commit) => [commit, 'unknown']));
  const wanted = commits.filter((commit) => COMMIT_ID.test(commit));
  if (wanted.length === 0) return relations;
  const [listed, shallow] = await Promise.all([
    git.raw(['rev-list', '--no-walk', '--ignore-missing', ...wanted]).catch(() => undefined),
    ofRepository
      ? git.raw(['rev-parse', '--is-shallow-repository']).then(
          (output) => output.trim(),
          () => undefined,
        )
      : undefined,
  ]);
  if (listed === undefined) return relations;
  const present = new Set(listed.split('\n').map((line) => line.trim()));
  // A clone that is not shallow holds every ancestor of HEAD: a commit of its repository it
  // lacks (one never fetched) is one HEAD does not contain. Another repository's commit (two
  // without a remote sharing a store cannot be told apart) is absent anyway: its time decides.
  if (shallow === 'false')
    for (const commit of wanted.filter((c) => !present.has(c))) relations.set(commit, 'absent');
  for (const commit of wanted.filter((c) => present.has(c))) {
    // `merge-base R H` is R exactly when R is an ancestor of H (exit codes do not reach us).
    const base = await git.raw(['merge-base', commit, head]).then(
      (output) => output.trim(),
      () => undefined,
    );
    if (base !== undefined) relations.set(commit, base === commit ? 'contained' : 'not-contained');
  }
  return relations;
}
