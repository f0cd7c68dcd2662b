import { createdMs, createdSeconds, isExternal, type LiveAudience } from '../aep/segment-types.js';
import { RunsListCutError } from '../aep/runs-list-cut.js';
import type { RunsListed } from '../aep/types.js';
import type { Step } from '../plan/schema.js';
import { aepFailure } from './aep-failure.js';
import type { AudienceRecord } from '../state/schema.js';
import { inactiveByName } from './discover-inactive.js';
import {
  appliedFrom,
  droppedNote,
  dropCreate,
  importHint,
  manifestFileOf,
  recordCreated,
  result,
} from './record-helpers.js';
import { measuredOffset } from './service-time.js';
import { byOwnAccount, otherAccountReason, ownCreators } from '../state/own-creators.js';
import {
  createBegan,
  createdBeforeText,
  createdVersusBegan,
  CREATE_SKEW_SECONDS,
  type CreatedVerdict,
} from '../state/create-window.js';
import { forgetCommand } from '../text/paste-flags.js';
import { CREATE_LANDS_WITHIN_MS } from '../state/create-repeat-wait.js';
import type { ExecutorDeps, StepResult } from './types.js';

/**
 * How long after its create answered a record is kept while neither the operation nor the
 * Audiences API shows the audience (the service may be slow to list it). After that, the
 * create is taken as never made: the record goes (all but the runs it keeps for the daily run
 * budget, dropCreate) and the next apply creates it again; unless the service refused the name
 * (409), which says an audience holds it (see notListedYet).
 */
export const CREATE_GRACE_SECONDS = CREATE_LANDS_WITHIN_MS / 1000;

/**
 * `none`: what the sandbox lists under the name (inactive audiences included), none of it
 * ours; `otherAccount`, why not, when one would be but for its creator (otherAccountReason); `notOwn`, why each listed audience
 * (in `byName`'s order) is not this create's, as findOwnCreate checked it (`unknown` too). `one` not taken (a
 * first POST refused, 409: no POST of this create made it): `ownAccount` when the records show the
 * account that made it as audiencectl's (not merely none shown). `unknown`: the name lookup found
 * none of ours, and the inactive audiences, where ours may be, could not be listed (`reason`).
 * `earlier`: the one audience that would be ours, but created before the create's intent in
 * AEP's clock (createdVersusBegan: more than its margin, within CREATE_SKEW_SECONDS): no POST
 * of this create made it. `one` with `unclocked`: created that long before the intent by the
 * clock of the machine that began it, AEP's not read then to compare (within CREATE_SKEW_SECONDS).
 */
export type OwnCreate =
  | {
      kind: 'one';
      audience: LiveAudience;
      unclocked?: Extract<CreatedVerdict, { kind: 'unclocked' }>;
      ownAccount: boolean;
    }
  | { kind: 'earlier'; audience: LiveAudience; verdict: Extract<CreatedVerdict, { kind: 'earlier' }> }
  | { kind: 'none'; byName: LiveAudience[]; otherAccount: string | undefined; notOwn: string[] }
  | { kind: 'several'; candidates: LiveAudience[] }
  | { kind: 'unknown'; byName: LiveAudience[]; reason: string; notOwn: string[] };

/**
 * Our own create, found by exact name in the sandbox: external, of the manifest's origin,
 * created no earlier than the create began as its clock tells (createdVersusBegan, the rule
 * `state import` applies too), claimed by no other record, and made by the account our other
 * creates in the sandbox were made by (when they show one: byOwnAccount, the creator rule
 * `state import` applies too): an intent may be days old, and an
 * audience a colleague made by hand since, after our POST made nothing, is not ours. A service
 * may leave inactive audiences out of the name lookup (as `state import --discover` allows
 * for): when it shows none of ours, the sandbox's inactive audiences of that name are looked at
 * too. `record`: the record as the create began it, whose intent's time (before its POST:
 * `earlier` for an audience created before it in AEP's clock) or, without an intent, whose
 * POST's answer's time (the audience may have been made before the answer was recorded: the
 * skew alone applies) the creation times are compared with.
 */
