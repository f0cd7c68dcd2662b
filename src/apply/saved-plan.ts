import { canonicalHash, canonicalJson } from './canonical-json.js';
import { AudiencectlError, UsageError } from '../errors.js';
import type { LoadResult } from '../manifest/load.js';
import { namesKey, type ManifestElsewhere } from '../plan/elsewhere.js';
import { plan as makePlan, type PlanOptions } from '../plan/plan.js';
import { Plan, type PlanOrigin, type SavedPlanOptions } from '../plan/schema.js';
import { planScopeOf } from '../source/file-filter.js';
import { otherOrg, type OrgOf } from '../state/org-binding.js';
import type { RecordedState } from '../state/schema.js';
import { storeDifference } from './store-difference.js';
import { storeIdentity } from '../state/store-identity.js';
import { savedPlanPaste, type PasteFlags } from '../text/paste-flags.js';
import { shellQuote } from '../text/shell-quote.js';
import { DEFAULT_RUN_BUDGET } from '../plan/runs.js';

export class StalePlanError extends AudiencectlError {
  override readonly name = 'StalePlanError';
}

export function digest(value: unknown): string {
  return `sha256:${canonicalHash(value)}`;
}

/**
 * The records as a digest sees them, in a fixed order whatever the store's listing order.
 * Lineage and serial are checked on their own (a first lock may write them).
 */
export function stateDigest(recorded: RecordedState): string {
  const audiences = [...recorded.audiences].sort((a, b) =>
    `${a.sandbox}/${a.key}` < `${b.sandbox}/${b.key}` ? -1 : 1,
  );
  return digest(audiences);
}

export function manifestsDigest(desired: LoadResult): string {
  return digest(desired);
}

export function savedOptions(options: PlanOptions): SavedPlanOptions {
  return {
    now: options.now,
    ...(options.clockOffset === undefined ? {} : { clockOffset: options.clockOffset }),
    allowReplace: options.allowReplace,
    allowMassDelete: options.allowMassDelete,
    allowEmptySource: options.allowEmptySource,
    ...(options.allowMassRecreate ? { allowMassRecreate: true } : {}),
    ...(options.maxDeletes === undefined ? {} : { maxDeletes: options.maxDeletes }),
    ...(options.runBudget ? { runBudget: options.runBudget } : {}),
    ...(options.refresh ? { refresh: options.refresh } : {}),
    ...(options.lateDeletes ? { lateDeletes: options.lateDeletes } : {}),
    ...(options.adopt ? { adopt: true } : {}),
    ...(options.adoptView ? { adoptView: options.adoptView } : {}),
    ...(options.sourceRoot === undefined ? {} : { sourceRoot: options.sourceRoot }),
    ...(options.repository === undefined ? {} : { repository: options.repository }),
    ...(options.roots === undefined || options.roots.length === 0 ? {} : { roots: [...options.roots] }),
  };
}

export function planOptionsOf(saved: SavedPlanOptions): PlanOptions {
  return {
    now: saved.now,
    ...(saved.clockOffset === undefined ? {} : { clockOffset: saved.clockOffset }),
    allowReplace: saved.allowReplace,
    allowMassDelete: saved.allowMassDelete,
    allowEmptySource: saved.allowEmptySource,
    ...(saved.allowMassRecreate ? { allowMassRecreate: true } : {}),
    ...(saved.maxDeletes === undefined ? {} : { maxDeletes: saved.maxDeletes }),
    ...(saved.runBudget ? { runBudget: saved.runBudget } : {}),
    ...(saved.refresh ? { refresh: saved.refresh } : {}),
    ...(saved.lateDeletes ? { lateDeletes: saved.lateDeletes } : {}),
    ...(saved.adopt ? { adopt: true } : {}),
    ...(saved.adoptView ? { adoptView: saved.adoptView } : {}),
    ...(saved.sourceRoot === undefined ? {} : { sourceRoot: saved.sourceRoot }),
    ...(saved.repository === undefined ? {} : { repository: saved.repository }),
    ...(saved.roots === undefined ? {} : { roots: saved.roots }),
  };
}

