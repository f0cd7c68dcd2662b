// Whether a saved plan still applies: its steps compared with those planned again, through the
// plan format's schema. Apart from saved-plan.ts because only `apply plan.json` checks one: that
// schema (zod's ~150 schemas of the plan format, built when plan/schema.ts loads) cost every
// apply of a directory its building, so apply-flow.ts imports this module when it has a saved plan.
import { canonicalJson } from './canonical-json.js';
import type { LoadResult } from '../manifest/load.js';
import { namesKey, type ManifestElsewhere } from '../plan/elsewhere.js';
import { Plan, type PlanOrigin } from '../plan/schema.js';
import { otherOrg, type OrgOf } from '../state/org-binding.js';
import type { RecordedState } from '../state/schema.js';
import { storeDifference } from './store-difference.js';
import { storeIdentity } from '../state/store-identity.js';
import { manifestsDigest, originOf, planAgain, StalePlanError, stateDigest } from './saved-plan.js';

/**
 * The steps and held audiences as they compare: through the saved format, canonically, each step
 * as what it does (its kind and audience, bodies, target, run, order, guards), without `reason`,
 * the words that explain it. Those may say what only the place the plan was made could tell (the
 * commit that removed a manifest, read from git: removal-step.ts), and an apply where that is
 * gone (a copy without .git) words the same step otherwise: compared, the plan was refused as
 * stale though it does the same (reverted f49fd891). Nothing applies or shows the file's
 * reasons: the plan applied and shown is the one planned again (savedPlanAsApplied).
 */
function comparable(plan: Plan): string[] {
  const parsed = Plan.parse(JSON.parse(JSON.stringify(plan)));
  // canonicalJson drops an undefined field.
  const does = (step: Plan['steps'][number]) => canonicalJson({ ...step, reason: undefined });
  return [...parsed.steps.map(does), canonicalJson(parsed.held)];
}

function firstDifference(saved: Plan, fresh: Plan): string {
  const a = comparable(saved);
  const b = comparable(fresh);
  const stepIds = (plan: Plan) => plan.steps.map((s) => s.id);
  if (a.length !== b.length) {
    const only = [
      ...stepIds(saved).filter((id) => !stepIds(fresh).includes(id)),
      ...stepIds(fresh).filter((id) => !stepIds(saved).includes(id)),
    ];
    return only.length > 0 ? `step ${only[0]}` : 'the held audiences';
  }
  const index = a.findIndex((text, i) => text !== b[i]);
  if (index < 0) return '';
  return index < saved.steps.length ? `step ${saved.steps[index]!.id}` : 'the held audiences';
}

/** Refuses (PLAN_OTHER_ORG) a plan made for another org than the one its calls would go to. */
function assertPlannedOrgs(origin: PlanOrigin, source: string, orgOf: OrgOf): void {
  const other = otherOrg(origin.orgs, orgOf);
  if (!other) return;
  const { sandbox, bound: planned, current } = other;
  throw new StalePlanError(
    'PLAN_OTHER_ORG',
    `${source} was made for IMS org ${planned} (sandbox ${sandbox}), but these credentials are for ${current.orgId} (${current.setting}); nothing was sent to AEP or written. Apply it with the credentials of ${planned}, or plan again for ${current.orgId} with its state store`,
  );
}

/** The store an apply holds: its location, and what it says it is when a saved plan asked (StateStore.identity). */
export type StoreHere = { location: string; identity?: string | undefined };

/**
 * A plan made against a store never written (no lineage: the first plan after `init`) records
 * where that store is (PlanOrigin.store): lineage, serial 0 and the digest of no records are
 * those of every store never written, so without it the plan applied to any of them (another
 * job's default store, a mistyped --state), and the store it was made for created the same
 * audiences again (review 38p, F1). The same store written since is told it moved on (serial).
 * The same store reached through another spelling (localhost, 127.0.0.1) is that store when it
 * says so (PlanOrigin.storeIdentity): it was refused as another (review cli-39, 2).
 */
function assertPlannedStore(
  saved: Plan,
  origin: PlanOrigin,
  source: string,
  store: StoreHere | undefined,
): void {
  if (saved.state.lineage !== undefined || origin.store === undefined || store === undefined) return;
  const here = storeIdentity(store.location);
  if (origin.store === here) return;
  if (origin.storeIdentity !== undefined && origin.storeIdentity === store.identity) return;
  throw new StalePlanError(
    'PLAN_OTHER_STATE',
    `${source} was made for another state (the store at ${origin.store}, never written then; this is ${here}; ${storeDifference(origin.store, here)}); nothing was sent to AEP or written. Apply it with --state naming the store it was made for (${origin.store}), or plan again against this one`,
  );
}

/**
 * A saved plan applies only if planning again, from the manifests and the state as they
 * are now, gives the same steps, doing the same with the same bodies (comparable); and only to
 * the state it was made against, as Terraform's does; and only with credentials of the org it
 * was made for.
 * Makes no call: it runs before anything touches AEP.
 */
