import { fileURLToPath } from 'node:url';
import path from 'node:path';
import { outsideGitWorkTree } from '../manifest/read-source-root.js';
import { COMMIT_ID } from '../state/commit-id.js';
import type { SandboxRevisions } from '../state/sandbox-revisions.js';
import type { SandboxMark } from '../state/schema.js';
import { git, type GitAnswer } from './git-run.js';
import { recordedRepositoryOf } from './repository-id.js';
import type { CloneRemotes } from '../plan/clone-repository.js';

/** The URL of each remote of the repository holding `dir` (a remote with several: its first). */
async function remoteUrls(dir: string): Promise<Map<string, string> | undefined> {
  // Exit 1: no remote at all.
  const answer = await git(dir, ['config', '--local', '--get-regexp', '^remote\\..+\\.url$'], '', 1);
  if (!answer.ok) return undefined;
  const urls = new Map<string, string>();
  for (const line of answer.out.split('\n')) {
    const match = /^remote\.(.+)\.url (.+)$/.exec(line.trim());
    // A remote with several URLs (pushurl aside) is read by its first.
    if (match?.[1] !== undefined && match[2] !== undefined && !urls.has(match[1]))
      urls.set(match[1], match[2]);
  }
  return urls;
}

/** The remote a clone is of: `origin`, else its only remote. */
function primaryOf(urls: ReadonlyMap<string, string>): string | undefined {
  if (urls.has('origin')) return 'origin';
  return urls.size === 1 ? [...urls.keys()][0] : undefined;
}

/**
 * The hosted repository the git work tree holding `dir` is a clone of, as records keep it
 * (AudienceRecord.repository): the path its `origin` remote names (`acme/audiences`, as
 * recordedRepositoryOf reads it: a shallow CI checkout and a developer's clone say the same),
 * else that of its only remote. Undefined outside git, with no remote or one that is a local
 * path, or when git cannot be asked: nothing is then recorded or compared. A plan or apply
 * may take it for another of the clone's remotes (workTreeRemotes, plan/clone-repository.ts).
 */
export async function workTreeRepository(dir: string): Promise<string | undefined> {
  const urls = await remoteUrls(dir);
  const primary = urls && primaryOf(urls);
  return primary === undefined ? undefined : recordedRepositoryOf(urls!.get(primary)!);
}

/**
 * A local path or `file://` URL a remote names (a clone of a clone on this machine), else
 * undefined. A relative path is not followed: git writes the absolute path it cloned from.
 */
function localPathOf(url: string): string | undefined {
  if (/^file:\/\//i.test(url)) {
    try {
      return fileURLToPath(url);
    } catch {
      return undefined;
    }
  }
  return path.isAbsolute(url) ? url : undefined;
}

/**
 * The repository each remote of the work tree holding `dir` names, besides the one it is a clone
 * of (workTreeRepository): a hosted repository's path; for a local path (a clone of a clone on
 * this machine, whose `origin` was renamed `upstream`), the repository that clone is of, one
 * level only. Remotes that name none, or the clone's own repository, are left out. Empty when
 * the clone's own repository is unknown: nothing is then recorded or compared.
 */
export async function workTreeRemotes(dir: string): Promise<CloneRemotes> {
  // Outside a git work tree git has no remote to tell, and is not asked: a process per plan and
  // apply, in every CI job's and spec's temporary directory. GIT_DIR names a repository wherever
  // the manifests are: git is asked then.
  if (!process.env.GIT_DIR && outsideGitWorkTree(dir)) return { others: [] };
  const urls = await remoteUrls(dir);
  const primary = urls && primaryOf(urls);
  const repository = primary === undefined ? undefined : recordedRepositoryOf(urls!.get(primary)!);
  if (repository === undefined) return { others: [] };
  const others: { remote: string; repository: string }[] = [];
  for (const [remote, url] of urls!) {
    if (remote === primary) continue;
    const local = localPathOf(url);
    const named = local === undefined ? recordedRepositoryOf(url) : await workTreeRepository(local);
    if (named !== undefined && named !== repository) others.push({ remote, repository: named });
  }
  return { repository, others };
}

/** Runs git with `args` somewhere (a work tree, a controller's fetched repository) and says what it printed. */
export type GitAsk = (args: readonly string[]) => Promise<GitAnswer<string>>;

/**
 * The root commits of the history HEAD of the work tree holding `dir` is in (`git rev-list
 * --max-parents=0 HEAD`), sorted, as a sandbox's mark records them (SandboxMark.roots): what
 * tells two repositories whose paths differ by a prefix (GitLab subgroups) from one repository
 * and its mirror's path. Undefined in a shallow clone (its cut-off commits have no parents
 * there, so they would pass for roots), outside git, or when git cannot say: nothing is then
 * recorded or compared. `known`: roots recorded of an earlier commit (knownRoots), which spare
 * the walk of the whole history when that commit is HEAD's ancestor.
 */
export async function rootCommits(dir: string, known?: KnownRoots): Promise<string[] | undefined> {
  return rootsOf(await readRoots((args) => git(dir, args, ''), 'HEAD', known));
}