export async function findOwnCreate(
  step: Step,
  deps: ExecutorDeps,
  record: Pick<AudienceRecord, 'intent' | 'pendingCreate' | 'operationId' | 'observed'>,
): Promise<OwnCreate> {
  const name = step.create?.name ?? '';
  const options = deps.signal ? { signal: deps.signal } : {};
  const byName = await deps.client.findAudiencesByName(step.sandbox, name, options);
  const records = (await deps.store.readAll()).audiences;
  const claimed = new Set(
    records
      .filter((record) => !(record.sandbox === step.sandbox && record.key === step.key))
      .flatMap((record) => (record.audienceId ? [record.audienceId] : [])),
  );
  const creators = ownCreators(records, step.sandbox);
  // The create's time against AEP's creation times: in AEP's clock when the create recorded it,
  // else by the offset the answer just read measured (its Date header).
  const began = createBegan(record, measuredOffset(deps.client));
  const verdictOf = (audience: LiveAudience): CreatedVerdict | undefined => {
    const created = createdMs(audience);
    if (created === undefined) return undefined;
    return began === undefined ? { kind: 'after' } : createdVersusBegan(created, began);
  };
  const plausible = (audience: LiveAudience) => {
    const verdict = verdictOf(audience);
    return (
      isExternal(audience) &&
      (audience.originName ?? step.create?.originName) === step.create?.originName &&
      verdict !== undefined &&
      !(verdict.kind === 'earlier' && (verdict.clock === 'local' || verdict.seconds > CREATE_SKEW_SECONDS)) &&
      !claimed.has(audience.id)
    );
  };
  const ownAccount = (audience: LiveAudience) => byOwnAccount(audience.createdBy, creators);
  // Shown made by the account the records show audiencectl's creates made by (not merely none shown).
  const shownOwn = (audience: LiveAudience) =>
    audience.createdBy !== undefined && creators.has(audience.createdBy);
  /** Why `audience`, listed under the name, is not this create's: the first check it fails. */
  const whyNot = (audience: LiveAudience): string => {
    if (claimed.has(audience.id)) return 'another record of this state store holds it';
    if (!isExternal(audience))
      return `it is not an external audience (its type is ${audience.type === undefined ? 'not shown' : `"${audience.type}"`})`;
    const origin = audience.originName ?? step.create?.originName;
    if (origin !== step.create?.originName)
      return `its origin is "${origin ?? ''}", not the manifest's "${step.create?.originName ?? ''}"`;
    const verdict = verdictOf(audience);
    if (verdict === undefined) return 'its creation time is not shown';
    if (verdict.kind === 'earlier') {
      const created = `created ${createdBeforeText(verdict, 'this')}`;
      return shownOwn(audience)
        ? `it was made by audiencectl's account before this create began (another state store's create with the same credentials, or an earlier create's): ${created}`
        : `it was ${created}`;
    }
    return otherAccountReason(audience.createdBy, creators);
  };
  let listed = byName;
  if (!listed.some((audience) => plausible(audience) && ownAccount(audience))) {
    const inactive = await inactiveByName(deps.client, step.sandbox, name, options);
    if ('failure' in inactive) {
      const reason = `the inactive audiences of sandbox "${step.sandbox}", where it may be, cannot be listed (${inactive.failure})`;
      return { kind: 'unknown', byName, reason, notOwn: byName.map(whyNot) };
    }
    const seen = new Set(byName.map((audience) => audience.id));
    listed = [...byName, ...inactive.audiences.filter((audience) => !seen.has(audience.id))];
  }
  const candidates = listed.filter((audience) => plausible(audience) && ownAccount(audience));
  if (candidates.length === 1 && candidates[0]) {
    const audience = candidates[0];
    const verdict = verdictOf(audience);
    if (verdict?.kind === 'earlier') return { kind: 'earlier', audience, verdict };
    // No run of this store can be on an audience its create has not recorded yet: a run there
    // was started by whoever made it (another state store's create with the same credentials,
    // racing this one: review 33b, M-1), and adopting it would start a second first run.
    const ran = await runsOf(deps, step.sandbox, audience.id, options);
    if (typeof ran === 'string') {
      const reason = `the runs of audience ${audience.id}, which tell another store's audience from this create's, cannot be listed (${ran})`;
      return { kind: 'unknown', byName, reason, notOwn: byName.map(whyNot) };
    }
    if (ran.length > 0 || (ran.totalCount ?? 0) > 0) {
      const why = (candidate: LiveAudience) =>
        candidate.id === audience.id ? alreadyRun(ran) : whyNot(candidate);
      return { kind: 'none', byName: listed, otherAccount: undefined, notOwn: listed.map(why) };
    }
    const own = shownOwn(audience);
    if (verdict?.kind === 'unclocked') return { kind: 'one', audience, unclocked: verdict, ownAccount: own };
    return { kind: 'one', audience, ownAccount: own };
  }
  if (candidates.length > 1) return { kind: 'several', candidates };
  const other = listed.find((audience) => plausible(audience) && !ownAccount(audience));
  const otherAccount = other && otherAccountReason(other.createdBy, creators);
  return { kind: 'none', byName: listed, otherAccount, notOwn: listed.map(whyNot) };
}

