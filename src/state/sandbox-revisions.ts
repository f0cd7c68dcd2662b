import { sameRepository } from '../manifest/source-root.js';
import type { RepositoryMark, SandboxMark } from './schema.js';

/**
 * The commit last applied to each sandbox (StateMeta.revisions): what lets an older checkout's
 * create of an audience a newer commit removed be refused, its record being gone with it, and
 * its removal of one a newer commit restored (a revert applied changes nothing, so only the
 * sandbox is marked: apply-flow.ts, markPlanned). The mark on top is the last apply's; the last
 * mark of each other repository that applied there is kept beside it (otherRepositories).
 * plan/older-checkout.ts decides; README, "How it stays safe".
 */
export type SandboxRevisions = Readonly<Record<string, SandboxMark>>;

/** A repository as a mark names it: its path, and its root commits when known (SandboxMark.roots). */
export type MarkedRepository = { repository: string; roots?: readonly string[] | undefined };

/**
 * Whether two marks' repositories are one: the same path; or paths that differ by a prefix
 * (sameRepository: a mirror's path, or GitLab subgroups' `marketing/emea/audiences` and
 * `emea/audiences`) unless both know their root commits and share none: two histories are two
 * repositories, which no mirror makes. Roots unknown to either (a shallow clone, an earlier
 * release's mark) leave the paths to decide, as before roots were recorded.
 */
export function sameMarkRepository(a: MarkedRepository, b: MarkedRepository): boolean {
  if (!sameRepository(a.repository, b.repository)) return false;
  if (a.repository === b.repository) return true;
  const { roots: ours = [] } = a;
  const { roots: theirs = [] } = b;
  return ours.length === 0 || theirs.length === 0 || ours.some((root) => theirs.includes(root));
}

/**
 * How many other repositories' marks a sandbox keeps (SandboxMark.otherRepositories): beyond
 * it, the one whose mark was replaced longest ago is dropped, and a stale clone of it is then
 * checked against its records only, as before marks were kept per repository.
 */
export const REPOSITORIES_KEPT = 8;

/**
 * The marks after a write to `sandbox` by an apply of `revision` (and its repository, when
 * known), or of the mark `bySandbox` has for it (the apply worked it out: with the rollbacks it
 * keeps, plan/older-checkout.ts, markAfter, and the other repositories' marks, withOthers):
 * set to it, whatever was there (an apply with --allow-older-checkout is then the newest one),
 * the mark it replaces kept as its repository's (withOthers); the same object when there is no
 * revision to record or it is already the mark.
 */
export function withRevision(
  revisions: SandboxRevisions,
  sandbox: string,
  revision: SandboxMark | undefined,
  bySandbox?: SandboxRevisions,
): SandboxRevisions {
  const mark = bySandbox !== undefined && Object.hasOwn(bySandbox, sandbox) ? bySandbox[sandbox] : revision;
  if (mark === undefined) return revisions;
  const current = Object.hasOwn(revisions, sandbox) ? revisions[sandbox] : undefined;
  const next = markFields(withOthers(current, mark));
  if (current !== undefined && JSON.stringify(markFields(current)) === JSON.stringify(next)) return revisions;
  return { ...revisions, [sandbox]: next };
}

/**
 * `next`, put on top of a sandbox marked `current`, with the marks of other repositories it
 * keeps: `current` (when of a known repository other than `next`'s) and those `current` kept,
 * the most recently replaced first, one a repository, at most REPOSITORIES_KEPT. A mark of no
 * known repository is not kept beside: on top it concerns every plan, as ever. Without
 * `current` (a PostgreSQL write, which reads no mark: the apply worked it out), `next`'s own.
 */
export function withOthers(current: SandboxMark | undefined, next: SandboxMark): SandboxMark {
  if (current === undefined) return next;
  const top = ownMark(next);
  const kept: RepositoryMark[] = [];
  for (const mark of [ownMark(current), ...(current.otherRepositories ?? [])]) {
    const { repository } = mark;
    if (repository === undefined) continue;
    const other = { ...mark, repository };
    if (top.repository !== undefined && sameMarkRepository(other, { ...top, repository: top.repository }))
      continue;
    if (kept.some((known) => sameMarkRepository(known, other))) continue;
    kept.push(other);
  }
  return kept.length === 0 ? top : { ...top, otherRepositories: kept.slice(0, REPOSITORIES_KEPT) };
}

/** `mark` without the other repositories' marks it keeps. */
function ownMark(mark: SandboxMark): SandboxMark {
  const own = { ...mark };
  delete own.otherRepositories;
  return own;
}

/** A mark's fields in one order (a jsonb column orders keys its own way), empty ones left out. */
function markFields(mark: SandboxMark): SandboxMark {
  const { otherRepositories = [] } = mark;
  return {
    ...ownFields(mark),
    ...(otherRepositories.length === 0
      ? {}
      : {
          otherRepositories: otherRepositories.map((other) => ({
            ...ownFields(other),
            repository: other.repository,
          })),
        }),
  };
}

/** markFields of a mark's own fields (otherRepositories left out). */
function ownFields(mark: SandboxMark): SandboxMark {
  const { commit, committedAt, repository, roots = [], shallow, rolledBackFrom = [] } = mark;
  return {
    commit,
    committedAt,
    ...(repository === undefined ? {} : { repository }),
    ...(roots.length === 0 ? {} : { roots: [...roots] }),
    ...(shallow === true ? { shallow } : {}),
    ...(rolledBackFrom.length === 0
      ? {}
      : {
          rolledBackFrom: rolledBackFrom.map(({ commit, committedAt, to, at }) => ({
            commit,
            committedAt,
            to,
            at,
          })),
        }),
  };
}

/** `revisions` for a StateMeta: left out when empty, as stores without a mark have none. */
export function revisionsField(revisions: SandboxRevisions): {
  revisions?: Record<string, SandboxMark>;
} {
  return Object.keys(revisions).length === 0 ? {} : { revisions: { ...revisions } };
}
