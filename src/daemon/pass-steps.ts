import { describeHolder, describeStale } from '../state/lock-holder.js';
import { applyOnce, type ApplyFlow } from '../apply/apply-flow.js';
import { planHoldingElsewhere } from '../apply/held-elsewhere.js';
import { readLive } from '../apply/live.js';
import type { StepResult } from '../apply/types.js';
import type { Logger } from '../log.js';
import type { LoadResult } from '../manifest/load.js';
import { plan as makePlan } from '../plan/plan.js';
import { DEFAULT_RUN_BUDGET } from '../plan/runs.js';
import type { Plan } from '../plan/schema.js';
import { StateError } from '../state/errors.js';
import type { AudienceRecord } from '../state/schema.js';
import { touchedRecords } from './touched-records.js';
import { daemonProgress, runBudgetLeft } from './instruments.js';
import { publishPlan } from './publish-plan.js';
import { measuredOffset, serviceShift } from '../apply/service-time.js';
import { applyRevision, lookElsewhere, pasteOf, rootOf } from './pass-revision.js';
import type { PassDeps, PassRevision, Refresh, WritingLog } from './pass-types.js';
import { TOKEN_HOLD_LOG, tokenHoldOf } from '../apply/hold-refused-sandboxes.js';

// The steps of a pass (src/daemon/pass.ts): apply (auto-approved) or, in dry-run, plan and
// publish; then the run budget left.

/** How a controller's user has the audiences read back, for the messages of its steps. */
const CONTROLLER_REFRESH_WAY = "the controller's next refresh (--refresh-interval)";

/** Plans made in one pass at most, each after the records moved under the one before. */
const PLANS_PER_PASS = 3;

/**
 * Thrown by a pass's review when records its steps touch moved outside the store since they were
 * kept (PassDeps.confirmRecords): nothing was done, and the pass plans again from them.
 */
class RecordsMovedError extends StateError {
  override readonly name: string = 'RecordsMovedError';

  constructor() {
    super(
      'STATE_CHANGED_OUTSIDE',
      `the state store's records changed outside it while the controller planned, ${PLANS_PER_PASS} times in a row; the next pass plans again`,
    );
  }
}

export async function applyDesired(
  revision: PassRevision,
  desired: LoadResult,
  deps: PassDeps,
  log: Logger,
  refresh: Refresh,
  writing: WritingLog,
): Promise<{ plan: Plan; results: StepResult[] }> {
  for (let plans = 1; ; plans += 1) {
    try {
      return await applyPlanned(revision, desired, deps, log, refresh, writing);
    } catch (error) {
      if (!(error instanceof RecordsMovedError) || plans === PLANS_PER_PASS) throw error;
      log.info('records changed outside the state store since they were read: planning again from them');
    }
  }
}

async function applyPlanned(
  revision: PassRevision,
  desired: LoadResult,
  deps: PassDeps,
  log: Logger,
  refresh: Refresh,
  writing: WritingLog,
): Promise<{ plan: Plan; results: StepResult[] }> {
  const { clock, signal, settings, tracker } = deps;
  const paste = pasteOf(revision);
  const outcome = await applyOnce(
    {
      kind: 'manifests',
      desired,
      planOptions: { ...settings.planOptions(Math.floor(clock.now() / 1000)), ...(paste ? { paste } : {}) },
      lookElsewhere: lookElsewhere(revision, settings, writing),
    },
    {
      client: deps.client,
      store: deps.store,
      clock,
      signal,
      lockTimeoutMs: settings.lockTimeoutMs,
      // A directory store's lock held by an apply beside the controller: the pass waits for it.
      waitingForLock: (holder) => log.info({ holder: describeHolder(holder) }, 'waiting for the state lock'),
      // What `apply` and the state commands say of a lock dead processes left (docs/state.md: a
      // takeover is announced); the controller took them over in silence.
      ...lockLeftLog(log),
      ...(paste ? { paste } : {}),
      appliedBy: 'controller',
      refreshWay: CONTROLLER_REFRESH_WAY,
      refresh: refresh !== false,
      ...(refresh === false ? {} : { sandboxRefreshFailed: refresh.sandboxFailed }),
      // One sandbox's refused secret holds its own steps (named on /status), not the others'.
      sandboxTokenRefused: ({ sandbox, error }) =>
        log.warn({ code: error.code, sandbox, err: error.message }, TOKEN_HOLD_LOG[tokenHoldOf(error)]),
      revision: applyRevision(revision, deps),
      // With the roots, recorded with the marks as `apply` records its clone's (rootOf), or
      // that the fetch is shallow (--git-depth), which its marks then say.
      ...rootOf(revision, settings),
      ...(revision.shallow ? { shallow: true } : {}),
      ...(settings.bulkBatchSize === undefined ? {} : { bulkBatchSize: settings.bulkBatchSize }),
      operationPoll: settings.operationPoll,
      runPoll: settings.runPoll,
      review: async (plan, resumed, _toDrop, records) => {
        for (const note of resumed) log.info({ note }, 'resumed interrupted work');
        const held = tracker.hold(plan, clock.now());
        if (held > 0) log.info({ held }, 'steps held back by backoff');
        // Planned from records kept since an earlier pass: those its steps touch are confirmed
        // before anything is done, so that one changed outside the store meanwhile is not acted
        // on as it was (a spoiled one fails the pass here: run-corrupt-between-passes).
        const touched = touchedRecords(plan, records);
        if (touched.ids.length > 0 && (await deps.confirmRecords?.(touched)) === true)
          throw new RecordsMovedError();
        // The audiences as their records say, for a pass that fails before it reads them again
        // and has no list of an earlier pass to show (StatusBoard.passFinished).
        const recorded = tracker.states(records, { ...plan, steps: [], held: [] }, undefined, clock.now());
        publishPlan(deps, revision.revision, plan, new Date(clock.now()), recorded);
        // Auto-approve: the controller is the reviewer. Stopping: nothing new starts.
        return !signal.aborted;
      },
      onDropped: (dropped) => {
        for (const note of dropped) log.info({ note }, 'dropped a spent runs-only record');
      },
      // Each finished step told to the board too: a pass that fails after some still says them.
      progress: (plan) =>
        daemonProgress(plan, log, deps.metrics, (result) => deps.board.stepFinished(result)),
    },
  );
  return { plan: outcome.plan, results: outcome.report?.results ?? [] };
}

