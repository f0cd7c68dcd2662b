import { sourceRootOf } from '../../manifest/read-source-root.js';
import {
  knownRoots,
  readWorkTreeRoots,
  workTreeRemotes,
  type RootsRead,
} from '../../source/work-tree-repository.js';
import type { CloneRemotes } from '../../plan/clone-repository.js';
import { measuredOffset, serviceShift } from '../../apply/service-time.js';
import { skewNote } from '../../plan/clock.js';
import { setMaxListeners } from 'node:events';
import { stat } from 'node:fs/promises';
import { Command, Option } from 'commander';
import { applyOnce, type ApplyInput } from '../../apply/apply-flow.js';
import {
  assertSavedPlanDeletions,
  assertSavedPlanFlags,
  originOf,
  savedNeverDeleteNote,
  type GivenPlanFlags,
} from '../../apply/saved-plan.js';
import { DEFAULT_OPERATION_POLL, DEFAULT_RUN_POLL, systemClock } from '../../apply/clock.js';
import { plainProgress, ttyProgress } from '../../apply/progress.js';
import type { ApplyReport, PollSchedule } from '../../apply/types.js';
import { UsageError } from '../../errors.js';
import {
  describeEndedWrite,
  describeHolder,
  describeTakeover,
  describeWatch,
  describeGuardLeft,
} from '../../state/lock-holder.js';
import {
  actionableSteps,
  confirmQuestion,
  readSavedPlan,
  stoppedNote,
  summary,
  targetLine,
} from '../apply-review.js';
import { isSmartTerminal, useColor } from '../color.js';
import { resolveTarget, type ConnectFlags } from '../connect.js';
import { applyExitCode, ExitCode, planExitCode, type ApplyEnd } from '../exit-codes.js';
import { watchInterrupts } from '../interrupt.js';
import { addPlanOptions, planOptionsFrom, type PlanFlags } from '../plan-options.js';
import { confirm } from '../prompt.js';
import {
  addSourceOptions,
  assertDirectory,
  INCLUDE_HINT,
  loadDesiredDir,
  lookElsewhere,
  type SourceFlags,
} from '../source-options.js';
import { durationOption } from '../typed-options.js';
import { manifestSandboxOf } from '../manifest-sandbox.js';
import { renderPlan } from './plan.js';
import { applyRevision } from '../apply-revision.js';
import { locateState, openStoreFor } from '../state-options.js';
import { requireStateStore } from '../../state/presence.js';
import type { StateStore } from '../../state/store.js';
import { escapeText } from '../../text/safe-text.js';
import { shellQuote } from '../../text/shell-quote.js';
import {
  manifestsDirNote,
  manifestsDirWord,
  pastedFlags,
  withManifestsDir,
  withFilters,
  withSandbox,
  type PasteFlags,
} from '../../text/paste-flags.js';
import { pasteFlagsOf } from '../paste-flags.js';
import { assertSandboxesConfigured } from '../unconfigured-sandboxes.js';
import { assertEmulatorConfig } from '../emulator-config.js';
import type { Plan, PlanOrigin } from '../../plan/schema.js';
import { DEFAULT_RUN_BUDGET } from '../../plan/runs.js';

/** Durations in milliseconds. */
type Flags = SourceFlags &
  PlanFlags &
  ConnectFlags & {
    autoApprove?: boolean;
    lockTimeout: number;
    pollInterval: number;
    runWait: number;
    refresh?: boolean;
    allowOlderCheckout?: boolean;
  };

/**
 * The flags that make `plan` plan as `plan` made this saved plan: its scope, its guards and
 * run budget. A printed way on that left them out (only the scope, once) planned the
 * deletions a plan made with --max-deletes 0 held, and `apply --auto-approve` sent them
 * (review 21, H1). --refresh is the caller's: its view is the one to make again.
 * `pastedSandbox`: where the printed command, pasted, places manifests that name none without
 * `--sandbox` (pastedSandboxOf); the plan's sandbox is named unless it is that one.
 */