/**
 * rootCommits, or that the work tree's history is shallow (`shallow`): why it has none, which
 * the marks an apply writes say (SandboxMark.shallow).
 */
export function readWorkTreeRoots(dir: string, known?: KnownRoots): Promise<RootsRead> {
  return readRoots((args) => git(dir, args, ''), 'HEAD', known);
}

/** The root commits recorded of one commit (a sandbox's mark, the controller's last sync). */
export type KnownRoots = { commit: string; roots: readonly string[] };

/**
 * The roots the marks of `marks` recorded of `repository`'s newest commit (the same path, on
 * top or kept beside): rootCommits reuses them when that commit is HEAD's ancestor.
 */
export function knownRoots(marks: SandboxRevisions | undefined, repository: string): KnownRoots | undefined {
  let newest: SandboxMark | undefined;
  for (const mark of Object.values(marks ?? {}))
    for (const own of [mark, ...(mark.otherRepositories ?? [])]) {
      if (own.repository !== repository || own.roots === undefined || own.roots.length === 0) continue;
      if (newest === undefined || Date.parse(own.committedAt) > Date.parse(newest.committedAt)) newest = own;
    }
  return newest?.roots === undefined ? undefined : { commit: newest.commit, roots: newest.roots };
}

/**
 * rootCommits of the history of the commit `tip`, git asked through `ask`: the CLI's work tree
 * (rootCommits) and the controller's fetched repository (GitSource, after each sync) read them
 * alike, and a fetch with --git-depth answers none, as a shallow clone does.
 *
 * `git rev-list --max-parents=0` walks the whole history: 0.3 s of CPU on 50,000 commits without
 * a commit-graph (a fresh clone has none), on every apply. With `known` roots of an ancestor of
 * `tip`, the roots are those and the roots of the commits since (`tip ^known`, a merge of an
 * unrelated history brings one): git walks only from `tip` back to that ancestor. Whether it is
 * an ancestor is asked (`known ^tip` lists nothing): a mark rolled back from, or of a commit
 * this clone lacks, is not, and the whole history is walked as before.
 */
export async function rootCommitsOf(
  ask: GitAsk,
  tip: string,
  known?: KnownRoots,
): Promise<string[] | undefined> {
  return rootsOf(await readRoots(ask, tip, known));
}

/**
 * What git says of a history's root commits (readRoots): the roots; or that the history is
 * shallow (a shallow clone, a --git-depth fetch), whose cut-off commits would pass for roots, so
 * none are taken; or nothing (outside git, git could not say).
 */
export type RootsRead = { kind: 'roots'; roots: string[] } | { kind: 'shallow' } | { kind: 'unknown' };

/** The roots of a RootsRead, when it has them. */
export function rootsOf(read: RootsRead): string[] | undefined {
  return read.kind === 'roots' ? read.roots : undefined;
}

/** rootCommitsOf, saying why there are none when the history is shallow. */
export async function readRoots(ask: GitAsk, tip: string, known?: KnownRoots): Promise<RootsRead> {
  const shallow = ask(['rev-parse', '--is-shallow-repository']);
  const unknown = { kind: 'unknown' } as const;
  if (known !== undefined && [known.commit, ...known.roots].every((id) => COMMIT_ID.test(id))) {
    const [outside, added] = await Promise.all([
      ask(['rev-list', '-n', '1', known.commit, `^${tip}`, '--']),
      ask(['rev-list', '--max-parents=0', tip, `^${known.commit}`, '--']),
    ]);
    if (outside.ok && outside.out.trim() === '' && added.ok) {
      const commits = commitsOf(added.out);
      if ((await shallowness(shallow)) === 'false' && commits !== undefined)
        return { kind: 'roots', roots: [...new Set([...known.roots, ...commits])].sort() };
    }
  }
  // Asked beside the shallowness, as before: a full history's walk waits for no other answer.
  const [said, listed] = await Promise.all([
    shallowness(shallow),
    ask(['rev-list', '--max-parents=0', tip, '--']),
  ]);
  if (said === 'true') return { kind: 'shallow' };
  if (said !== 'false' || !listed.ok) return unknown;
  const commits = commitsOf(listed.out);
  if (commits === undefined || commits.length === 0) return unknown;
  return { kind: 'roots', roots: [...new Set(commits)].sort() };
}

/** What git said of whether the repository is shallow (`true`, `false`), or nothing when it failed. */
async function shallowness(answer: Promise<GitAnswer<string>>): Promise<string | undefined> {
  const shallow = await answer;
  return shallow.ok ? shallow.out.trim() : undefined;
}

/** The commit ids git listed one a line; undefined when a line is not one. */
function commitsOf(out: string): string[] | undefined {
  const commits = out
    .split('\n')
    .map((line) => line.trim())
    .filter((line) => line !== '');
  return commits.every((commit) => COMMIT_ID.test(commit)) ? commits : undefined;
}

/** workTreeRepository as an options field: none when unknown. */
export async function repositoryField(dir: string): Promise<{ repository?: string }> {
  const repository = await workTreeRepository(dir);
  return repository === undefined ? {} : { repository };
}
