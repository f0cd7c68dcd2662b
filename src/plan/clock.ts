import type { AudienceRecord } from '../state/schema.js';
import type { PlanClock } from './schema.js';

/**
 * A local clock within this many seconds of AEP's is trusted as it is. Date headers have
 * 1-second precision and transit adds a little; beyond this, run times (AEP's createdAt)
 * and the local clock disagree enough to move a schedule or the budget's 24 h window.
 */
export const CLOCK_TOLERANCE_SECONDS = 300;

/** The clock run decisions are made in: AEP's, when it was measured off the local one. */
export type RunClock = {
  /** Epoch seconds, in the clock runs' createdAt are in (as far as this plan knows). */
  now: number;
  /** Added to times the state recorded from the local clock (applied.at, imported.at). */
  localShift: number;
  /** AEP's clock was measured for this plan (so no guessing from recorded runs). */
  measured: boolean;
};

/** `offset`: AEP's clock minus the local one, in seconds, when measured. */
export function runClock(now: number, offset: number | undefined): RunClock {
  if (offset === undefined) return { now, localShift: 0, measured: false };
  if (Math.abs(offset) <= CLOCK_TOLERANCE_SECONDS) return { now, localShift: 0, measured: true };
  return { now: now + offset, localShift: offset, measured: true };
}

/** `26 h`, `2 d 3 h`, `12 min`, `40 s`: a skew as a person reads it. */
export function describeSpan(seconds: number): string {
  // Rounded to the unit shown: a measurement a second short of two days reads "2 d".
  const s = Math.abs(seconds);
  const hours = Math.round(s / 3_600);
  if (hours >= 48) return `${Math.floor(hours / 24)} d${hours % 24 > 0 ? ` ${hours % 24} h` : ''}`;
  if (s >= 3_570) return `${hours} h`;
  if (s >= 60) return `${Math.round(s / 60)} min`;
  return `${Math.round(s)} s`;
}

/** `26 h behind AEP's`: where the local clock is, `offset` (AEP's minus the local) seconds off. */
export function skewSpan(offset: number): string {
  return `${describeSpan(offset)} ${offset < 0 ? 'ahead of' : 'behind'} AEP's`;
}

/** One line on a measured offset beyond the tolerance, for the plan, apply's warning and the logs. */
export function skewNote(offset: number): string {
  return `the local clock is ${skewSpan(offset)} (its Date header): runs are timed and budgeted in AEP's clock; fix this machine's clock (NTP)`;
}

/** How far the newest recorded run lies in the local clock's future, in seconds (0: none does). */
export function runsAhead(records: Iterable<AudienceRecord>, now: number): number {
  let ahead = 0;
  for (const record of records) {
    for (const run of record.runs) ahead = Math.max(ahead, run.createdAt - now);
  }
  return ahead;
}

/** The deferral of a periodic run that only a clock behind AEP's keeps from being due. */
export function behindNote(ahead: number): string {
  return `its last run was created ${describeSpan(ahead)} after this machine's clock reads now: the local clock is behind AEP's, so the period cannot be timed here; \`apply\` measures AEP's clock and times it (fix this machine's clock: NTP)`;
}

/** What the plan says of the clock, when there is something to say. */
export function planClock(
  clock: RunClock,
  offset: number | undefined,
  records: Iterable<AudienceRecord>,
): PlanClock | undefined {
  if (offset !== undefined) {
    return clock.localShift === 0 ? undefined : { offsetSeconds: offset, note: skewNote(offset) };
  }
  const ahead = runsAhead(records, clock.now);
  if (ahead <= CLOCK_TOLERANCE_SECONDS) return undefined;
  return {
    runAheadSeconds: ahead,
    note: `a recorded run was created ${describeSpan(ahead)} after this machine's clock reads now: the local clock is at least that far behind AEP's, and this plan (which did not ask AEP) times runs by it; fix this machine's clock (NTP)`,
  };
}
