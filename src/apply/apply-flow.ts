import { stepsRoot } from '../manifest/source-root.js';
import { setMaxListeners } from 'node:events';
import type { LoadResult } from '../manifest/load.js';
import { plan as makePlan, type PlanOptions } from '../plan/plan.js';
import { retimeSavedPlan } from '../plan/retime.js';
import type { ManifestElsewhere } from '../plan/elsewhere.js';
import type { Plan } from '../plan/schema.js';
import { cloneRepository, type CloneRemotes } from '../plan/clone-repository.js';
import type { GuardLeft, LockInfo } from '../state/lock.js';
import type { LockHolder } from '../state/lock-holder.js';
import type { StateStore } from '../state/store.js';
import { executePlan } from './executor.js';
import { readLive } from './live.js';
import type { RefreshOptions } from './refresh.js';
import type { RefusedSandbox } from './hold-refused-sandboxes.js';
import { authenticateFor } from './step-tokens.js';
import { recordRunsRead } from './left-runs.js';
import { dropRemnants, spentRemnantNote, spentRemnants } from './remnants.js';
import { resumeIntents } from './resume.js';
import { eitherSignal } from './poll.js';
import { planWithServiceClock } from './service-time.js';
import {
  planHoldingElsewhere,
  savedPlanElsewhere,
  type LookElsewhere,
  type PlannedAt,
} from './held-elsewhere.js';
import { originOf, savedPlanAsApplied, stateDigest } from './saved-plan.js';
import {
  checkoutCheck,
  plainMark,
  recordedRevision,
  type ApplyRevision,
  type CheckoutCheck,
} from './checkout-guard.js';
import type { ApplyReport, ExecutorDeps, ProgressSink } from './types.js';
import type { AppliedRevision, AudienceRecord, RecordedState, SandboxMark } from '../state/schema.js';

export type ApplyInput = (
  | { kind: 'manifests'; desired: LoadResult; planOptions: PlanOptions }
  /** A saved plan, with the manifests read again from where it says it was made. */
  | { kind: 'saved'; plan: Plan; source: string; desired: LoadResult }
) & {
  /**
   * Looks where the manifests were not read (outside --include/--exclude, above the directory)
   * for those of records the plan would remove: such removals are held. None: not looked.
   */
  lookElsewhere?: LookElsewhere | undefined;
};

