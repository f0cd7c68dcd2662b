import type { Step } from '../plan/schema.js';
import type { StepStatus } from './types.js';

// The order between a create or replace and the deletes and replaces of other records that free
// the name it takes (Step.freedBy, plan/name-holders.ts), as Terraform orders a resource after
// those it depends on. Sent before them, its POST is refused 409 for the name, and the lookup
// that follows finds the other record's audience, about to be deleted. A replace also sends its
// own DELETE only after the DELETEs freeing its name: done first, a freeing DELETE that then does
// not happen (refused by its delete check, failed, the apply stopped) leaves its audience deleted
// and nothing created in its place, apply after apply. Only replaces that free each other's names
// (a swap, a cycle) cannot wait so: each DELETEs first, and its POST waits.

/** How a freeing step ended, as far as its DELETE goes. */
type Settled = { deleted: boolean; status: StepStatus };

/** What the create or replace waited for and did not get: the first freeing step whose DELETE was not done. */
type NotFreed = { id: string; status: StepStatus | 'absent' };

export type NameWaits = {
  /** Steps other creates and replaces wait for: these run with the creates, not after them. */
  frees(stepId: string): boolean;
  /**
   * A freeing step's end, as far as its DELETE goes (`deleted`: done); the first call counts,
   * so a replace settles once its DELETE is done, before its create.
   */
  settle(stepId: string, settled: Settled): void;
  /**
   * Waits for the steps freeing `step`'s name (`before`: `delete`, as a replace waits before its
   * own DELETE, all but the replaces in a cycle with it; `create`, all of them); the first whose
   * DELETE was not done, if any. A step not in this plan never deletes.
   */
  wait(step: Step, before: 'delete' | 'create'): Promise<NotFreed | undefined>;
  /** The audiences the steps freeing `step`'s name delete (their ids as planned). */
  freedAudiences(step: Step): ReadonlySet<string>;
};

export function nameWaits(steps: readonly Step[]): NameWaits {
  const byId = new Map(steps.map((step) => [step.id, step]));
  const freeing = new Set(steps.flatMap((step) => step.freedBy ?? []));
  const ends = new Map<string, { promise: Promise<Settled>; resolve: (s: Settled) => void }>();
  for (const id of freeing) {
    if (!byId.has(id)) continue;
    let resolve: (s: Settled) => void = () => undefined;
    const promise = new Promise<Settled>((r) => {
      resolve = r;
    });
    ends.set(id, { promise, resolve });
  }
  const settled = new Set<string>();
  // Whether `from`'s DELETE waits, step by step, for `to`'s: a replace waiting for one that
  // reaches back to it would wait for itself (only replaces wait before their DELETE).
  const reaches = (from: string, to: string, seen = new Set<string>()): boolean => {
    if (from === to) return true;
    if (seen.has(from)) return false;
    seen.add(from);
    const step = byId.get(from);
    if (step?.kind !== 'replace') return false;
    return (step.freedBy ?? []).some((next) => reaches(next, to, seen));
  };
  const inCycle = (step: Step, id: string) => byId.get(id)?.kind === 'replace' && reaches(id, step.id);
  return {
    frees: (stepId) => ends.has(stepId),
    settle(stepId, end) {
      if (settled.has(stepId)) return;
      settled.add(stepId);
      ends.get(stepId)?.resolve(end);
    },
    async wait(step, before) {
      for (const id of step.freedBy ?? []) {
        if (before === 'delete' && inCycle(step, id)) continue;
        const end = ends.get(id);
        if (end === undefined) return { id, status: 'absent' };
        const { deleted, status } = await end.promise;
        if (!deleted) return { id, status };
      }
      return undefined;
    },
    freedAudiences(step) {
      const ids = (step.freedBy ?? []).map((id) => byId.get(id)?.audienceId);
      return new Set(ids.filter((id): id is string => id !== undefined));
    },
  };
}

/** Why a create or replace was not sent on (`notFreed`), and how the step ends: blocked with a blocked freeing step, else not attempted. */
export function notFreedOutcome(
  step: Step,
  notFreed: NotFreed,
): { status: 'blocked' | 'skipped'; message: string } {
  const name = step.create?.name ?? '';
  const what =
    notFreed.status === 'absent'
      ? `${notFreed.id}, which frees the name "${name}", is not in this plan`
      : `${notFreed.id}, which frees the name "${name}", did not delete its audience (${notFreed.status})`;
  return { status: notFreed.status === 'blocked' ? 'blocked' : 'skipped', message: what };
}
