import type { LiveAudience } from '../../aep/segment-types.js';
import type { Step } from '../../plan/schema.js';
import type { AudienceRecord, PendingCreate } from '../../state/schema.js';
import { CREATE_LANDS_WITHIN_MS, repeatWait, untimedShows } from '../../state/create-repeat-wait.js';
import { describeCandidates, type OwnCreate } from '../find-created.js';
import { listKeepsFailing, notOurs } from './create-duplicate.js';
import { importHint, result } from '../record-helpers.js';
import { forgetCommand } from '../../text/paste-flags.js';
import { measuredOffset, serviceEarliestMs } from '../service-time.js';
import type { ExecutorDeps, StepResult } from '../types.js';

// A create whose earlier POST may have landed (its answer lost, its apply killed mid-POST) is
// looked up by name before it is sent again (create-repeat.ts). The service lists an accepted
// create only once its operation has succeeded, which the apply waits up to 15 minutes for
// (DEFAULT_OPERATION_POLL, CREATE_GRACE_SECONDS): until then the lookup finds nothing, and a
// second POST, to a service that takes a second audience of a name (the page's appendix lists
// 100950-409 but never says a name is unique), made two audiences of one name. So nothing is
// sent again until that wait has passed since the latest POST of the create: the step is held.

export { CREATE_LANDS_WITHIN_MS };

/**
 * The create held: an earlier POST of it may still land, and the wait for the service to show
 * it (CREATE_LANDS_WITHIN_MS) has not passed since, compared in AEP's clock when an answer
 * showed it lately, else in this machine's; a time in the clock of the machine that wrote it
 * gets the margin two machines' clocks may differ by (CREATE_SKEW_SECONDS). Undefined when it
 * may be sent again. A record that shows no time is held from now: its POST's time unknown.
 */
export function heldRepeat(
  step: Step,
  record: AudienceRecord,
  deps: ExecutorDeps,
  /** What the name lookup just before found: none of it this create's (create-repeat.ts). */
  found: Exclude<OwnCreate, { kind: 'one' | 'several' }>,
): StepResult | undefined {
  const wait = repeatWait(record, measuredOffset(deps.client));
  const name = step.create?.name ?? step.key;
  if (wait === undefined) return untimed(step, record, name, found, deps);
  const localNow = deps.clock.now();
  const now = serviceEarliestMs(deps.client) ?? localNow;
  const remainingMs = wait.fromMs - now;
  if (remainingMs <= 0) return undefined;
  const until = new Date(localNow + remainingMs).toISOString();
  const minutes = CREATE_LANDS_WITHIN_MS / 60_000;
  return result(
    step,
    'blocked',
    `held: an earlier POST of this create (its answer lost, or its apply stopped) may still land, and no audience of its own named "${name}" is listed in sandbox "${step.sandbox}" yet${lookedUp(found)}; not sent again before ${until} (${minutes} minutes after that POST, the longest the service is waited for to show a create it accepted), lest the service take a second audience of the name. Its intent is kept: an apply from then on adopts the audience once it is listed, or sends the create once${found.kind === 'unknown' ? `. ${listKeepsFailing(step, deps.paste)}` : ''}`,
  );
}

/**
 * The create held for a record that shows no time for its POST (a hand-edited intent whose
 * `startedAt` cannot be read: beginIntent always writes one): the wait cannot be timed, so it
 * would be held "from now" on every apply, for ever. Said so, with the way out a person takes.
 */
function untimed(
  step: Step,
  record: AudienceRecord,
  name: string,
  found: Exclude<OwnCreate, { kind: 'one' | 'several' }>,
  deps: ExecutorDeps,
): StepResult {
  const what = untimedShows(record);
  return result(
    step,
    'blocked',
    `held: an earlier POST of this create (its answer lost, or its apply stopped) may have made the audience, and no audience of its own named "${name}" is listed in sandbox "${step.sandbox}"${lookedUp(found)}; its state record shows ${what} for that POST, so the wait for it to show cannot be timed and no apply sends the create again. Its intent is kept: if that POST made the audience, ${importHint(step, deps.paste)}; if it made none, run: ${forgetCommand(step.key, step.sandbox, deps.paste)} and apply again`,
  );
}

/** What the lookup listed under the name, none of it this create's, or what it could not list. */
function lookedUp(found: Exclude<OwnCreate, { kind: 'one' | 'several' }>): string {
  if (found.kind === 'unknown') return ` (${found.reason})`;
  const listed = listedOf(found);
  if (listed.length === 0) return '';
  return ` (listed under it, none taken for its own: ${describeCandidates(listed)}; ${notOurs(found)})`;
}

function listedOf(found: Exclude<OwnCreate, { kind: 'one' | 'several' | 'unknown' }>): LiveAudience[] {
  return found.kind === 'none' ? found.byName : [found.audience];
}

/**
 * The record, written before a POST sent again, with that POST's time (`repeated`): the next
 * apply holds the create from then on. A create intent of an earlier release, which recorded no
 * body, records the one sent now (the step's: sentStep checked its spec hash).
 */
export async function markRepeat(
  step: Step,
  record: AudienceRecord,
  deps: ExecutorDeps,
): Promise<AudienceRecord> {
  const earliest = serviceEarliestMs(deps.client);
  const repeated = {
    at: new Date(deps.clock.now()).toISOString(),
    ...(earliest === undefined ? {} : { earliestAepMs: earliest }),
  };
  const target = step.target;
  const sent: PendingCreate | undefined =
    record.pendingCreate ??
    (step.create && target ? { body: step.create, spec: target.spec, hash: target.hash } : undefined);
  if (sent === undefined) return record;
  return deps.store.put({ ...record, pendingCreate: { ...sent, repeated } });
}

/**
 * `record` (marked by markRepeat) with the repeat mark `before` had: the POST marked was refused,
 * so it made nothing and cannot land. A write that fails keeps the mark (held longer, never
 * shorter) and the record as marked.
 */
export async function unmarkRepeat(
  record: AudienceRecord,
  before: AudienceRecord,
  deps: ExecutorDeps,
): Promise<AudienceRecord> {
  const sent = record.pendingCreate;
  if (sent === undefined) return record;
  const rest = { ...sent };
  delete rest.repeated;
  const previous = before.pendingCreate?.repeated;
  try {
    return await deps.store.put({
      ...record,
      pendingCreate: previous ? { ...rest, repeated: previous } : rest,
    });
  } catch {
    return record;
  }
}