function plannedWithFlags(origin: PlanOrigin, pastedSandbox: string | undefined): string {
  const { options } = origin;
  const budget = options.runBudget ?? DEFAULT_RUN_BUDGET;
  return [
    ...(origin.include ?? []).map((glob) => ` --include ${shellQuote(glob)}`),
    ...(origin.exclude ?? []).map((glob) => ` --exclude ${shellQuote(glob)}`),
    ...(origin.sandbox === pastedSandbox ? [] : [` --sandbox ${shellQuote(origin.sandbox)}`]),
    ...(origin.maxFileBytes ? [` --max-file-bytes ${origin.maxFileBytes}`] : []),
    ...(options.maxDeletes === undefined ? [] : [` --max-deletes ${options.maxDeletes}`]),
    ...(options.allowMassDelete ? [' --allow-mass-delete'] : []),
    ...(options.allowEmptySource ? [' --allow-empty-source'] : []),
    ...(options.allowReplace ? [' --allow-replace'] : []),
    ...(options.allowMassRecreate ? [' --allow-mass-recreate'] : []),
    ...(options.adopt ? [' --adopt'] : []),
    ...(budget.perSandboxPerDay === DEFAULT_RUN_BUDGET.perSandboxPerDay
      ? []
      : [` --runs-per-day ${budget.perSandboxPerDay}`]),
    ...(budget.perAudiencePerDay === DEFAULT_RUN_BUDGET.perAudiencePerDay
      ? []
      : [` --runs-per-audience ${budget.perAudiencePerDay}`]),
  ].join('');
}

/**
 * The sandbox a command printed by this apply, pasted into the same shell, places manifests
 * that name none in without `--sandbox`: it reads the configuration file this one was given
 * (`--config`, carried; AUDIENCECTL_CONFIG, inherited) and AEP_SANDBOX. Unknown (undefined)
 * with --emulator: the printed apply reads no file, the printed plan does.
 */
async function pastedSandboxOf(flags: Flags): Promise<string | undefined> {
  if (flags.emulator) return undefined;
  return manifestSandboxOf({ config: flags.config });
}

/**
 * What the commands a saved plan's steps print carry: this apply's flags, the plan's directory
 * and filters, and its sandbox where the pasted command would place the manifests that name
 * none elsewhere.
 */
function savedStepPaste(
  paste: PasteFlags,
  origin: PlanOrigin,
  pastedSandbox: string | undefined,
): PasteFlags {
  const flags = withFilters(
    withManifestsDir({ state: paste.state, access: paste.access, emulator: paste.emulator }, origin.dir),
    origin,
  );
  return origin.sandbox === pastedSandbox ? flags : withSandbox(flags, origin.sandbox);
}

/** The way to a refresh from a saved plan, which is applied as planned (its view kept). */
function savedRefreshWay(
  plan: Plan,
  file: string,
  paste: PasteFlags,
  pastedSandbox: string | undefined,
): string {
  const origin = originOf(plan, file);
  const dir = shellQuote(origin.dir);
  const out = shellQuote(file);
  const planned = plannedWithFlags(origin, pastedSandbox);
  const [planFlags, applyFlags] = [pastedFlags(paste, 'plan'), pastedFlags(paste, 'apply')];
  return `plan again with --refresh and apply that plan (\`audiencectl plan ${dir}${planned} --refresh --output json --out ${out}${planFlags}\`, then \`audiencectl apply ${out}${applyFlags}\`), or run \`audiencectl apply ${dir}${planned} --refresh${applyFlags}\``;
}

