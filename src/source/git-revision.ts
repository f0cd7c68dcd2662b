import path from 'node:path';
import { simpleGit, type SimpleGit } from 'simple-git';
import type { CommitRelation } from '../plan/older-checkout.js';
import type { AppliedRevision } from '../state/schema.js';
import { COMMIT_ID } from '../state/commit-id.js';
import { gitTop } from '../manifest/read-source-root.js';

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
export function commitRelations(
  dir: string,
  head: string,
  commits: readonly string[],
  ofRepository = false,
): Promise<Map<string, CommitRelation>> {
  return commitRelationsIn(gitAt(dir), head, commits, ofRepository);
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
