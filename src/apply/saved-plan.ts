import { canonicalHash } from './canonical-json.js';
import { AudiencectlError, UsageError } from '../errors.js';
import type { LoadResult } from '../manifest/load.js';
import type { ManifestElsewhere } from '../plan/elsewhere.js';
import { plan as makePlan, type PlanOptions } from '../plan/plan.js';
import type { Plan, PlanOrigin, SavedPlanOptions } from '../plan/schema.js';
import { planScopeOf } from '../source/file-filter.js';
import type { RecordedState } from '../state/schema.js';
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

/**
 * The plan `origin`'s options and scope make from `desired` and `recorded`, with the manifests
 * found now where it did not read (savedPlanElsewhere), not those found when it was made. Its
 * commands carry `paste`, else what a JSON plan's carry (savedPlanPaste).
 */
export function planAgain(
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