/**
 * `apply plan.json --max-deletes N`: the saved plan is applied as it was planned, with its own
 * options, but the guard given to the apply still holds, as it only restricts: one told never
 * to delete refuses a plan that would (a delete, or a replace's DELETE), and one given N > 0
 * refuses a plan with more than N deletions (counted as `plan` counts them: delete steps and
 * replaces, each of which deletes its audience), unless --allow-mass-delete is given too, as for
 * `plan`.
 * Before any call.
 */
export function assertSavedPlanDeletions(
  saved: Plan,
  source: string,
  maxDeletes: number | undefined,
  allowMassDelete = false,
): void {
  if (maxDeletes === undefined) return;
  const actionable = (step: Plan['steps'][number]) => !step.blocked && !step.deferred;
  const first = (steps: Plan['steps']) => `${steps[0]!.id}${steps.length > 1 ? ', ...' : ''}`;
  if (maxDeletes === 0) {
    const deleting = saved.steps.filter(
      (step) => (step.kind === 'delete' || step.kind === 'replace') && actionable(step),
    );
    if (deleting.length === 0) return;
    throw new StalePlanError(
      'PLAN_DELETES',
      `${source} deletes ${deleting.length} audience(s) (${first(deleting)}), and --max-deletes 0 forbids deletions (--allow-mass-delete does not lift it); nothing was sent to AEP or written. Plan again with --max-deletes 0, or raise --max-deletes to allow them`,
    );
  }
  if (allowMassDelete) return;
  const deletes = saved.steps.filter(
    (step) => (step.kind === 'delete' || step.kind === 'replace') && actionable(step),
  );
  if (deletes.length <= maxDeletes) return;
  const replaces = deletes.filter((step) => step.kind === 'replace').length;
  const replaced = replaces > 0 ? `; ${replaces} of them replaced` : '';
  throw new StalePlanError(
    'PLAN_DELETES',
    `${source} deletes ${deletes.length} audience(s) (${first(deletes)}${replaced}), more than --max-deletes ${maxDeletes} allows; nothing was sent to AEP or written. Raise --max-deletes to allow them, or plan again with --max-deletes ${maxDeletes}`,
  );
}

/**
 * The flags of `plan` that choose what is planned (the manifests read, the guards that let
 * a step through, the run budget), as given to `apply plan.json` on its command line.
 */
export type GivenPlanFlags = {
  include?: string[] | undefined;
  exclude?: string[] | undefined;
  sandbox?: string | undefined;
  maxFileBytes?: number | undefined;
  allowReplace?: boolean | undefined;
  adopt?: boolean | undefined;
  allowMassDelete?: boolean | undefined;
  allowEmptySource?: boolean | undefined;
  allowMassRecreate?: boolean | undefined;
  runsPerDay?: number | undefined;
  runsPerAudience?: number | undefined;
  refresh?: boolean | undefined;
};

/**
 * `apply plan.json --include ...`: a saved plan is applied as it was planned, so a flag that
 * would plan otherwise cannot be honoured; dropped without a word, an apply given
 * `--include 'team-a/**'` deleted elsewhere (review 20b, M1). Refused, as Terraform refuses
 * -target with a saved plan, unless it says what the plan was made with. Before any call.
 */