export type ApplyFlow = Omit<ExecutorDeps, 'progress' | 'store' | 'revision'> & {
  store: StateStore;
  lockTimeoutMs: number;
  /** Named in the lock, for whoever finds the store locked (`audiencectl apply`). */
  lockCommand?: string;
  /** Told once when another holds the lock and this apply starts waiting for it (lockTimeoutMs > 0). */
  waitingForLock?: (holder: LockHolder | undefined) => void;
  /** Told once when the lock looks abandoned and is watched before a takeover, even past lockTimeoutMs. */
  watchingLock?: (holder: LockHolder | undefined, watchMs: number, ageMs: number) => void;
  /** Told when a takeover guard a killed locker left holds the lock up: removed at once, or waited for. */
  guardLeft?: (guard: GuardLeft) => void;
  /** Told when a stale lock was taken over (docs/state.md: it is announced). */
  tookOverLock?: (tookOver: NonNullable<LockInfo['tookOver']>) => void;
  /** Told of the sessions of a previous holder's writes a PostgreSQL takeover ended (it is announced). */
  endedLockWrites?: (sessions: string[]) => void;
  /**
   * Shows the plan; resolves false to apply nothing. `resumed`: what settling a killed apply's
   * intents wrote before the plan, already in the state whatever the answer. `toDrop`: the spent
   * runs-only records (spentRemnantNote) the plan was made without, dropped only if it resolves true,
   * steps or none (onDropped). `recorded`: the records the plan was made from.
   */
  review: (
    plan: Plan,
    resumed: string[],
    toDrop: readonly string[],
    recorded: readonly AudienceRecord[],
  ) => Promise<boolean>;
  /**
   * Told once what is checked before any call passed (a saved plan accepted, the checkout's
   * commit order), just before the first call to AEP: the CLI says where it applies then, not
   * above a refusal that called nothing (its log read as if the apply had started).
   */
  beforeCalls?: () => void;
  /** Told once the spent runs-only records were dropped, after review and before any step. */
  onDropped?: (dropped: readonly string[]) => void;
  progress: (plan: Plan) => ProgressSink;
  /**
   * Told, just before the lost lock is thrown, of what the steps did when the lock was lost
   * while they ran (the report, stopped): the caller says it, as after an interrupt.
   */
  lostLockDuringSteps?: (outcome: ApplyOutcome & { report: ApplyReport }) => void;
  /**
   * Read the recorded audiences back from the service (bulk-get, `bulkBatchSize` a batch)
   * under the lock, before planning, and plan from what is there (`--refresh`).
   */
  refresh?: boolean;
  /**
   * With `refresh`: told of each sandbox whose read failed, whose audiences are then planned
   * from their records alone (RefreshOptions.sandboxFailed). Absent: the first fails the apply.
   */
  sandboxRefreshFailed?: RefreshOptions['sandboxFailed'];
  /**
   * Told of each sandbox whose token IMS refused before any step: its steps are then held
   * (blocked, naming the refusal) and the other sandboxes' applied; only when every sandbox was
   * refused does the apply fail. Absent: the first refusal fails the apply (the CLI's way).
   */
  sandboxTokenRefused?: (refused: RefusedSandbox) => void;
  /**
   * The git commit of the manifests: recorded with every spec applied, and (`guard`) checked
   * against the records' commits before any call. Default `none`: nothing recorded or checked.
   */
  revision?: ApplyRevision;
  /**
   * The other remotes of the clone the manifests are read from (workTreeRemotes): under the lock,
   * the store decides which repository the apply is of (cloneRepository), in place of `repository`.
   */
  remotes?: CloneRemotes;
  /** Told when the apply is of the repository another remote names (cloneRepository's note). */
  clonedAs?: (note: string) => void;
  /**
   * The root commits of the clone's history (work-tree-repository.ts, rootCommits), recorded with
   * the sandboxes' marks: a repository whose path differs from this one's by a prefix is another
   * when its mark's roots share none (sameMarkRepository). Absent when unknown (a shallow clone).
   */
  roots?: readonly string[];
  /**
   * The clone's history is shallow (a shallow clone, a controller's --git-depth fetch): why it
   * has no roots, said in the marks (SandboxMark.shallow).
   */
  shallow?: boolean;
  /**
   * The clone's own repository when the apply is of the one another remote names (set by
   * withCloneRepository): a removal its history does not show is then held (PlannedAt).
   */
  origin?: string;
};

export type ApplyOutcome = { plan: Plan; report: ApplyReport | undefined };

export { StalePlanError } from './saved-plan.js';

/**
 * One apply: take the lock (refused for a store of another org), check a saved plan
 * (before any call to AEP: a plan that will be refused changes nothing), settle what a
 * killed apply left, plan, let the caller review it, execute, release the lock.
 */
export async function applyOnce(input: ApplyInput, flow: ApplyFlow): Promise<ApplyOutcome> {
  const { store, client } = flow;
  // The lock refuses a store of another org; the first write to a sandbox binds it to this one.
  store.useOrgs((sandbox) => client.orgOf(sandbox));
  const lock = await store.lock({
    timeoutMs: flow.lockTimeoutMs,
    ...(flow.lockCommand === undefined ? {} : { command: flow.lockCommand }),
    ...(flow.waitingForLock === undefined ? {} : { onWait: flow.waitingForLock }),
    ...(flow.watchingLock === undefined ? {} : { onWatch: flow.watchingLock }),
    ...(flow.guardLeft === undefined ? {} : { onGuard: flow.guardLeft }),
    // A stop (the controller's, Ctrl-C's drain) ends a wait for another holder: nothing has started.
    signal: eitherSignal(flow.signal, flow.drain),
  });
  if (lock.tookOver) flow.tookOverLock?.(lock.tookOver);
  if (lock.endedWrites) flow.endedLockWrites?.(lock.endedWrites);
  const loss = store.onLockLost ? watchLockLoss(store, flow.signal) : undefined;
  try {
    const ofRepository = await withCloneRepository(flow);
    const outcome = await applyLocked(input, loss ? { ...ofRepository, signal: loss.signal } : ofRepository);
    if (loss?.error) {
      const { report } = outcome;
      if (report) flow.lostLockDuringSteps?.({ ...outcome, report });
      throw loss.error;
    }
    return outcome;
  } catch (error) {
    throw loss?.error ?? error;
  } finally {
    await store.unlock();
  }
}

