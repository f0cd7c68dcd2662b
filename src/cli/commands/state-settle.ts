import { systemClock } from '../../apply/clock.js';
import {
  settleRunByHand,
  type NoneCheck,
  type SettleClaim,
  type SettledRun,
} from '../../apply/settle-run.js';
import { runReasonText } from '../../plan/run-reason-text.js';
import { UsageError } from '../../errors.js';
import { escapeText } from '../../text/safe-text.js';
import { assertValidId, recordId } from '../../state/record-id.js';
import { notFound, sandboxesWithKey } from '../../state/repair.js';
import type { ConnectFlags } from '../connect.js';
import { importConnection } from '../import-verify.js';
import { openExisting, out, sandboxOf } from './state-read.js';
import { withLock, type LockingOptions } from './state-repair.js';
import { stateCommandStop, type StateCommandStop } from '../state-interrupt.js';

// `audiencectl state settle-run <key> (--run-id <id> | --no-run)`: settles a run intent the
// runs list cannot (docs/state.md, Intents), keeping the record's runs, which `state forget`
// and `state import` would drop (they count in the sandbox's daily run budget).

/** `run` is false with `--no-run` (commander's negated flag). */
export type SettleOptions = LockingOptions &
  ConnectFlags & { runId?: string; run?: boolean; force?: boolean; request?: string };

/** What the flags say the person saw; a usage error unless exactly one of them is given. */
export function settleClaim(options: SettleOptions): SettleClaim {
  const noRun = options.run === false;
  if (options.runId !== undefined && noRun)
    throw new UsageError('BAD_FLAG', 'state settle-run takes --run-id <id> or --no-run, not both');
  if (noRun && options.request !== undefined)
    throw new UsageError('BAD_FLAG', 'state settle-run takes --request with --run-id only');
  if (noRun) return { kind: 'none', force: options.force === true };
  if (options.force === true)
    throw new UsageError('BAD_FLAG', 'state settle-run takes --force with --no-run only');
  if (options.runId === undefined)
    throw new UsageError(
      'BAD_FLAG',
      'state settle-run needs --run-id <id> (the run the request started, as AEP shows it) or --no-run (it started none)',
    );
  if (options.runId.trim() === '') throw new UsageError('BAD_FLAG', '--run-id must not be empty');
  if (options.request !== undefined && options.request === '')
    throw new UsageError('BAD_FLAG', '--request must not be empty');
  const request = options.request === undefined ? {} : { request: options.request };
  return { kind: 'run', runId: options.runId.trim(), ...request };
}

/** `audiencectl state settle-run <key>`, its signals watched from its start. */
export function settleRunCommand(key: string, options: SettleOptions): Promise<void> {
  return stateCommandStop(options, (stop, reading) => settleWatched(key, options, stop, reading));
}

async function settleWatched(
  key: string,
  options: SettleOptions,
  stop: StateCommandStop,
  reading: <R>(work: Promise<R>) => Promise<R>,
): Promise<void> {
  const claim = settleClaim(options);
  await reading(openExisting(options).then((store) => store.close()));
  const sandbox = sandboxOf(options);
  assertValidId(sandbox, key);
  // Opened before the lock, so that the store can refuse another org's credentials.
  const connection = await importConnection(options);
  const settled = await withLock(
    options,
    'settle-run',
    async (store, signal) => {
      const record = await store.get(sandbox, key);
      if (!record) {
        const elsewhere = (await sandboxesWithKey(store, key)).filter((s) => s !== sandbox);
        throw notFound(store.location, sandbox, key, elsewhere);
      }
      const service = connection && { client: connection.client, clock: systemClock, signal };
      return settleRunByHand(store, record, claim, service);
    },
    connection && ((name) => connection.client.orgOf(name)),
    stop,
  ).finally(() => connection?.close());
  report(settled);
}

function report(settled: SettledRun): void {
  if (settled.kind === 'untraced') {
    reportUntraced(settled);
    return;
  }
  const { intent, record } = settled;
  const id = recordId(record.sandbox, record.key);
  const what = runReasonText(intent.runReason);
  if (settled.kind === 'none') {
    out(`Settled ${id}: no run recorded; the run intent from ${intent.startedAt} (${what}) is cleared.`);
    out(`  - ${checkedNone(settled.check)}`);
    out(`The next apply starts ${what} if it is still due.`);
    return;
  }
  const { run, check } = settled;
  if (check.kind === 'listed-instead') {
    // The state is right (as the next apply would have made it), but the person's reading was not.
    // Escaped, as `out` escapes: the --run-id typed and the run id the service lists may hold
    // controls that would act on the terminal (ESC, a bidi override, a line separator).
    process.stderr.write(
      `${escapeText(`Warning: ${check.claimed} was not taken: the service's runs list shows run ${run.runId} as the run the request of ${intent.startedAt} started, and it is recorded.`)}\n`,
    );
  }
  out(
    `Settled ${id}: run ${run.runId} (${run.status}) is recorded as the run the request of ${intent.startedAt} started; the intent is cleared.`,
  );
  out(
    check.kind === 'verified'
      ? `  - Verified through the service: run ${run.runId} is a run of audience ${record.audienceId ?? '?'}.`
      : `  - Found through the service: its runs list shows run ${run.runId} as the run the request started, as an apply reads it.`,
  );
  const sent = intent.dataFilterStartTime;
  if (sent !== undefined && run.dataFilterStartTime !== sent) {
    out(
      `  - It started from dataFilterStartTime ${run.dataFilterStartTime}, not the ${sent} the request sent: recorded as named (the service moved the start it was sent).`,
    );
  }
  out(
    `  - it honours ${what} and counts in sandbox ${record.sandbox}'s daily run budget; the next apply starts no run for that request`,
  );
}

/** A run the record had no trace of, recorded (settleUntraced). */
function reportUntraced(settled: Extract<SettledRun, { kind: 'untraced' }>): void {
  const { run, record, request } = settled;
  const id = recordId(record.sandbox, record.key);
  const as =
    request === undefined
      ? `a run of audience ${record.audienceId ?? '?'}`
      : `the run of ingestion.request "${request}"`;
  out(`Settled ${id}: run ${run.runId} (${run.status}) is recorded as ${as}.`);
  out(
    `  - Checked through the service: audience ${record.audienceId ?? '?'}'s runs list shows it, and no run the record holds is newer.`,
  );
  out(
    request === undefined
      ? `  - It counts in sandbox ${record.sandbox}'s daily run budget, and the audience's next run is timed from it; a run the manifest still asks for is started by the next apply.`
      : `  - It honours ingestion.request "${request}" and counts in sandbox ${record.sandbox}'s daily run budget; the next apply starts no run for that request.`,
  );
}

/** What was checked of "no run". */
function checkedNone(check: NoneCheck): string {
  switch (check.kind) {
    case 'listed':
      return "Checked through the service: the audience's runs list shows no run the request started.";
    case 'no-audience':
      return 'The record has no audience id, so the request could start no run.';
    case 'unclear':
      return `The service's runs list cannot tell (${check.why}): taken as you said.`;
    case 'unchecked':
      return `Nothing was checked (${check.why}): taken as you said (--force).`;
  }
}