/**
 * The audience's runs, newest first, or why they could not be listed. A page cut short by its
 * count (RunsListCutError) answers the one question asked here, whether the audience has run:
 * read as "cannot be listed", it failed the create on every apply (review runs-41, M-1).
 */
async function runsOf(
  deps: ExecutorDeps,
  sandbox: string,
  audienceId: string,
  options: { signal?: AbortSignal },
): Promise<Readonly<RunsListed> | string> {
  try {
    return await deps.client.listRuns(sandbox, audienceId, options);
  } catch (error) {
    if (error instanceof RunsListCutError && !options.signal?.aborted) return error.listed;
    return aepFailure(error).message;
  }
}

/**
 * Why an audience with runs (`runs`, newest first; a page of them with the service's count)
 * is not an interrupted create's own.
 */
function alreadyRun(runs: Readonly<RunsListed>): string {
  const [newest] = runs;
  const created =
    newest?.createdAt === undefined ? '' : `, created ${new Date(newest.createdAt * 1000).toISOString()}`;
  const total = runs.totalCount ?? runs.length;
  const count = total === 1 ? '1 run' : `${total} runs`;
  // A page the service cut in its own order may lack the newest: it names the newest it shows.
  const which = runs.holdsNewest === false ? 'the newest listed' : 'the newest';
  const shown =
    newest === undefined
      ? ''
      : ` (${which} ${newest.runId}, ${newest.status ?? 'status not shown'}${created})`;
  return `it already has ${count}${shown}, which no apply of this state store started, as none can on an audience its create has not recorded: most likely another state store's create with the same credentials (another CI job's), and two stores must not manage one audience`;
}

/** `id (created <time> by <user>)`, for messages that list what a person should look at. */
export function describeCandidates(audiences: readonly LiveAudience[]): string {
  return audiences
    .slice(0, 5)
    .map((audience) => {
      const created = createdSeconds(audience);
      const when = created === undefined ? 'unknown time' : new Date(created * 1000).toISOString();
      return `${audience.id} (created ${when} by ${audience.createdBy ?? 'unknown'})`;
    })
    .join(', ');
}

/**
 * Records `audience` as the one this step created. The applied spec is the step's only when
 * the interrupted POST sent this very spec (the step carries the recorded body, when there is
 * one); otherwise the next plan PATCHes what differs.
 */