/**
 * A lost lock (a shared store's session ended) stops the apply at once, as a second
 * Ctrl-C does: another process may hold the lock now, so no call in flight, wait or step
 * goes on; the writes would be refused anyway. The loss is the apply's error.
 */
function watchLockLoss(
  store: StateStore,
  signal: AbortSignal | undefined,
): { signal: AbortSignal; readonly error: Error | undefined } {
  const stop = new AbortController();
  let error: Error | undefined;
  store.onLockLost?.((lost) => {
    error = lost;
    stop.abort(lost);
  });
  const either = signal ? AbortSignal.any([signal, stop.signal]) : stop.signal;
  // Every call in flight and every wait listens to it (the CLI's own signals have no limit either).
  setMaxListeners(0, either);
  return {
    signal: either,
    get error() {
      return error;
    },
  };
}

/**
 * `flow` with the repository its clone's records and marks are those of (cloneRepository): the
 * store is read for it only when the clone has another remote naming a repository.
 */
async function withCloneRepository(flow: ApplyFlow): Promise<ApplyFlow> {
  const { remotes } = flow;
  if (remotes === undefined || remotes.others.length === 0) return flow;
  const cloned = cloneRepository(remotes, await flow.store.readAll());
  if (cloned.note !== undefined) flow.clonedAs?.(cloned.note);
  return {
    ...flow,
    repository: cloned.repository,
    ...(cloned.origin === undefined ? {} : { origin: cloned.origin }),
  };
}

/** What the search for manifests elsewhere is told of the apply's plan (held-elsewhere.ts PlannedAt). */
function plannedAt(flow: ApplyFlow): PlannedAt {
  return { repository: flow.repository, origin: flow.origin, sourceRoot: flow.sourceRoot };
}

/** An apply's plan options: its records get the directory (and repository) the manifests are read from. */
function rootedOptions(options: PlanOptions, flow: ApplyFlow): PlanOptions {
  return {
    ...options,
    ...(flow.sourceRoot === undefined ? {} : { sourceRoot: flow.sourceRoot }),
    ...(flow.repository === undefined ? {} : { repository: flow.repository }),
    // Tell a repository whose path differs by a prefix from this one by its history (other-histories.ts).
    ...(flow.roots === undefined ? {} : { roots: flow.roots }),
  };
}

/**
 * Refuses, before any call, a plan that would undo what was applied from a commit this
 * checkout does not contain: a saved plan's steps as they are, the manifests' as planned
 * from the records before anything is settled (checked again once the plan is final).
 */
async function checkBeforeCalls(
  input: ApplyInput,
  flow: ApplyFlow,
  order: CheckoutCheck,
): Promise<readonly ManifestElsewhere[] | undefined> {
  // Without a commit to check against, a manifests apply reads nothing more here.
  if (input.kind === 'manifests' && !order.active) return undefined;
  const recorded = await flow.store.readAll();
  if (input.kind === 'saved') {
    const elsewhere = await savedPlanElsewhere(
      input.plan,
      recorded,
      input.lookElsewhere,
      input.desired,
      plannedAt(flow),
    );
    // Loaded for a saved plan only: its schema costs an apply of a directory (saved-plan-check.ts).
    const { checkSavedPlan } = await import('./saved-plan-check.js');
    checkSavedPlan(
      input.plan,
      input.source,
      input.desired,
      recorded,
      (sandbox) => flow.client.orgOf(sandbox),
      elsewhere,
      { location: flow.store.location, identity: await plannedStoreIdentity(input.plan, flow.store) },
    );
    await order.check(input.plan.steps, recorded);
    return elsewhere;
  }
  if (order.concerns(recorded)) {
    const first = await planHoldingElsewhere(
      (elsewhere) =>
        makePlan(input.desired, recorded, { ...rootedOptions(input.planOptions, flow), elsewhere }),
      recorded,
      input.lookElsewhere,
      plannedAt(flow),
    );
    await order.check(first.steps, recorded);
  }
  return undefined;
}