/** The flags of `plan` typed on apply's command line (not their defaults, not the environment's). */
function givenPlanFlags(flags: Flags, invoked: Command): GivenPlanFlags {
  const keys = [
    'include',
    'exclude',
    'sandbox',
    'maxFileBytes',
    'allowReplace',
    'adopt',
    'allowMassDelete',
    'allowEmptySource',
    'allowMassRecreate',
    'runsPerDay',
    'runsPerAudience',
    'refresh',
  ] as const;
  const given: Record<string, unknown> = {};
  for (const key of keys) if (invoked.getOptionValueSource(key) === 'cli') given[key] = flags[key];
  return given;
}

/**
 * After an interrupted `apply plan.json`: the file is stale (the apply wrote the state), so the
 * way on is a new plan of the same directory and scope, applied; it picks up where this one stopped.
 */
function savedStoppedWay(
  plan: Plan,
  file: string,
  paste: PasteFlags,
  pastedSandbox: string | undefined,
): string {
  const origin = originOf(plan, file);
  const refresh = origin.options.refresh ? ' --refresh' : '';
  const out = shellQuote(file);
  const [planFlags, applyFlags] = [pastedFlags(paste, 'plan'), pastedFlags(paste, 'apply')];
  return `${file} cannot be applied again (the state moved on): plan again with the options it was made with (\`audiencectl plan ${shellQuote(origin.dir)}${plannedWithFlags(origin, pastedSandbox)}${refresh} --output json --out ${out}${planFlags}\`) and apply that plan (\`audiencectl apply ${out}${applyFlags}\`), which picks up where this one stopped`;
}

/** A saved plan, and the manifests read again from where it was made (checked under the lock). */
async function savedPlanInput(file: string, plan: Plan): Promise<ApplyInput> {
  const origin = originOf(plan, file);
  const flags: SourceFlags = {
    sandbox: origin.sandbox,
    ...(origin.include ? { include: origin.include } : {}),
    ...(origin.exclude ? { exclude: origin.exclude } : {}),
    ...(origin.maxFileBytes ? { maxFileBytes: origin.maxFileBytes } : {}),
  };
  const read = await loadDesiredDir(origin.dir, flags).catch((cause: unknown) => {
    throw new UsageError(
      'PLAN_SOURCE_GONE',
      `${file} was made from the manifests in ${origin.dir}, which cannot be read here: ${(cause as Error).message}`,
      { cause },
    );
  });
  // The directory as the plan recorded it: applied where .git is gone (an unpacked artifact), the
  // records of that directory are still its own, not ones of a work tree it cannot see.
  const planned = plan.origin?.options.sourceRoot;
  return {
    kind: 'saved',
    plan,
    source: file,
    desired: read.loaded,
    lookElsewhere: lookElsewhere(origin.dir, flags, {
      unread: read.unread,
      ...(planned === undefined ? {} : { sourceRoot: planned }),
    }),
  };
}

/**
 * An apply of a directory: its manifests, and the files its listing left out, handed to the
 * search of removed records' manifests (no second walk of the directory).
 */
async function manifestsInput(target: string, flags: Flags, paste: PasteFlags): Promise<ApplyInput> {
  const read = await loadDesiredDir(target, flags);
  return {
    kind: 'manifests',
    desired: read.loaded,
    planOptions: { ...planOptionsFrom(flags, Math.floor(Date.now() / 1000)), paste },
    lookElsewhere: lookElsewhere(target, flags, { unread: read.unread }),
  };
}

/**
 * The directory the apply records with the files it writes (sourceRoot), and their repository:
 * a saved plan's as it was planned, which the plan it shows was made again with (a plan made in a
 * git checkout and applied where its `.git` is gone recorded an absolute path instead, and no
 * repository); else the directory's, and its clone's other remotes (the apply decides under
 * the lock which repository it is of: plan/clone-repository.ts); and the clone's root commits,
 * recorded with the sandboxes' marks (SandboxMark.roots).
 */