export async function adoptOwnCreate(
  step: Step,
  record: AudienceRecord,
  audience: LiveAudience,
  deps: ExecutorDeps,
  /** Created before the create began by the local clock, AEP's not read then (findOwnCreate). */
  unclocked?: Extract<CreatedVerdict, { kind: 'unclocked' }>,
): Promise<StepResult> {
  const target = step.target;
  const at = new Date(deps.clock.now()).toISOString();
  // A recorded create body (record.pendingCreate) is what the step sends and records (sentStep).
  const sameSpec =
    target !== undefined && (record.pendingCreate?.hash ?? record.intent?.specHash) === target.hash;
  const changes = {
    audienceId: audience.id,
    ...(target ? { deletionPolicy: target.deletionPolicy } : {}),
    ...manifestFileOf(step, deps, record),
    ...(sameSpec ? { applied: appliedFrom(target, at, deps.revision) } : {}),
    observed: { source: 'audiences' as const, at, body: { ...audience } },
    blocked: null,
    pendingCreate: null,
  };
  await recordCreated(record, changes, deps);
  const made =
    unclocked === undefined
      ? 'the audience an interrupted create made'
      : `taken for the audience an interrupted create made, though created ${createdBeforeText(unclocked, 'that')}; if another state store manages it, forget it here: ${forgetCommand(step.key, step.sandbox, deps.paste)}`;
  return result(step, 'applied', `adopted ${audience.id}, ${made}`, { audienceId: audience.id });
}

/**
 * Our own create, and no audience listed under its name: the Audiences API lists one only once
 * its create operation has succeeded, and may be slow to. `record` (its intent, or its
 * operation) is kept for CREATE_GRACE_SECONDS after `sinceSeconds`; after that, for an
 * operation unknown to the service, the create is taken as never made: the record goes but
 * for the runs it keeps for the daily run budget (dropCreate), and the next apply creates it
 * again. `held`: the service has just refused the name (409), so an
 * audience holds it; then the intent is kept after the grace too. `notOwn`: audiences are
 * listed under the name, none of them its own (what they are, and why not). `what` opens the
 * message.
 */
export async function notListedYet(
  step: Step,
  record: AudienceRecord,
  sinceSeconds: number,
  what: string,
  deps: ExecutorDeps,
  { held = false, notOwn }: { held?: boolean; notOwn?: string } = {},
): Promise<StepResult> {
  const kept = record.intent ? 'its intent' : 'the record';
  const now = Math.floor(deps.clock.now() / 1000);
  if (now < sinceSeconds + CREATE_GRACE_SECONDS) {
    const until = new Date((sinceSeconds + CREATE_GRACE_SECONDS) * 1000).toISOString();
    const none =
      notOwn === undefined
        ? ' and no audience of that name is listed yet'
        : `, and no audience listed under its name is its own (${notOwn})`;
    return result(
      step,
      'failed',
      `${what}${none}; ${kept} is kept until ${until} and the next apply looks again`,
    );
  }
  const minutes = CREATE_GRACE_SECONDS / 60;
  if (held) {
    // Kept, and failed rather than blocked. Dropped, the record would lose the former runs it
    // keeps for the daily run budget, and the next POST, refused for the name still held,
    // would find our own audience, once listed, created before its new intent: blocked as
    // someone else's. Blocked, nothing is POSTed or looked up again (createSent stops at
    // it), so an audience of ours listed later, or a name freed by a failed operation, would
    // wait for a person. Kept, each apply POSTs again: created once the name is free, adopted
    // once the audience is listed (the intent proves it ours), and meanwhile says how to import it.
    return result(
      step,
      'failed',
      `${what} and no audience of that name is listed ${minutes} minutes after this create began: the name is held by an audience not listed (this create's, its operation unfinished, or another's); ${kept} is kept, and the next apply POSTs again and adopts the audience once it is listed. If it stays unlisted, ${importHint(step, deps.paste)}`,
    );
  }
  const left = await dropCreate(deps.store, record);
  return result(
    step,
    'failed',
    `${what}${notOwn === undefined ? ' and no audience of that name' : ', and none of its own'} appeared within ${minutes} minutes${notOwn === undefined ? '' : ` (${notOwn})`}; ${droppedNote(left)} and the next apply creates it again`,
  );
}