async function applyLocked(input: ApplyInput, flow: ApplyFlow): Promise<ApplyOutcome> {
  const { store } = flow;
  const revision = flow.revision ?? { kind: 'none' };
  const order = checkoutCheck(revision, flow.repository, flow.roots, flow.shallow);
  // A saved plan's: the manifests found where it did not read, that it was checked with.
  const checkedElsewhere = await checkBeforeCalls(input, flow, order);
  flow.beforeCalls?.();
  const resumed = await resumeIntents(store, flow.client, flow.clock, flow.signal, flow.paste);
  const settled = await store.readAll();
  // Planned as if already dropped (their runs count against no budget), dropped only once the
  // apply goes ahead: nothing is written before the confirmation but what planning needs.
  // AEP's clock is read (once) when runs-only records may be spent or a plan has runs: the first
  // Ctrl-C (the drain) ends that read too, as the apply then starts nothing and drops nothing.
  const clockSignal = eitherSignal(flow.signal, flow.drain);
  // Where a refused sandbox's steps are held (the controller), its refusal of the clock read is too.
  const clockRefused = flow.sandboxTokenRefused === undefined ? 'fail' : 'next-sandbox';
  const spent = await spentRemnants(settled.audiences, flow.client, flow.clock, clockSignal);
  const toDrop = spent.map(spentRemnantNote);
  const recorded =
    spent.length === 0
      ? settled
      : { ...settled, audiences: settled.audiences.filter((record) => !spent.includes(record)) };
  let plan: Plan;
  /** The records the plan was made from (with the runs read again, when it read them). */
  let planned = recorded;
  if (input.kind === 'saved') {
    const saved = input.plan;
    // Settling a killed apply's intents may have changed what the plan was checked against.
    // Looked for again only when settling changed the state (else the check has nothing to do).
    const elsewhere =
      stateDigest(recorded) === originOf(saved, input.source).stateDigest
        ? checkedElsewhere
        : await savedPlanElsewhere(saved, recorded, input.lookElsewhere, input.desired, plannedAt(flow));
    const { checkSettledPlan } = await import('./saved-plan-check.js');
    checkSettledPlan(saved, input.source, input.desired, recorded, { resumed, spent: toDrop }, elsewhere);
    // The plan made again, shown and executed: its summary and notes are the steps'.
    const shown = savedPlanAsApplied(saved, input.source, input.desired, recorded, elsewhere, flow.paste);
    const now = Math.floor(flow.clock.now() / 1000);
    plan = await planWithServiceClock(
      (offset) => (offset === undefined ? shown : retimeSavedPlan(shown, recorded, now, offset)),
      flow.client,
      clockSignal,
      clockRefused,
    );
  } else {
    const live = await readLive(input.desired, recorded, input.planOptions, flow.client, {
      refresh: flow.refresh ?? false,
      sandboxFailed: flow.sandboxRefreshFailed,
      batchSize: flow.bulkBatchSize,
      signal: flow.signal,
      now: flow.clock.now(),
      followRuns: true,
    });
    // The outcome of a run left in progress is kept, whatever the plan and the answer to it.
    const followed = await recordRunsRead(store, recorded, live.runsRead);
    planned = followed;
    const options = { ...rootedOptions(input.planOptions, flow), ...live };
    plan = await planHoldingElsewhere(
      (elsewhere) =>
        planWithServiceClock(
          (clockOffset) => makePlan(input.desired, followed, { ...options, clockOffset, elsewhere }),
          flow.client,
          clockSignal,
          clockRefused,
        ),
      followed,
      input.lookElsewhere,
      plannedAt(flow),
    );
  }
  // Settling or reading the service may have changed the steps: the final plan is checked too.
  await order.check(plan.steps, recorded);
  // Planned after resumeIntents tried every intent: one still pending is one it could not
  // settle, said as such (not as settled first by apply), and the apply exits 1 (review 24, L2).
  if ((plan.pending?.length ?? 0) > 0) plan = { ...plan, afterResume: true };
  const authenticated = await authenticateFor(plan, { ...flow, now: () => flow.clock.now() });
  plan = authenticated.plan;
  const go = await flow.review(plan, resumed, toDrop, planned.audiences);
  if (!go) return { plan, report: undefined };
  if (spent.length > 0) {
    const dropped = await dropRemnants(spent, store);
    flow.onDropped?.(dropped);
  }
  if (plan.steps.length === 0) {
    await markPlanned(input, order, store, recorded, flow, authenticated.refused);
    return { plan, report: undefined };
  }
  const progress = flow.progress(plan);
  const applied = recordedRevision(revision);
  // From here on each write marks its sandbox with this commit (StateMeta.revisions), with the
  // serial: the first is an intent, before that sandbox's first call; a step that writes
  // nothing marks nothing. Not before: settling a killed apply or refreshing applies no commit.
  // The mark each sandbox gets keeps the rollbacks that still matter, and a rollback of it
  // (--allow-older-checkout) is remembered, applied now (plan/rolled-back.ts).
  const marks = recorded.meta?.revisions ?? {};
  const rolledAt = new Date(flow.clock.now()).toISOString();
  const stepSandboxes = plan.steps.map((step) => step.sandbox);
  store.useRevision(markOf(applied, flow), await order.marksAfter(stepSandboxes, marks, rolledAt));
  let report: ApplyReport;
  try {
    // The steps' files are relative to the directory the records were applied from, which a
    // plan of a subdirectory of it says (appliedBelow).
    const sourceRoot = stepsRoot(flow.sourceRoot, plan.appliedBelow);
    const deps = { ...flow, progress, revision: applied, sourceRoot };
    report = await executePlan(plan, deps, resumed);
  } finally {
    store.useRevision(undefined);
    progress.close();
  }
  // A stopped apply did not get through its commit: the sandboxes its writes marked keep it.
  if (!report.stopped)
    await markPlanned(input, order, store, { meta: await store.meta() }, flow, authenticated.refused);
  return { plan, report };
}