async function appliedRoot(
  input: ApplyInput,
  dir: string | undefined,
  store: Pick<StateStore, 'meta'>,
): Promise<{
  sourceRoot?: string;
  repository?: string;
  remotes?: CloneRemotes;
  roots?: string[];
  shallow?: boolean;
}> {
  const saved = input.kind === 'saved' ? input.plan.origin?.options : undefined;
  const here = dir === undefined ? {} : { sourceRoot: sourceRootOf(dir) };
  // The roots matter only with a repository to record; those its mark recorded spare git the
  // walk of the whole history (rootCommits). The marks are read again under the lock: a meta
  // that cannot be read here only costs the walk.
  const rootsOf = async (at: string, repository: string) =>
    readWorkTreeRoots(at, knownRoots((await store.meta().catch(() => undefined))?.revisions, repository));
  if (saved === undefined) {
    if (dir === undefined) return here;
    const remotes = await workTreeRemotes(dir);
    const { repository } = remotes;
    if (repository === undefined) return here;
    return { ...here, repository, remotes, ...rootsField(await rootsOf(dir, repository)) };
  }
  const { sourceRoot, repository } = saved;
  // The saved plan's commit is checked in its directory's clone (originOf): its roots are that clone's.
  const roots = repository === undefined || dir === undefined ? undefined : await rootsOf(dir, repository);
  return {
    ...(sourceRoot === undefined ? here : { sourceRoot }),
    ...(repository === undefined ? {} : { repository, ...rootsField(roots) }),
  };
}

/**
 * The root commits of a clone as a field of the apply's flow: none when unknown; or that its
 * history is shallow, which the marks then say (SandboxMark.shallow).
 */
function rootsField(read: RootsRead | undefined): { roots?: string[]; shallow?: boolean } {
  if (read?.kind === 'roots') return { roots: read.roots };
  return read?.kind === 'shallow' ? { shallow: true } : {};
}

/** `30 s`, `1.5 s`: how long --lock-timeout lets apply wait. */
function formatSeconds(ms: number): string {
  return `${Number((ms / 1000).toFixed(1))} s`;
}

function schedule(base: PollSchedule, firstMs: number, timeoutMs?: number): PollSchedule {
  return {
    ...base,
    firstMs,
    maxMs: Math.max(firstMs, base.maxMs),
    ...(timeoutMs === undefined ? {} : { timeoutMs }),
  };
}

