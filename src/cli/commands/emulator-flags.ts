import type { EmulatorClient, EmulatorOptions, RetryAfterForm } from '../../emulator/index.js';
import { UsageError } from '../../errors.js';
import { BLANK_AROUND, readDuration } from '../../config/duration.js';
import { blankAround } from '../typed-options.js';
import { quoted } from '../../text/safe-text.js';

// The flags of `audiencectl emulator` (emulator.ts), read into the emulator's options.

export type Flags = {
  port: number;
  host: string;
  admin: boolean;
  dataDir?: string;
  storageRoot?: string;
  latencyMs: number;
  latencyJitterMs: number;
  rateLimit?: number;
  rateLimitBurst?: number;
  retryAfter: boolean;
  retryAfterForm: RetryAfterForm;
  operationDelayMs: number;
  runStageDelayMs: number;
  /** ms, as every duration flag. */
  tokenLifetime: number;
  fault500: number;
  fault502: number;
  faultSlow: number;
  slowMs: number;
  faultDrop: number;
  faultResponseLost: number;
  faultOperationFailure: number;
  faultRunFailure: number;
  faultSeed?: number;
  runsPerDay: number;
  runsPerDayWindow: 'day' | 'utc-day';
  runsPerAudience: number;
  runsPerAudienceWindow: 'day' | 'lifetime';
  audiencesPerSandbox: number;
  newerRules: boolean;
  operationsPath: 'plural' | 'singular' | 'both';
  sourceSpec: 'params' | 'flat' | 'both';
  runsListParams: 'accepted' | 'refused';
  patchFields: 'lenient' | 'labels-only';
  millisecondTimestamps: 'accepted' | 'refused';
  runsListPage: 'included' | 'omitted';
  runsListCut: 'whole' | 'page' | 'paged' | 'offset';
  deletePath: 'bare' | 'slash' | 'both';
  runTimeUnit: 'seconds' | 'milliseconds';
  runCreatedAt: 'run' | 'audience';
  bulkGetInactive: 'included' | 'omitted';
  listInactive: 'property' | 'audienceId';
  deletedNames: 'freed' | 'held';
  duplicateNames: 'refused' | 'accepted';
  lifecycleStateFilter: 'accepted' | 'refused';
  creationTimeUnit: 'milliseconds' | 'microseconds';
  bulkGetMissing: 'omitted' | 'status';
  absentFields: 'omitted' | 'null';
  errorDetail: 'named' | 'appendix';
  audiencesTotalCount: 'listed' | 'sandbox';
  audiencesPaging: 'offset' | 'page';
  audienceIds: 'same' | 'distinct';
  runInProgress: '422' | '409';
  ttlInDaysType: 'integer' | 'string';
  runsListShape: 'array' | 'object';
  runProgressStatus: 'processing' | 'queued';
  postStatus: 'page' | '200' | '201' | '202';
  client: EmulatorClient[];
  log: boolean;
  /** ms; negative: the emulator's clock is behind the host's. */
  clockOffset: number;
};

/** A flag's value read, or why not (the flag is named by the caller: typed-options.ts). */
type Read = { ok: true; value: number } | { ok: false; message: string };

/**
 * A value with a blank or a line break around it is refused, as the CLI's counts and durations
 * refuse it (typed-options.ts readCount): Number(' 0.5') took it, a value quoted wrongly or read
 * from a file with its newline passing for another.
 */
function aroundRefusal(text: string): Read | undefined {
  return blankAround(text) ? { ok: false, message: `${quoted(text)} ${BLANK_AROUND}` } : undefined;
}

/** A probability from 0 to 1 (`0.05`). */
export function readProbability(text: string): Read {
  const refused = aroundRefusal(text);
  if (refused) return refused;
  const number = Number(text);
  if (text === '' || !Number.isFinite(number) || number < 0 || number > 1)
    return { ok: false, message: `${quoted(text)} is not a probability from 0 to 1` };
  return { ok: true, value: number };
}

/** `10/s`, `10` or `2.5/s`: requests per second per org. */
export function readPerSecond(text: string): Read {
  const refused = aroundRefusal(text);
  if (refused) return refused;
  const match = /^(\d+(?:\.\d+)?)(?:\/s)?$/.exec(text);
  const number = Number(match?.[1]);
  if (!match || number <= 0)
    return { ok: false, message: `${quoted(text)} is not requests per second (e.g. 10/s)` };
  return { ok: true, value: number };
}

/** How far the emulator's clock may be set off the host's, either way (clockOffsetMs's limit). */
const MAX_CLOCK_OFFSET_MS = 365 * 86_400_000;

/**
 * `-2d`, `+26h`, `90m`: the emulator's clock against the host's (a duration with an optional
 * sign), up to a year either way: an offset is no timer, so a timer's 24 days do not bound it.
 */