/**
 * Marks with the apply's commit the sandboxes of the manifests it planned that its writes did
 * not mark (README, "How it stays safe"): a revert applied changes nothing, yet a branch cut
 * before it must not undo it. One meta write, and only when a mark moves: applied again at the
 * same commit, an in-sync repository writes nothing. A mark newer than this checkout stays. Not
 * the sandboxes whose steps were held for IMS's refusal (`refused`): nothing of the commit
 * reached them, and their mark still names the commit last applied there (review 39, L-1).
 */
async function markPlanned(
  input: ApplyInput,
  order: CheckoutCheck,
  store: StateStore,
  recorded: Pick<RecordedState, 'meta'>,
  flow: Pick<ApplyFlow, 'repository' | 'roots' | 'shallow' | 'clock'>,
  refused: ReadonlySet<string>,
): Promise<void> {
  const mark = markOf(order.head, flow);
  if (mark === undefined) return;
  const sandboxes = input.desired.manifests
    .map((manifest) => manifest.sandbox)
    .filter((sandbox) => !refused.has(sandbox));
  const marks = recorded.meta?.revisions ?? {};
  const moved = await order.marksToMove(sandboxes, marks);
  if (moved.length === 0) return;
  const rolledAt = new Date(flow.clock.now()).toISOString();
  await store.markRevision(moved, mark, await order.marksAfter(moved, marks, rolledAt));
}

/** The mark of an apply of `revision` from the flow's repository and roots (when known); none outside git. */
function markOf(
  revision: AppliedRevision | undefined,
  flow: Pick<ApplyFlow, 'repository' | 'roots' | 'shallow'>,
): SandboxMark | undefined {
  return revision === undefined ? undefined : plainMark(revision, flow.repository, flow.roots, flow.shallow);
}

/**
 * What the store says it is, asked only when a saved plan of a store never written recorded
 * what its store said (PlanOrigin.storeIdentity): one query, none otherwise. Unknown when the
 * store cannot say: the spelling alone decides then, as before.
 */
async function plannedStoreIdentity(plan: Plan, store: StateStore): Promise<string | undefined> {
  if (plan.state.lineage !== undefined || plan.origin?.storeIdentity === undefined) return undefined;
  return store.identity?.().catch(() => undefined);
}