export function checkSavedPlan(
  saved: Plan,
  source: string,
  desired: LoadResult,
  recorded: RecordedState,
  orgOf: OrgOf,
  elsewhere?: readonly ManifestElsewhere[],
  store?: StoreHere,
): void {
  const origin = originOf(saved, source);
  assertPlannedOrgs(origin, source, orgOf);
  assertPlannedStore(saved, origin, source, store);
  const lineage = recorded.meta?.lineage;
  const serial = recorded.meta?.serial ?? 0;
  if (saved.state.lineage !== undefined && lineage !== undefined && saved.state.lineage !== lineage) {
    throw new StalePlanError(
      'PLAN_OTHER_STATE',
      `${source} was made for another state (lineage ${saved.state.lineage}, this state is ${lineage}); plan again against this state`,
    );
  }
  // A store never written has no lineage yet (`init` writes none): the plan's lineage cannot be
  // this store's, which would keep it. Another state, not the same one moved on (L2).
  if (saved.state.lineage !== undefined && lineage === undefined && serial === 0) {
    throw new StalePlanError(
      'PLAN_OTHER_STATE',
      `${source} was made for another state (lineage ${saved.state.lineage}; this state has none: a store never written); plan again against this state`,
    );
  }
  if (saved.state.serial !== serial) {
    throw new StalePlanError(
      'PLAN_STALE',
      `${source} is stale: the state changed since it was made (serial ${saved.state.serial}, now ${serial}); run plan again`,
    );
  }
  if (stateDigest(recorded) !== origin.stateDigest) {
    throw new StalePlanError(
      'PLAN_STATE_CHANGED',
      `the plan no longer matches the state: ${source} was made from other records (the state was edited since); run plan again`,
    );
  }
  const difference = firstDifference(saved, planAgain(origin, desired, recorded, elsewhere));
  if (difference === '') return;
  throw new StalePlanError(
    'PLAN_MISMATCH',
    `the plan no longer matches the manifests and state: ${difference} differs (${mismatchWhy(difference, source, origin, desired, elsewhere)}); run plan again`,
  );
}

/** Why a saved plan's step differs from the one planned again, as far as can be told. */
function mismatchWhy(
  difference: string,
  source: string,
  origin: PlanOrigin,
  desired: LoadResult,
  elsewhere: readonly ManifestElsewhere[] | undefined,
): string {
  // A manifest of the differing step's audience, found now where the plan did not read (out of
  // its --include, above its directory): it holds the removal the plan made. The manifests it
  // read are the same, so without this the refusal blamed another version or a hand (L1).
  const found = elsewhere?.filter(namesKey).find((m) => difference.startsWith(`step ${m.sandbox}/${m.key}:`));
  if (found?.kind === 'unreachable')
    return `the removal of ${found.sandbox}/${found.key} is held now: it was applied from ${found.dir} in a git work tree, which this apply, of a directory in none, cannot look into for ${found.file}`;
  if (found?.kind === 'unplaced')
    return `the removal of ${found.sandbox}/${found.key} is held now: its file ${found.file} is gone from ${found.dir}, and ${found.why === 'no-work-tree' ? 'this directory is in no git work tree to show it removed it' : 'git does not show this work tree removing it'}`;
  if (found)
    return `a manifest of ${found.sandbox}/${found.key} was found since it was made where ${source} did not read, ${found.file}, which now holds its removal`;
  // The manifests and the state are those it was made from: its steps are not those planned
  // from them, by a release that plans (or prints its commands) otherwise, or by a hand.
  if (manifestsDigest(desired) === origin.manifestsDigest)
    return `${source} was made by another audiencectl version, or edited since: its steps are not those planned again from the same manifests and state`;
  return `the manifests in ${origin.dir} changed since it was made`;
}

/** The first few of `notes` (what resumeIntents settled, the spent records), for a message. */
function settledNotes(resumed: readonly string[]): string {
  const shown = resumed.slice(0, 3).join('; ');
  return resumed.length > 3 ? `${shown}; and ${resumed.length - 3} more` : shown;
}

/**
 * checkSavedPlan runs before the intents a killed apply left are settled (it makes no call);
 * settling them may change the state the plan was made from: a run adopted (a periodic run
 * planned again would be a second one), a DELETE finished. So may the runs-only records found
 * spent since (they count against no budget any more: a run the plan deferred for them is due).
 * The saved plan still applies only if planning again from the settled state gives exactly its
 * steps. Makes no call.
 */
export function checkSettledPlan(
  saved: Plan,
  source: string,
  desired: LoadResult,
  settled: RecordedState,
  changed: { resumed: readonly string[]; spent: readonly string[] },
  elsewhere?: readonly ManifestElsewhere[],
): void {
  const origin = originOf(saved, source);
  if (stateDigest(settled) === origin.stateDigest) return;
  const difference = firstDifference(saved, planAgain(origin, desired, settled, elsewhere));
  if (difference === '') return;
  throw new StalePlanError(
    'PLAN_SETTLED',
    `the plan no longer matches the state: ${whatChanged(changed)}, so ${difference} differs; none of ${source}'s steps was applied; run plan again`,
  );
}

/** Why the state differs from the saved plan's: intents settled, runs-only records spent since. */
function whatChanged(changed: { resumed: readonly string[]; spent: readonly string[] }): string {
  const causes = [
    ...(changed.resumed.length > 0
      ? [`settling what an interrupted apply left changed it (${settledNotes(changed.resumed)})`]
      : []),
    ...(changed.spent.length > 0
      ? [
          `it was made while runs-only records still counted against the daily run budget, which no longer do (${settledNotes(changed.spent)})`,
        ]
      : []),
  ];
  return causes.length > 0 ? causes.join('; and ') : 'the state changed since it was made';
}