export function readClockOffset(text: string): Read {
  const refused = aroundRefusal(text);
  if (refused) return refused;
  const match = /^([+-]?)(.*)$/.exec(text);
  const read = readDuration(match?.[2] ?? '', 'ms', false, { timer: false });
  if (!read.ok)
    return {
      ok: false,
      message: `${quoted(text)}: expected a duration with an optional sign, e.g. -2d or +26h`,
    };
  if (read.ms > MAX_CLOCK_OFFSET_MS)
    return { ok: false, message: `${quoted(text)} is too far (at most a year either way)` };
  return { ok: true, value: match?.[1] === '-' ? -read.ms : read.ms };
}

/** readClockOffset, or a UsageError naming the flag. */
export function clockOffset(value: string): number {
  const read = readClockOffset(value);
  if (!read.ok) throw new UsageError('BAD_DURATION', `--clock-offset: ${read.message}`);
  return read.value;
}

/** `id:secret:org@AdobeOrg`, repeatable. */
export function collectClient(value: string, previous: EmulatorClient[]): EmulatorClient[] {
  const [clientId, clientSecret, orgId, ...rest] = value.split(':');
  if (!clientId || !clientSecret || !orgId || rest.length > 0) {
    // Not an InvalidArgumentError: commander would quote the value, and the secret with it.
    throw new UsageError(
      'EMULATOR_CLIENT_INVALID',
      '--client: expected <clientId>:<clientSecret>:<orgId> (the value is not shown: it holds a secret)',
    );
  }
  // Checked here, naming the flag: the start options' check named `clients[0].orgId`.
  if (!ORG_ID.test(orgId))
    throw new UsageError(
      'EMULATOR_CLIENT_INVALID',
      `--client: the org ${quoted(orgId)} must look like XXXX@AdobeOrg`,
    );
  if (previous.some((client) => client.clientId === clientId))
    throw new UsageError(
      'EMULATOR_CLIENT_INVALID',
      `--client: the client id ${quoted(clientId)} is given twice`,
    );
  return [...previous, { clientId, clientSecret, orgId }];
}

/** An IMS org id, as the emulator's settings take it (settings-schema.ts ClientInput). */
const ORG_ID = /^[A-Za-z0-9]+@AdobeOrg$/;

export function toOptions(flags: Flags): EmulatorOptions {
  return {
    host: flags.host,
    port: flags.port,
    admin: flags.admin,
    dataDir: flags.dataDir,
    storageRoot: flags.storageRoot,
    latencyMs: flags.latencyMs,
    latencyJitterMs: flags.latencyJitterMs,
    rateLimit:
      flags.rateLimit === undefined
        ? undefined
        : {
            perSecond: flags.rateLimit,
            burst: flags.rateLimitBurst,
            retryAfter: flags.retryAfter,
            retryAfterForm: flags.retryAfterForm,
          },
    operationDelayMs: flags.operationDelayMs,
    runStageDelayMs: flags.runStageDelayMs,
    tokenLifetimeSeconds: Math.max(1, Math.round(flags.tokenLifetime / 1000)),
    faults: {
      error500: flags.fault500,
      error502: flags.fault502,
      slow: flags.faultSlow,
      slowMs: flags.slowMs,
      drop: flags.faultDrop,
      responseLost: flags.faultResponseLost,
      operationFailure: flags.faultOperationFailure,
      runFailure: flags.faultRunFailure,
      seed: flags.faultSeed,
    },
    guardrails: {
      runsPerDayPerSandbox: flags.runsPerDay,
      runsPerDayWindow: flags.runsPerDayWindow,
      runsPerAudience: flags.runsPerAudience,
      runsPerAudienceWindow: flags.runsPerAudienceWindow,
      audiencesPerSandbox: flags.audiencesPerSandbox,
    },
    newerRules: flags.newerRules,
    clockOffsetMs: flags.clockOffset,
    compat: {
      operationsPath: flags.operationsPath,
      sourceSpec: flags.sourceSpec,
      runsListParams: flags.runsListParams,
      patchFields: flags.patchFields,
      millisecondTimestamps: flags.millisecondTimestamps,
      runsListPage: flags.runsListPage,
      runsListCut: flags.runsListCut,
      deletePath: flags.deletePath,
      runTimeUnit: flags.runTimeUnit,
      runCreatedAt: flags.runCreatedAt,
      bulkGetInactive: flags.bulkGetInactive,
      listInactive: flags.listInactive,
      deletedNames: flags.deletedNames,
      duplicateNames: flags.duplicateNames,
      lifecycleStateFilter: flags.lifecycleStateFilter,
      creationTimeUnit: flags.creationTimeUnit,
      bulkGetMissing: flags.bulkGetMissing,
      absentFields: flags.absentFields,
      errorDetail: flags.errorDetail,
      audiencesTotalCount: flags.audiencesTotalCount,
      audiencesPaging: flags.audiencesPaging,
      audienceIds: flags.audienceIds,
      runInProgress: flags.runInProgress,
      ttlInDaysType: flags.ttlInDaysType,
      runsListShape: flags.runsListShape,
      runProgressStatus: flags.runProgressStatus,
      postStatus: flags.postStatus,
    },
    clients: flags.client.length > 0 ? flags.client : undefined,
    logger: flags.log,
  };
}
