import { setMaxListeners } from 'node:events';
import { readFile, stat } from 'node:fs/promises';
import { createInterface } from 'node:readline/promises';
import { Command, Option } from 'commander';
import { applyOnce, type ApplyInput } from '../../apply/apply-flow.js';
import { originOf } from '../../apply/saved-plan.js';
import { DEFAULT_OPERATION_POLL, DEFAULT_RUN_POLL, systemClock } from '../../apply/clock.js';
import { plainProgress, ttyProgress } from '../../apply/progress.js';
import type { ApplyReport, PollSchedule } from '../../apply/types.js';
import { UsageError } from '../../errors.js';
import { hasErrors } from '../../manifest/diagnostics.js';
import { Plan } from '../../plan/schema.js';
import { connect, type ConnectFlags } from '../connect.js';
import { ExitCode, planExitCode } from '../exit-codes.js';
import { addPlanOptions, planOptionsFrom, type PlanFlags } from '../plan-options.js';
import { addSourceOptions, loadDesired, positiveInt, type SourceFlags } from '../source-options.js';
import { openStoreFor } from '../state-options.js';
import { renderPlan, useColor } from './plan.js';

type Flags = SourceFlags &
  PlanFlags &
  ConnectFlags & { autoApprove?: boolean; lockTimeout: number; pollInterval: number; runWait: number };

async function readSavedPlan(file: string): Promise<Plan> {
  let json: unknown;
  try {
    json = JSON.parse(await readFile(file, 'utf8'));
  } catch (cause) {
    throw new UsageError('PLAN_UNREADABLE', `${file} is not a plan saved with \`plan --output json --out\``, {
      cause,
    });
  }
  const parsed = Plan.safeParse(json);
  if (!parsed.success)
    throw new UsageError('PLAN_INVALID', `${file} is not a plan of this version (formatVersion 1)`);
  return parsed.data;
}

/** A saved plan, and the manifests read again from where it was made (checked under the lock). */
async function savedPlanInput(file: string): Promise<ApplyInput> {
  const plan = await readSavedPlan(file);
  const origin = originOf(plan, file);
  const flags: SourceFlags = {
    sandbox: origin.sandbox,
    ...(origin.include ? { include: origin.include } : {}),
    ...(origin.exclude ? { exclude: origin.exclude } : {}),
    ...(origin.maxFileBytes ? { maxFileBytes: origin.maxFileBytes } : {}),
  };
  const desired = await loadDesired(origin.dir, flags).catch((cause: unknown) => {
    throw new UsageError(
      'PLAN_SOURCE_GONE',
      `${file} was made from the manifests in ${origin.dir}, which cannot be read here: ${(cause as Error).message}`,
      { cause },
    );
  });
  return { kind: 'saved', plan, source: file, desired };
}

async function confirm(count: number): Promise<boolean> {
  const rl = createInterface({ input: process.stdin, output: process.stdout });
  try {
    const answer = await rl.question(`\nApply these ${count} step(s)? Only "yes" is accepted: `);
    return answer.trim() === 'yes';
  } finally {
    rl.close();
  }
}

function summary(report: ApplyReport): string {
  const c = report.counts;
  return `Apply: ${c.applied} applied, ${c.started} run(s) still running, ${c.failed} failed, ${c.blocked} blocked, ${c.deferred} deferred, ${c.skipped} skipped.`;
}

export function applyExitCode(plan: Plan, report: ApplyReport | undefined): number {
  if (!report) return hasErrors(plan.diagnostics) ? ExitCode.Error : ExitCode.Ok;
  if (report.counts.failed > 0 || report.counts.skipped > 0 || hasErrors(plan.diagnostics))
    return ExitCode.Error;
  return report.counts.blocked > 0 ? ExitCode.Blocked : ExitCode.Ok;
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
    .addOption(
      new Option('--lock-timeout <seconds>', 'wait this long for another apply to finish')
        .argParser(Number)
        .default(0),
    )
    .addOption(
      new Option('--poll-interval <ms>', 'first wait before polling an operation or run')
        .env('AUDIENCECTL_POLL_INTERVAL_MS')
        .argParser(positiveInt)
        .default(DEFAULT_OPERATION_POLL.firstMs),
    )
    .addOption(
      new Option('--run-wait <seconds>', 'follow started runs this long')
        .argParser(Number)
        .default(DEFAULT_RUN_POLL.timeoutMs / 1000),
    )
    .addHelpText(
      'after',
      [
        '',
        'Exit codes: 0 everything applied, 1 a step failed (or errors), 3 some steps blocked by a guard.',
        '',
        'Examples:',
        '  audiencectl apply audiences/ --state .audiencectl-state',
        '  audiencectl apply audiences/ --auto-approve --config audiencectl.yaml',
        '  audiencectl plan audiences/ --output json --out plan.json && audiencectl apply plan.json --auto-approve',
        '  audiencectl apply examples/audiences --emulator --state "$(mktemp -d)" --auto-approve',
      ].join('\n'),
    );
  addPlanOptions(addSourceOptions(command)).action(async (target: string, flags: Flags) => {
    const isPlanFile = target.endsWith('.json') && (await stat(target).catch(() => undefined))?.isFile();
    const input: ApplyInput = isPlanFile
      ? await savedPlanInput(target)
      : {
          kind: 'manifests',
          desired: await loadDesired(target, flags),
          planOptions: planOptionsFrom(flags, Math.floor(Date.now() / 1000)),
        };
    if (!flags.autoApprove && !process.stdin.isTTY) {
      throw new UsageError(
        'APPROVAL_NEEDED',
        'apply asks for confirmation on a terminal; pass --auto-approve to apply without one',
      );
    }
    const store = await openStoreFor(flags);
    const connection = await connect(flags);
    const controller = new AbortController();
    // Every in-flight request and wait listens to this one signal.
    setMaxListeners(0, controller.signal);
    const stop = () => controller.abort();
    process.once('SIGINT', stop).once('SIGTERM', stop);
    const color = useColor(process.stdout);
    const write = (text: string) => process.stdout.write(text);
    try {
      process.stderr.write(`Applying to ${connection.target}\n`);
      const outcome = await applyOnce(input, {
        client: connection.client,
        store,
        clock: systemClock,
        signal: controller.signal,
        lockTimeoutMs: flags.lockTimeout * 1000,
        operationPoll: schedule(DEFAULT_OPERATION_POLL, flags.pollInterval),
        runPoll: schedule(DEFAULT_RUN_POLL, flags.pollInterval * 2, flags.runWait * 1000),
        review: async (plan, resumed) => {
          for (const note of resumed) write(`resumed: ${note}\n`);
          write(renderPlan(plan, 'text', color));
          if (plan.steps.length === 0) return false;
          if (planExitCode(plan) === ExitCode.Error && !isPlanFile)
            write('\nSome manifests have errors: their audiences are held; the rest is applied.\n');
          return flags.autoApprove ? true : confirm(plan.steps.length);
        },
        progress: (plan) =>
          process.stdout.isTTY ? ttyProgress(write, plan.steps.length) : plainProgress(write),
      });
      if (outcome.report) write(`\n${summary(outcome.report)}\n`);
      else if (outcome.plan.steps.length > 0) write('\nApply cancelled; nothing was changed.\n');
      setExit(applyExitCode(outcome.plan, outcome.report));
    } finally {
      process.off('SIGINT', stop).off('SIGTERM', stop);
      await store.close();
      await connection.close();
    }
  });
  return command;
}