/**
 * Dry-run: plan against the recorded state (read back from the service when refreshing)
 * and publish it. No lock, no write, no API call but the refresh's reads.
 */
export async function planDesired(
  revision: PassRevision,
  desired: LoadResult,
  deps: PassDeps,
  refresh: Refresh,
  writing: WritingLog,
): Promise<{ plan: Plan; records: AudienceRecord[] }> {
  const recorded = await deps.store.readAll();
  const paste = pasteOf(revision);
  const options = {
    ...deps.settings.planOptions(Math.floor(deps.clock.now() / 1000)),
    ...(paste ? { paste } : {}),
    ...rootOf(revision, deps.settings),
  };
  const live = await readLive(desired, recorded, options, deps.client, {
    refresh: refresh !== false,
    ...(refresh === false ? {} : { sandboxFailed: refresh.sandboxFailed }),
    batchSize: deps.settings.bulkBatchSize,
    signal: deps.signal,
    now: deps.clock.now(),
    followRuns: true,
  });
  // Dry-run asks nothing of AEP to learn its clock: what earlier answers showed, if recent.
  const plan = await planHoldingElsewhere(
    (elsewhere) =>
      makePlan(desired, recorded, {
        ...options,
        ...live,
        clockOffset: measuredOffset(deps.client),
        elsewhere,
      }),
    recorded,
    lookElsewhere(revision, deps.settings, writing),
    { repository: options.repository, sourceRoot: options.sourceRoot },
  );
  publishPlan(deps, revision.revision, plan, new Date(deps.clock.now()));
  return { plan, records: recorded.audiences };
}

export function recordBudget(deps: PassDeps, records: readonly AudienceRecord[], desired: LoadResult): void {
  const options = deps.settings.planOptions(Math.floor(deps.clock.now() / 1000));
  const perDay = (options.runBudget ?? DEFAULT_RUN_BUDGET).perSandboxPerDay;
  // The sandboxes of its manifests and of its records (one whose file has errors is held, still
  // there): with neither, a sandbox is no longer the controller's.
  const sandboxes = new Set([...desired.manifests.map((m) => m.sandbox), ...records.map((r) => r.sandbox)]);
  // Runs' createdAt are AEP's: the last 24 h are counted in its clock when it is measured off ours.
  const now = Math.floor(deps.clock.now() / 1000) + serviceShift(deps.client);
  const left = runBudgetLeft(records, sandboxes, perDay, now);
  // Replaced whole: set alone, the series of a sandbox whose last manifest was removed kept its
  // last value for as long as the controller ran, where Prometheus users expect it to go.
  deps.metrics.runBudgetRemaining.reset();
  for (const [sandbox, runs] of left) deps.metrics.runBudgetRemaining.set({ sandbox }, runs);
}

/** The log lines of a directory store's lock left by dead processes, as a pass takes it (ApplyFlow). */
function lockLeftLog(
  log: Logger,
): Pick<ApplyFlow, 'watchingLock' | 'guardLeft' | 'tookOverLock' | 'endedLockWrites'> {
  return {
    watchingLock: (holder, watchMs, ageMs) =>
      log.info(
        { holder: describeHolder(holder), watchMs, notRefreshedMs: ageMs },
        'the state lock looks abandoned: watching it before taking it over',
      ),
    guardLeft: (guard) => {
      if (guard.kind === 'removed')
        log.warn(
          { guard: guard.file, maker: describeHolder(guard.holder) },
          'removed a takeover guard left by a killed locker',
        );
      else
        log.info(
          {
            guard: guard.file,
            maker:
              guard.holder === undefined
                ? 'not named (an earlier release, or unreadable)'
                : describeHolder(guard.holder),
            waitMs: guard.waitMs,
          },
          'waiting for a takeover guard to go (left by a killed locker, or about to be removed)',
        );
    },
    tookOverLock: (took) =>
      log.warn(
        { holder: describeHolder(took.holder), reason: describeStale(took.reason, took.watchedMs) },
        'took over a stale state lock',
      ),
    endedLockWrites: (sessions) => {
      for (const session of sessions)
        log.warn({ session }, 'ended an open write of a previous holder of the state lock');
    },
  };
}