export function assertSavedPlanFlags(saved: Plan, source: string, given: GivenPlanFlags): void {
  const origin = originOf(saved, source);
  const options = origin.options;
  const budget = options.runBudget ?? DEFAULT_RUN_BUDGET;
  const globs = (flag: string, values: readonly string[] | undefined) =>
    values && values.length > 0 ? values.map((v) => `${flag} ${shellQuote(v)}`).join(' ') : `no ${flag}`;
  const bool = (flag: string, value: boolean | undefined) => (value ? flag : `no ${flag}`);
  // Globs select as a set: the same ones in another order plan the same.
  const sameList = (a: readonly string[] | undefined, b: readonly string[] | undefined) =>
    JSON.stringify([...new Set(a)].sort()) === JSON.stringify([...new Set(b)].sort());
  // The first flag given otherwise than the plan was made with is refused.
  const refuseIf = (flag: string, differs: boolean, planned: string) => {
    if (differs)
      throw new UsageError(
        'BAD_FLAG',
        `${flag}: ${source} was planned with ${planned}, and a saved plan is applied as it was planned; give ${flag} to \`plan\` and apply that plan, or leave it out here`,
      );
  };
  if (given.include !== undefined)
    refuseIf('--include', !sameList(given.include, origin.include), globs('--include', origin.include));
  if (given.exclude !== undefined)
    refuseIf('--exclude', !sameList(given.exclude, origin.exclude), globs('--exclude', origin.exclude));
  if (given.sandbox !== undefined)
    refuseIf('--sandbox', given.sandbox !== origin.sandbox, `--sandbox ${shellQuote(origin.sandbox)}`);
  if (given.maxFileBytes !== undefined)
    refuseIf(
      '--max-file-bytes',
      given.maxFileBytes !== origin.maxFileBytes,
      origin.maxFileBytes === undefined ? 'no --max-file-bytes' : `--max-file-bytes ${origin.maxFileBytes}`,
    );
  const flagsOf: Array<[string, boolean | undefined, boolean | undefined]> = [
    ['--allow-replace', given.allowReplace, options.allowReplace],
    ['--adopt', given.adopt, options.adopt],
    ['--allow-mass-delete', given.allowMassDelete, options.allowMassDelete],
    ['--allow-empty-source', given.allowEmptySource, options.allowEmptySource],
    ['--allow-mass-recreate', given.allowMassRecreate, options.allowMassRecreate],
    // Its view is the saved one either way: --refresh reads the service again only in `plan`.
    ['--refresh', given.refresh, options.refresh !== undefined],
  ];
  for (const [flag, value, planned] of flagsOf)
    if (value !== undefined) refuseIf(flag, value !== (planned ?? false), bool(flag, planned));
  if (given.runsPerDay !== undefined)
    refuseIf(
      '--runs-per-day',
      given.runsPerDay !== budget.perSandboxPerDay,
      `--runs-per-day ${budget.perSandboxPerDay}`,
    );
  if (given.runsPerAudience !== undefined)
    refuseIf(
      '--runs-per-audience',
      given.runsPerAudience !== budget.perAudiencePerDay,
      `--runs-per-audience ${budget.perAudiencePerDay}`,
    );
}

/**
 * `apply plan.json` of a plan made with --max-deletes 0 whose deletions it blocked: the apply
 * keeps the plan's options, so a higher --max-deletes given to it lifts nothing. Says so, and
 * that the way is a new plan; undefined when the plan blocked no deletion for it.
 */
export function savedNeverDeleteNote(
  saved: Plan,
  source: string,
  given: number | undefined,
): string | undefined {
  if (saved.origin?.options.maxDeletes !== 0) return undefined;
  const held = saved.steps.filter(
    (step) =>
      (step.kind === 'delete' || step.kind === 'replace') && step.blocked?.includes('--max-deletes 0'),
  );
  if (held.length === 0) return undefined;
  const ignored =
    given === undefined || given === 0
      ? ''
      : ` (--max-deletes ${given} only limits a saved plan: it lifts none of its guards)`;
  return `${source} was planned with --max-deletes 0: its ${held.length} deletion(s) stay blocked whatever this apply is given${ignored}; to delete, plan again with a higher --max-deletes and apply that plan`;
}

