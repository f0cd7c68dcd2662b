import { isExternal, type LiveAudience } from '../../aep/segment-types.js';
import type { Step } from '../../plan/schema.js';
import { blockedImportHint, blockedNameWayOut } from '../../plan/name-block.js';
import type { AudienceRecord } from '../../state/schema.js';
import { epochSecondsOf } from '../../state/instant.js';
import {
  adoptOwnCreate,
  describeCandidates,
  findOwnCreate,
  notListedYet,
  type OwnCreate,
} from '../find-created.js';
import { importHint, result, writeOutcome } from '../record-helpers.js';
import { createdBeforeText } from '../../state/create-window.js';
import type { ExecutorDeps, StepResult } from '../types.js';
import {
  freedName,
  goneAsReplaced,
  heldByFreeing,
  heldUnlisted,
  nameHeldUnlisted,
  type Replaced,
} from './freed-name.js';
import type { PasteFlags } from '../../text/paste-flags.js';
import { replacedStoreHint } from './replaced-store-hint.js';
import { byOwnAccount } from '../../state/own-creators.js';

// A create refused 409: what the sandbox lists under the name decides between our own create
// (adopted), a refresh's mistake, a name held but not listed, and someone else's audience.

function candidatesOf(found: OwnCreate): LiveAudience[] {
  if (found.kind === 'none' || found.kind === 'unknown') return found.byName;
  return found.kind === 'several' ? found.candidates : [found.audience];
}

/** The way out of a lookup the service fails every time (findOwnCreate's `unknown`). */
export function listKeepsFailing(step: Step, paste: PasteFlags | undefined): string {
  return `If that list keeps failing (a service that refuses the filter, say), ${importHint(step, paste)}`;
}

/** Why what is listed under the name is not taken for our own create. */
export function notOurs(found: OwnCreate): string {
  switch (found.kind) {
    case 'several':
      return 'several audiences could be the one an interrupted create made';
    // Before the intent, in AEP's clock: no POST of this create made it (findOwnCreate).
    case 'earlier':
      return `it was created ${createdBeforeText(found.verdict, 'this')}: most likely another state store's create with the same credentials (a store migrated from, another CI job's), and two stores must not manage one audience`;
    // After a change of credentials audiencectl's own create shows the new account: "audiencectl
    // did not create it" would be false then.
    case 'none':
      return found.otherAccount ?? eachNotOwn(found.byName, found.notOwn);
    case 'unknown':
      return eachNotOwn(found.byName, found.notOwn);
    case 'one':
      return firstPostRefused(found);
  }
}

/**
 * Why each listed audience is not this create's, as findOwnCreate checked it: one made before
 * the create began by audiencectl's own account is no audience "made outside audiencectl".
 */
function eachNotOwn(byName: readonly LiveAudience[], notOwn: readonly string[]): string {
  const [only] = notOwn;
  if (notOwn.length === 1 && only !== undefined) return only;
  return byName
    .slice(0, 5)
    .map((audience, index) => `${audience.id}: ${notOwn[index] ?? ''}`)
    .join('; ');
}

/**
 * The one audience this create would take for its own, not taken: this create's first POST was
 * refused (409), so none of its POSTs made it. Who did, the service's answer says only as far as
 * it shows a creator and the records show audiencectl's account (findOwnCreate's ownAccount); an
 * audience that shows neither is not known to be made outside audiencectl (another state store's
 * create with the same credentials would look the same).
 */
function firstPostRefused(found: Extract<OwnCreate, { kind: 'one' }>): string {
  const refused = 'this create, whose first POST the service refused (409)';
  if (found.ownAccount)
    return `it was made by audiencectl's account, but not by ${refused}: another state store's create with the same credentials, or an earlier create's`;
  const creator = found.audience.createdBy;
  if (creator === undefined)
    return `it was not made by ${refused}: the name was taken before it; the service does not show who made it`;
  return `it was made by ${creator}, but not by ${refused}: the name was taken before it; no record of this state store shows the account audiencectl creates with, so whether ${creator} is audiencectl's is not known`;
}

const NO_CREATORS: ReadonlySet<string> = new Set();

/**
 * Whether what blocks the create may be another store's create with these credentials, this
 * store its replacement, not migrated (replacedStoreHint then gives the `state migrate`): made by
 * the account audiencectl's creates were, or before this create began; or, found none of ours
 * (`none`, `unknown`), an external audience of the manifest's origin made by a technical
 * account. A store moved days after its last apply finds its audiences days old and run already
 * (findOwnCreate's `none`), and holds no record of the account that made them: the upgrade the
 * hint is for.
 */
function mayBeEarlierStores(step: Step, found: OwnCreate, listed: readonly LiveAudience[]): boolean {
  if (found.kind === 'earlier') return true;
  if (found.kind === 'one') return found.ownAccount;
  if (found.kind === 'several') return false;
  const origin = step.create?.originName;
  // A store that holds nothing applied knows no account of its own: made by a technical account
  // (or none shown), as byOwnAccount takes it then; never a person's (a colleague's by hand).
  return listed.some(
    (audience) =>
      isExternal(audience) &&
      (audience.originName ?? origin) === origin &&
      byOwnAccount(audience.createdBy, NO_CREATORS),
  );
}

