import type { SandboxMark } from './schema.js';

/**
 * The commit last applied to each sandbox (StateMeta.revisions): what lets an older checkout's
 * create of an audience a newer commit removed be refused, its record being gone with it, and
 * its removal of one a newer commit restored (a revert applied changes nothing, so only the
 * sandbox is marked: apply-flow.ts, markPlanned). plan/older-checkout.ts decides; README, "How
 * it stays safe".
 */
export type SandboxRevisions = Readonly<Record<string, SandboxMark>>;

/**
 * The marks after a write to `sandbox` by an apply of `revision` (and its repository, when
 * known), or of the mark `bySandbox` has for it (the apply worked it out: with the rollbacks it
 * keeps, plan/older-checkout.ts, markAfter): set to it, whatever was there (an apply with
 * --allow-older-checkout is then the newest one); the same object when there is no revision to
 * record or it is already the mark.
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
  const next = markFields(mark);
  if (current !== undefined && JSON.stringify(markFields(current)) === JSON.stringify(next)) return revisions;
  return { ...revisions, [sandbox]: next };
}

/** A mark's fields in one order (a jsonb column orders keys its own way), empty ones left out. */
function markFields(mark: SandboxMark): SandboxMark {
  const { commit, committedAt, repository, rolledBackFrom = [] } = mark;
  return {
    commit,
    committedAt,
    ...(repository === undefined ? {} : { repository }),
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