export function applyCommand(setExit: (code: number) => void): Command {
  const command = new Command('apply')
    .description('Plan, confirm, then make the API calls that bring the audiences in line with the manifests')
    .argument(
      '[target]',
      'directory of manifests, or a plan saved with `plan --output json --out plan.json`',
      '.',
    )
    .option('--auto-approve', 'apply without asking (required when not on a terminal)')
    .addOption(
      new Option('--config <file>', 'AEP configuration file (YAML or JSON)').env('AUDIENCECTL_CONFIG'),
    )
    .option('--emulator', 'start the embedded emulator and apply to it (demo credentials)')
    .option(
      '--refresh',
      'read the recorded audiences back from AEP first and correct what changed outside audiencectl',
    )
    .option(
      '--allow-older-checkout',
      'apply even when it undoes what was applied from a commit this checkout does not contain',
    )
    .addOption(
      durationOption(
        '--lock-timeout <duration>',
        'wait this long for another apply to finish (30s, 5m; a plain number is seconds)',
        's',
      ).default('0'),
    )
    .addOption(
      durationOption(
        '--poll-interval <duration>',
        'first wait before polling an operation or run (500ms, 2s; a plain number is ms)',
        'ms',
        { positive: true },
      )
        .env('AUDIENCECTL_POLL_INTERVAL_MS')
        .default(String(DEFAULT_OPERATION_POLL.firstMs)),
    )
    .addOption(
      durationOption(
        '--run-wait <duration>',
        'follow started runs this long (10m, 1h; a plain number is seconds)',
        's',
      ).default(`${DEFAULT_RUN_POLL.timeoutMs / 60_000}m`),
    )
    .addHelpText(
      'after',
      [
        '',
        'Exit codes: 0 everything applied (or nothing to do), 1 a step failed, an interrupted call could',
        'not be settled (its intent kept for the next apply), errors, or the prompt was declined,',
        '3 some steps blocked (by a guard, or the service refused a duplicate) and none failed.',
        '',
        'In a git work tree, apply records the commit of HEAD with what it applies (and marks each',
        'sandbox it plans with it, even when nothing changes there), and refuses (exit 1, before any',
        'call) to PATCH back or delete what was applied from a commit HEAD does not contain, or to',
        'create, PATCH back or delete in a sandbox last applied from one (an older checkout, a',
        'diverged branch): pull the newer commit, or pass --allow-older-checkout.',
        '',
        'Examples:',
        '  audiencectl apply audiences/ --state .audiencectl-state',
        '  audiencectl apply audiences/ --auto-approve --config audiencectl.yaml',
        '  audiencectl plan audiences/ --output json --out plan.json && audiencectl apply plan.json --auto-approve',
        '  audiencectl apply examples/audiences --emulator --state "$(mktemp -d)" --auto-approve',
      ].join('\n'),
    );
  addPlanOptions(addSourceOptions(command)).action(async (target: string, flags: Flags, invoked: Command) => {
    const say = (text: string) => process.stderr.write(`${escapeText(text, { keepLineBreaks: true })}\n`);
    // Everything the user gave is checked before anything runs: flags (already), the target
    // (a missing or misnamed file needs no credentials to tell: checked after them, `apply
    // plan.out` without them blamed them, and setting them only led to this error), a saved
    // plan's content, the terminal, the AEP configuration, the store, then the manifests.
    await assertEmulatorConfig(invoked, flags);
    // The commands its messages print carry the --state and --config given here.
    const paste = pasteFlagsOf(invoked);
    const found = await stat(target).catch(() => undefined);
    if (!found && target.endsWith('.json'))
      throw new UsageError(
        'NO_PLAN_FILE',
        `${target} does not exist: save a plan with \`audiencectl plan ${manifestsDirWord(undefined)} --output json --out ${shellQuote(target)}${pastedFlags(paste, 'plan')}\`${manifestsDirNote(undefined)}, or give the directory of the manifests`,
      );
    const isPlanFile = target.endsWith('.json') && found?.isFile() === true;
    // A file that is no manifest: a saved plan named otherwise (`--out plan.out`) is not one.
    if (!isPlanFile && found?.isFile() === true && !/\.ya?ml$/i.test(target))
      throw new UsageError(
        'NO_SOURCE_DIR',
        `${target} is not a directory: give the directory of the manifests, or a plan saved with \`plan --output json --out\` under a name ending in .json (apply takes a file as a saved plan only by that suffix)`,
      );
    if (!isPlanFile) assertDirectory(target, INCLUDE_HINT);
    // A saved plan's own problem (not JSON, and where; not a plan) is the user's first: read
    // before the terminal, the credentials and the store are looked at (they were named first,
    // and fixing them only led to it). Reading it changes nothing.
    const saved = isPlanFile ? await readSavedPlan(target) : undefined;
    if (!flags.autoApprove && !process.stdin.isTTY) {
      throw new UsageError(
        'APPROVAL_NEEDED',
        'apply asks for confirmation on a terminal; pass --auto-approve to apply without one',
      );
    }
    const aep = await resolveTarget(flags, (warning) => say(`Warning: ${warning}`));
    const { location: stateLocation, from: stateFrom } = await locateState(flags);
    await requireStateStore(stateLocation, paste, stateFrom);
    // Commands its messages print name the manifests directory as given.
    const pasted = isPlanFile ? paste : withManifestsDir(paste, target);
    // A saved plan is applied as it was planned: the guard given here only restricts it, and a
    // flag that would plan otherwise is refused, before its manifests are read.
    if (saved) {
      assertSavedPlanDeletions(saved, target, flags.maxDeletes, flags.allowMassDelete);
      assertSavedPlanFlags(saved, target, givenPlanFlags(flags, invoked));
    }
    const input: ApplyInput = saved
      ? await savedPlanInput(target, saved)
      : await manifestsInput(target, flags, pasted);
    // A saved plan names the directory it was made from (absolute).
    const origin = input.kind === 'saved' ? input.plan.origin : undefined;
    // Before any call: the first one for such a sandbox failed the whole apply, naming no file.
    await assertSandboxesConfigured(input.desired, flags, origin?.dir ?? target);
    const pastedSandbox = input.kind === 'saved' ? await pastedSandboxOf(flags) : undefined;
    const stepPaste = origin ? savedStepPaste(paste, origin, pastedSandbox) : pasted;
    const manifestsDir = input.kind === 'manifests' ? target : origin?.dir;
    if (input.kind === 'saved') {
      const never = savedNeverDeleteNote(input.plan, target, flags.maxDeletes);
      if (never) say(`Warning: ${never}`);
    }
    // Its end (in the finally below) removes the history a shallow clone's check fetched.
    const { revision, end: endRevision } = await applyRevision(input, target, flags, say);
    const store = await openStoreFor({ ...flags, paste });
    // The readings of the API page learned by earlier applies are kept in the state store.
    // A client that cannot be made (a bad proxy variable) closes the store it read them from:
    // a PostgreSQL store's session kept the process alive for the pool's idle time.
    const connection = await aep.open(undefined, store).catch(async (error: unknown) => {
      await store.close();
      throw error;
    });
    const interrupts = watchInterrupts((message) => say(`\n${message}`));
    // Every in-flight request and wait listens to these signals.
    setMaxListeners(0, interrupts.abort, interrupts.drain);
    const color = useColor(process.stdout);
    const write = (text: string) => process.stdout.write(text);
    let declined = false as boolean;
    // What settling wrote to the state before the prompt: recorded, whatever the answer.
    let settledBefore = 0;
    let clockWarned = false as boolean;
    /** The summary, then after a stop what was left and the way on (`why`: not an interrupt). */
    const reportEnd = (report: ApplyReport, why?: string) => {
      write(`\n${summary(report)}\n`);
      if (!report.stopped) return;
      const way =
        input.kind === 'saved' ? savedStoppedWay(input.plan, target, paste, pastedSandbox) : undefined;
      write(`${stoppedNote(report, way, why)}\n`);
    };
    try {
      const outcome = await applyOnce(input, {
        client: connection.client,
        store,
        clock: systemClock,
        signal: interrupts.abort,
        drain: interrupts.drain,
        refresh: flags.refresh === true,
        revision,
        ...(await appliedRoot(input, manifestsDir, store)),
        ...(input.kind === 'saved'
          ? { refreshWay: savedRefreshWay(input.plan, target, paste, pastedSandbox) }
          : {}),
        // A saved plan's refresh read was made by `plan`; a prompt may wait: read again before PATCHes and runs.
        refreshAged: input.kind === 'saved' || flags.autoApprove !== true,
        ...(aep.bulkBatchSize === undefined ? {} : { bulkBatchSize: aep.bulkBatchSize }),
        lockTimeoutMs: flags.lockTimeout,
        lockCommand: 'audiencectl apply',
        // Once a saved plan is accepted: a refusal before any call is said alone.
        beforeCalls: () => say(`Applying to ${connection.target}`),
        paste: stepPaste,
        waitingForLock: (holder) =>
          say(
            `Waiting up to ${formatSeconds(flags.lockTimeout)} for the state lock held by ${describeHolder(holder)}...`,
          ),
        watchingLock: (holder, watchMs, ageMs) => say(describeWatch(holder, watchMs, ageMs)),
        guardLeft: (guard) => say(describeGuardLeft(guard)),
        tookOverLock: (took) => say(describeTakeover(took)),
        endedLockWrites: (sessions) => {
          for (const session of sessions) say(describeEndedWrite(session));
        },
        clonedAs: (note) => say(`note: ${note}`),
        operationPoll: schedule(DEFAULT_OPERATION_POLL, flags.pollInterval),
        runPoll: schedule(DEFAULT_RUN_POLL, flags.pollInterval * 2, flags.runWait),
        review: async (plan, resumed, toDrop) => {
          settledBefore = resumed.length;
          for (const note of resumed) write(`resumed: ${escapeText(note)}\n`);
          // Spent runs-only records: dropped only if the apply goes ahead (onDropped), none on "no".
          for (const note of toDrop) write(`to drop: ${escapeText(note)}\n`);
          if (plan.clock) {
            clockWarned = true;
            say(`Warning: ${plan.clock.note}`);
          }
          write(renderPlan(plan, 'text', color));
          if (interrupts.drain.aborted) return false;
          // No step: nothing to ask; the spent runs-only records listed above are dropped.
          if (plan.steps.length === 0) return true;
          const actionable = actionableSteps(plan);
          if (planExitCode(plan) === ExitCode.Error && !isPlanFile)
            write('\nSome manifests have errors: their audiences are held; the rest is applied.\n');
          // Only blocked and deferred steps: nothing to ask; they are reported, no call is made.
          if (actionable.length === 0) return true;
          const orgOf = (sandbox: string) => aep.orgOf(sandbox);
          if (flags.autoApprove) {
            // Not asked, still said: which org the pipeline's apply changes.
            write(`\n${targetLine(actionable, connection.target, orgOf)}\n`);
            return true;
          }
          const yes = await confirm(confirmQuestion(actionable, connection.target, orgOf));
          declined = !yes;
          return yes && !interrupts.drain.aborted;
        },
        onDropped: (dropped) => {
          for (const note of dropped) write(`dropped: ${escapeText(note)}\n`);
        },
        progress: (plan) => {
          const options = { clock: systemClock, color };
          return isSmartTerminal(process.stdout)
            ? ttyProgress(write, plan.steps.length, options)
            : plainProgress(write, options);
        },
        // Said as an interrupt's end is; the lost lock's one-line error follows (exit 1).
        lostLockDuringSteps: ({ report }) => reportEnd(report, 'the state lock was lost'),
      });
      let end: ApplyEnd = { kind: 'nothing' };
      if (outcome.report) {
        end = {
          kind: 'applied',
          counts: outcome.report.counts,
          stopped: outcome.report.stopped,
          applied: outcome.report.results
            .filter((result) => result.status === 'applied')
            .map((result) => result.step),
        };
        reportEnd(outcome.report);
      } else if (declined || interrupts.drain.aborted) {
        end = { kind: 'declined' };
        write(`\n${cancelledNote(settledBefore)}\n`);
      } else if (outcome.plan.steps.length > 0) write('\nNothing to apply now.\n');
      // A skew first seen after planning (the plan started no run, so measured nothing before).
      const offset = measuredOffset(connection.client);
      if (!clockWarned && offset !== undefined && serviceShift(connection.client) !== 0)
        say(`Warning: ${skewNote(offset)}`);
      setExit(applyExitCode(outcome.plan, end));
    } finally {
      interrupts.dispose();
      await endRevision();
      // The connection first: it finishes writing learned readings to the store.
      await connection.close();
      await store.close();
    }
  });
  return command;
}

/**
 * Said when no step is applied after the prompt. Settling a killed apply's intents before the
 * plan is written first, as it must be to plan: said, not hidden. Spent runs-only records are
 * dropped only once the apply goes ahead: declined, they are kept.
 */
function cancelledNote(settledBefore: number): string {
  if (settledBefore === 0) return 'Apply cancelled; nothing was changed.';
  const lines = settledBefore === 1 ? 'the line' : `the ${settledBefore} lines`;
  return `Apply cancelled; no step was applied. The state keeps what was settled before the plan (${lines} above).`;
}
