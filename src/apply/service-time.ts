import { AepAuthError } from '../aep/errors.js';
import type { AepClient } from '../aep/types.js';
import { runClock } from '../plan/clock.js';
import { deferUnclockedRuns } from '../plan/retime.js';
import { unwatched } from './held-calls.js';
import type { Plan } from '../plan/schema.js';

/** A reading of AEP's clock older than this is measured again before runs are decided on it. */
export const CLOCK_READING_MAX_AGE_MS = 10 * 60_000;

export type ClockClient = Pick<AepClient, 'serviceClock'>;

/** AEP's clock minus the local one, in whole seconds, if an answer showed it lately. */
export function measuredOffset(client: ClockClient): number | undefined {
  const reading = client.serviceClock?.();
  if (!reading || reading.ageMs > CLOCK_READING_MAX_AGE_MS) return undefined;
  return Math.round(reading.offsetMs / 1000);
}

/**
 * AEP's clock now, at the earliest (epoch ms), if an answer showed it lately (measuredOffset's
 * reading): its Date header plus the time since, on a clock that does not jump.
 */
export function serviceEarliestMs(client: ClockClient): number | undefined {
  const reading = client.serviceClock?.();
  if (!reading || reading.ageMs > CLOCK_READING_MAX_AGE_MS) return undefined;
  return reading.earliestMs;
}

/** Seconds to add to a time read from the local clock to have it in the clock runs are timed in. */
export function serviceShift(client: ClockClient): number {
  return runClock(0, measuredOffset(client)).localShift;
}

/**
 * Plans with AEP's clock measured whenever runs are decided: `make(offset)` plans. A plan
 * without run steps costs no call (an in-sync repository stays at zero); a plan with some
 * and no recent reading (a fresh CLI apply, which has asked AEP nothing yet) first reads one
 * audience of the sandbox (readServiceOffset, with the client's retries: AEP's answers' Date
 * header) and plans again, so a skewed local clock neither times nor budgets a run. When the
 * clock still cannot be read (or the read is stopped: a drain), the plan's runs are deferred
 * (deferUnclockedRuns): by the local clock, one could be a run too many. Unless IMS would not
 * issue the token that read needs (AepAuthError): then no step of that sandbox can call AEP
 * either. With `refused` `fail` (the CLI) the apply stops with IMS's one line, not a plan whose
 * runs blame AEP's clock and whose every step fails with it (review 33b, L-2); with
 * `next-sandbox` (the controller, which holds a refused sandbox's steps and applies the others')
 * the clock is read in the plan's next sandbox, and only every one refused throws: one rotated
 * secret failed the whole pass, every sandbox's changes with it (review 39, H-1).
 */
export async function planWithServiceClock(
  make: (offset: number | undefined) => Plan,
  client: ClockClient & Pick<AepClient, 'listAudiences'>,
  signal: AbortSignal | undefined,
  refused: ClockRefused = 'fail',
): Promise<Plan> {
  const known = measuredOffset(client);
  const first = make(known);
  if (known !== undefined || client.serviceClock === undefined) return first;
  const run = first.steps.find((step) => step.kind === 'run');
  if (!run) return first;
  const sandboxes = refused === 'fail' ? [run.sandbox] : clockSandboxes(first, run.sandbox);
  const refusals: AepAuthError[] = [];
  for (const sandbox of sandboxes) {
    const { offset, failure } = await readClock(client, sandbox, signal, 'retried');
    if (failure instanceof AepAuthError) {
      refusals.push(failure);
      continue;
    }
    return offset === undefined ? deferUnclockedRuns(first) : make(offset);
  }
  const [refusal] = refusals;
  if (refusal) throw refusal;
  return deferUnclockedRuns(first);
}

/**
 * What planWithServiceClock does when IMS refuses the token of the sandbox it reads AEP's clock
 * in: `fail`, or `next-sandbox` (read it in another sandbox of the plan; AEP's clock is one).
 */
export type ClockRefused = 'fail' | 'next-sandbox';

/** The sandboxes of a plan's steps, `first` (the first run's) first, each once. */
function clockSandboxes(plan: Plan, first: string): string[] {
  return [...new Set([first, ...plan.steps.map((step) => step.sandbox)])];
}

/**
 * AEP's clock minus the local one (measuredOffset), read first when no answer showed it lately:
 * one audience of `sandbox` (its answer's Date header; an AEP refusal's does as well, a proxy's page
 * not). A reading lasts
 * CLOCK_READING_MAX_AGE_MS, so an apply reads at most once per that span, not per caller, and
 * callers at once share one read.
 * `attempts`: `once` (default), one attempt: a reading that fails leaves the offset unknown, and
 * must not hold the creates back by the client's whole retry schedule; `retried`, the client's
 * retry policy (bounded, ended by `signal`), where an unknown offset costs the plan's runs.
 * Undefined when the read shows none (or the client measures no clock).
 */
export async function readServiceOffset(
  client: ClockClient & Pick<AepClient, 'listAudiences'>,
  sandbox: string,
  signal: AbortSignal | undefined,
  attempts: 'once' | 'retried' = 'once',
): Promise<number | undefined> {
  return (await readClock(client, sandbox, signal, attempts)).offset;
}

/** readServiceOffset, with what the read failed with, if it was made and failed. */
async function readClock(
  client: ClockClient & Pick<AepClient, 'listAudiences'>,
  sandbox: string,
  signal: AbortSignal | undefined,
  attempts: 'once' | 'retried',
): Promise<{ offset: number | undefined; failure: unknown }> {
  const known = measuredOffset(client);
  if (known !== undefined || client.serviceClock === undefined) return { offset: known, failure: undefined };
  const underWay = readsUnderWay[attempts];
  // Each step's client is its own watcher of the one client (held-calls.ts): shared by the client.
  const key = unwatched(client);
  let read = underWay.get(key);
  if (!read) {
    read = client
      .listAudiences(
        sandbox,
        { limit: 1 },
        { ...(attempts === 'once' ? { once: true } : {}), ...(signal ? { signal } : {}) },
      )
      .then(
        () => undefined,
        (error: unknown) => error,
      )
      .finally(() => underWay.delete(key));
    underWay.set(key, read);
  }
  const failure = await read;
  return { offset: measuredOffset(client), failure };
}

/**
 * The clock read under way per client (and kind of read): creates sent at once wait for one
 * read, not one each (behind a budget of a few requests, a read each would hold back the creates
 * themselves).
 */
const readsUnderWay = {
  /** The read's failure, undefined once it answered. */
  once: new WeakMap<object, Promise<unknown>>(),
  retried: new WeakMap<object, Promise<unknown>>(),
};