/**
 * A 409: adopt our own interrupted create (nothing listed under its name: not listed yet, see
 * notListedYet), keep the record a refresh wrongly read as deleted (`forgotten`: the service
 * still lists its audience under that name), fail when nothing at all is listed under the name
 * its own replace has just freed (heldUnlisted) or under any other name (nameHeldUnlisted: a
 * holder the exact-case lookup does not list; the next apply POSTs again), fail when only
 * audiences this plan deleted to free the name are listed (heldByFreeing), or block with what
 * the sandbox lists under that name, recording the name (the block lifts when the manifest
 * names another, plan/name-block.ts).
 */
export async function resolveDuplicate(
  step: Step,
  pending: AudienceRecord,
  ours: boolean,
  deps: ExecutorDeps,
  forgotten?: AudienceRecord,
  replaced?: Replaced,
  /** The record as the create began it (its intent, what it sent), for a `pending` whose intent was settled already (settledRefusal). */
  began: AudienceRecord = pending,
): Promise<StepResult> {
  const startedAt = epochSecondsOf(began.intent?.startedAt ?? '');
  const since = Number.isFinite(startedAt) ? startedAt : 0;
  const found = await findOwnCreate(step, deps, began);
  if (ours && found.kind === 'one')
    return adoptOwnCreate(step, pending, found.audience, deps, found.unclocked);
  const listed = candidatesOf(found);
  const stillThere = forgotten && listed.find((audience) => audience.id === forgotten.audienceId);
  if (forgotten && stillThere) {
    // One write: the record is never left without the audience the service still lists.
    await writeOutcome(deps.store, pending, { kind: 'replace', record: forgotten });
    return result(
      step,
      'failed',
      `not re-created: audience ${stillThere.id} was read as deleted outside audiencectl, but the service refused a second audience named "${step.create!.name}" and lists ${stillThere.id} under it; its record is kept as it was (plan --refresh again to see it)`,
      { audienceId: stillThere.id },
    );
  }
  const candidates = listed.length > 0 ? ` (found: ${describeCandidates(listed)})` : '';
  const refused = `the service refused a second audience named "${step.create!.name}" in sandbox "${step.sandbox}" (409)`;
  if (ours && found.kind === 'unknown') {
    // What proves the audience ours stays: neither blocked nor cleared on a list not read. A
    // service that refuses the list every time (a 400 for the lifecycleState filter) would
    // fail this step on every apply: the message says how a person ends it.
    return result(
      step,
      'failed',
      `${refused}, and none listed under that name is this create's${candidates}; ${found.reason}: its intent is kept and the next apply looks again. ${listKeepsFailing(step, deps.paste)}`,
    );
  }
  if (ours && found.kind === 'none' && found.byName.length === 0) {
    // The name is held (409), by our own POST when its operation has not succeeded yet: the
    // intent is kept, after the grace too (notListedYet, `held`).
    return notListedYet(
      step,
      pending,
      since,
      `${refused}, the name this create's earlier POST may hold,`,
      deps,
      { held: true },
    );
  }
  const freed = freedName(step.create!.name, pending, replaced ?? goneAsReplaced(forgotten));
  if (found.kind === 'none' && found.byName.length === 0 && freed)
    return heldUnlisted(step, pending, refused, deps, freed);
  // Nothing listed under the exact name: a holder in another letter case, a deleted audience
  // whose name the service still holds, or a create not finished. Failed, not blocked: the
  // next apply POSTs again, so a freed name heals by itself (nameHeldUnlisted).
  if (listed.length === 0) {
    const unread = found.kind === 'unknown' ? ` (and ${found.reason})` : '';
    return nameHeldUnlisted(step, pending, `${refused}${unread}`, deps);
  }
  // Only audiences this plan deleted to free the name (a name the service still holds a while).
  const freeing = deps.names?.freedAudiences(step);
  if (freeing !== undefined && freeing.size > 0 && listed.every((audience) => freeing.has(audience.id)))
    return heldByFreeing(
      step,
      pending,
      refused,
      deps,
      listed.map((audience) => audience.id),
    );
  const why = notOurs(found);
  const name = step.create!.name;
  const message = `an audience named "${name}" already exists in sandbox "${step.sandbox}": ${why}${candidates}`;
  const at = new Date(deps.clock.now()).toISOString();
  const ids = listed.slice(0, 5).map((audience) => audience.id);
  await writeOutcome(deps.store, pending, {
    kind: 'update',
    changes: { blocked: { code: '100950-409', message, at, name, found: ids }, pendingCreate: null },
  });
  const migrate = mayBeEarlierStores(step, found, listed)
    ? await replacedStoreHint(deps.store, deps.paste)
    : '';
  return result(
    step,
    'blocked',
    `${message}; ${blockedImportHint(step, deps.paste, ids)}${migrate}${blockedNameWayOut}`,
  );
}
