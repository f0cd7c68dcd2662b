import path from 'node:path';
import { simpleGit, type SimpleGit } from 'simple-git';
import type { CommitRelation } from '../plan/older-checkout.js';
import type { AppliedRevision } from '../state/schema.js';
import { COMMIT_ID } from '../state/commit-id.js';
import { gitTop } from '../manifest/read-source-root.js';
import { UnansweredHistoryError } from '../plan/unanswered-history.js';
import { git as runGit } from './git-run.js';
import { historyRepository, type HistoryRepository } from './history-repository.js';
import { safeUrlsIn } from '../text/safe-url.js';

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
  /** In a shallow clone, deepen its history to place the commits of `times` it lacks (deepenFor). */
  deepen?: { deepening: Deepening; times: ReadonlyMap<string, string> },
): Promise<Map<string, CommitRelation>> {
  const git = gitAt(dir);
  const placed =
    deepen === undefined
      ? undefined
      : await deepenFor(dir, git, head, deepen.deepening, commits, deepen.times);
  const relations = await commitRelationsIn(git, head, commits, ofRepository);
  if (placed === undefined) return relations;
  // The commits the history was fetched for are placed where it was fetched to, the others as
  // before; one still missing there is one HEAD does not contain.
  const there = await commitRelationsIn(gitAt(placed.repo), head, placed.commits, ofRepository);
  for (const commit of placed.commits) {
    const relation = there.get(commit) ?? 'unknown';
    relations.set(commit, relation === 'unknown' ? 'absent' : relation);
  }
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
 * (`headCommittedAt`) and how long its fetch may stay silent (`silenceMs`, read when it is
 * made). The same object is passed to every check of the apply, so that git is fetched from
 * once per apply, not once per record nor per check: what was done is kept against it
 * (DeepeningState).
 */
export type Deepening = {
  headCommittedAt: string;
  silenceMs: () => number;
};

/** What was done for one Deepening: nothing yet, the history fetched, or why it could not be. */
type DeepeningState =
  | { kind: 'unfetched' }
  /** `repo`: where the history was fetched to (historyRepository); `since`: the epoch seconds it reaches back to. */
  | { kind: 'fetched'; repo: HistoryRepository; since: number }
  /** Why the repository could not be made or the fetch failed: later checks of the apply give the same answer. */
  | { kind: 'failed'; why: string };

/**
 * Each apply's DeepeningState, kept here rather than on its Deepening: the callers only make
 * one; its states are this module's.
 */
const deepened = new WeakMap<Deepening, DeepeningState>();

/**
 * In a shallow clone (actions/checkout's depth 1), a recorded commit R it lacks may be an
 * ancestor of HEAD (main's previous commit) or not (main's commit, HEAD on a sibling branch cut
 * before it and committed after it): R's committer time (recorded: `times`) cannot tell the two
 * apart, and taken for the first, an audience whose manifest was never on that branch was
 * deleted (review scope-48). So the clone's history is fetched back to R's time (less a margin)
 * from its remote (fetchSince), then git's ancestry decides as in a full clone, and the commits
 * still missing are returned, HEAD not containing them. `times` holds only the commits of this
 * repository's own records that a step would delete, PATCH back or forget (ownRecordTimes):
 * marks, and records of another repository sharing the store, are judged as before. Only a
 * commit recorded no later than HEAD is asked: its time would let its steps pass; one recorded
 * after HEAD is refused by its time, as before, with no fetch. Throws UnansweredHistoryError
 * when the fetch cannot be made: never a guess.
 */
async function deepenFor(
  dir: string,
  git: SimpleGit,
  head: string,
  deepening: Deepening,
  commits: readonly string[],
  times: ReadonlyMap<string, string>,
): Promise<{ repo: string; commits: string[] } | undefined> {
  const headSeconds = Date.parse(deepening.headCommittedAt) / 1000;
  const timed = commits.flatMap((commit) => {
    const at = times.get(commit);
    const seconds = at === undefined ? NaN : Date.parse(at) / 1000;
    return COMMIT_ID.test(commit) && Number.isFinite(seconds) && seconds <= headSeconds
      ? [{ commit, since: Math.floor(seconds) - DEEPEN_MARGIN_SECONDS }]
      : [];
  });
  if (timed.length === 0) return undefined;
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
  if (shallow !== 'true') return undefined;
  const missing = await missingOf(timed.map(({ commit }) => commit));
  if (missing === undefined || missing.length === 0) return undefined;
  const since = Math.min(...timed.filter(({ commit }) => missing.includes(commit)).map((t) => t.since));
  const unanswered = (why: string) => {
    const relations = new Map<string, CommitRelation>(commits.map((commit) => [commit, 'unknown']));
    return new UnansweredHistoryError(missing, why, relations);
  };
  const state = deepened.get(deepening) ?? { kind: 'unfetched' };
  if (state.kind === 'failed') throw unanswered(state.why);
  if (state.kind === 'fetched' && state.since <= since) return { repo: state.repo.dir, commits: missing };
  let repo: HistoryRepository;
  if (state.kind === 'fetched') repo = state.repo;
  else {
    const made = await historyRepository(dir);
    if ('why' in made) {
      deepened.set(deepening, { kind: 'failed', why: made.why });
      throw unanswered(made.why);
    }
    repo = made;
  }
  const failed = await fetchSince(repo, head, since, deepening.silenceMs());
  if (failed !== undefined) {
    deepened.set(deepening, { kind: 'failed', why: failed });
    // Later checks of the apply are answered by the failure: nothing fetches into it again.
    await repo.remove().catch(() => undefined);
    throw unanswered(failed);
  }
  deepened.set(deepening, { kind: 'fetched', repo, since });
  return { repo: repo.dir, commits: missing };
}

/**
 * Ends `deepening`: the history repository it fetched into (if any) is removed, once the
 * command that made it (an apply, a plan) is done with its checks, not at the process's exit:
 * a process that goes on (an in-process caller, one kept alive by what it still closes) does
 * not keep it. A check asked after this fetches again, into a new one.
 */
export async function endDeepening(deepening: Deepening): Promise<void> {
  const state = deepened.get(deepening);
  if (state?.kind !== 'fetched') return;
  deepened.delete(deepening);
  await state.repo.remove().catch(() => undefined);
}

/**
 * What git says when a server will not give a commit asked for by id that none of its refs
 * names (protocol v0 without uploadpack.allowReachableSHA1InWant; a branch moved on since the
 * clone): then the remote's branches are fetched by name instead.
 */
const UNADVERTISED =
  /not our ref|unadvertised object|couldn't find remote ref|no such remote ref|does not allow request/i;

/**
 * Fetches the history of `head` back to `since` (epoch seconds) into `history` (historyRepository:
 * the clone's remotes and settings), from the remote it names (`origin`, else its only one, as workTreeRepository reads it); why not, when
 * it cannot. `head` is asked for by id (a pull request's merge commit is on no branch); a
 * server that will not give it so is asked for its branches (the remote's fetch refspecs), and
 * the fetch answers only if one of them holds `head`: else HEAD's own history was not
 * deepened. No prompt (a CI job has no terminal: a credential asked for is a failure), and a
 * fetch silent for `silenceMs` is stopped: a remote that never answers does not hold the apply.
 */
async function fetchSince(
  history: HistoryRepository,
  head: string,
  since: number,
  silenceMs: number,
): Promise<string | undefined> {
  const { dir, remotes } = history;
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
  // The clone's settings (its remote, credentials) in the fetch's environment, not on disk.
  const watch = { silenceMs, env: { ...history.env, GIT_TERMINAL_PROMPT: '0' } };
  const fetch = (...refs: string[]) =>
    runGit(
      dir,
      [
        '-c',
        'core.askPass=true',
        'fetch',
        '--progress',
        '--no-tags',
        '--no-recurse-submodules',
        `--shallow-since=${date}`,
        '--',
        remote,
        ...refs,
      ],
      '',
      0,
      watch,
    );
  // git's reason may name the remote's URL, a token written in it too: shown without it.
  const failed = (why: string) =>
    `git fetch --shallow-since=${date} from ${remote} failed (${safeUrlsIn(why)})`;
  const byId = await fetch(head);
  if (byId.ok) return undefined;
  if (!UNADVERTISED.test(byId.why)) return failed(byId.why);
  const byName = await fetch();
  if (!byName.ok) return failed(byName.why);
  const holding = await runGit(
    dir,
    ['for-each-ref', '--count=1', '--contains', head, `refs/remotes/${remote}/`],
    '',
  );
  if (holding.ok && holding.out.trim() !== '') return undefined;
  return `${remote} would not give commit ${head.slice(0, 7)} by id (${safeUrlsIn(byId.why)}), and none of its branches fetched holds it`;
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