/** What a saved plan records of where it came from; `source` says how to read the manifests again. */
export function planOrigin(
  source: Omit<PlanOrigin, 'options' | 'manifestsDigest' | 'stateDigest' | 'orgs'>,
  desired: LoadResult,
  recorded: RecordedState,
  options: PlanOptions,
): PlanOrigin {
  return {
    ...source,
    options: savedOptions(options),
    manifestsDigest: manifestsDigest(desired),
    stateDigest: stateDigest(recorded),
  };
}

/** Where a saved plan says it was made; a plan that does not say cannot be checked, so is refused. */
export function originOf(saved: Plan, source: string): PlanOrigin {
  if (saved.origin) return saved.origin;
  throw new StalePlanError(
    'PLAN_NO_ORIGIN',
    `${source} does not record the manifests it was made from (a pull-request plan, or one from an older version); run plan --output json --out again`,
  );
}

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

/**
 * The IMS org of each sandbox the plan's steps go to, as `orgOf` (the credentials the plan
 * was made with) says; undefined when it knows none (a plan made without credentials).
 */
export function planOrgs(
  plan: Pick<Plan, 'steps'>,
  orgOf: (sandbox: string) => string | undefined,
): Record<string, string> | undefined {
  const orgs: Record<string, string> = {};
  for (const sandbox of [...new Set(plan.steps.map((step) => step.sandbox))].sort()) {
    const org = orgOf(sandbox);
    if (org !== undefined) orgs[sandbox] = org;
  }
  return Object.keys(orgs).length === 0 ? undefined : orgs;
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
 * The plan `origin`'s options and scope make from `desired` and `recorded`, with the manifests
 * found now where it did not read (savedPlanElsewhere), not those found when it was made. Its
 * commands carry `paste`, else what a JSON plan's carry (savedPlanPaste).
 */
function planAgain(
  origin: PlanOrigin,
  desired: LoadResult,
  recorded: RecordedState,
  elsewhere: readonly ManifestElsewhere[] | undefined,
  paste?: PasteFlags,
): Plan {
  const scope = planScopeOf(origin);
  return makePlan(desired, recorded, {
    ...planOptionsOf(origin.options),
    // As `plan --output json` printed its commands (unless told to print them otherwise).
    paste: paste ?? savedPlanPaste(origin.dir),
    ...(scope ? { scope } : {}),
    ...(elsewhere ? { elsewhere } : {}),
  });
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

/**
 * The saved plan as `apply plan.json` shows and executes it, once checkSavedPlan (and
 * checkSettledPlan) found its steps are those planned again from `desired` and `recorded`:
 * the plan made again, whole, so that its summary, held audiences, diagnostics and notes are
 * those of the steps applied, never the file's, which nothing checks (an edited summary said
 * "0 to delete" above the deletions it applied: review 20b, M2). Its printed commands carry
 * this apply's flags (`paste`: its typed --state and --config, and the plan's directory)
 * instead of the file's flag-free ones, which a pasted command would take to the default
 * store; without `paste`, the file's. The file's steps are what is compared, but for their reasons (comparable).
 * Keeps the file's origin (its options time the runs: retimeSavedPlan). Its olderCheckout is
 * the apply's own check's (APPLY_OLDER_CHECKOUT), not shown from the file.
 */
export function savedPlanAsApplied(
  saved: Plan,
  source: string,
  desired: LoadResult,
  recorded: RecordedState,
  elsewhere: readonly ManifestElsewhere[] | undefined,
  paste?: PasteFlags,
): Plan {
  const shown = planAgain(originOf(saved, source), desired, recorded, elsewhere, paste);
  // Checked equal but for the commands' words: a plan that is not the saved one is never shown.
  const same =
    shown.steps.length === saved.steps.length &&
    shown.steps.every((step, index) => step.id === saved.steps[index]?.id);
  if (!same)
    throw new StalePlanError(
      'PLAN_MISMATCH',
      `the plan no longer matches the manifests and state: ${source}'s steps are not those planned again; run plan again`,
    );
  return { ...shown, ...(saved.origin ? { origin: saved.origin } : {}) };
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
