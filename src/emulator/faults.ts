import type { EndpointName } from './endpoints.js';
import { seededRandom } from './random.js';
import type { RetryAfterForm } from './retry-after.js';
import type { ResolvedFaults } from './settings.js';

export const FAULT_KINDS = [
  'error500',
  'error502',
  'slow',
  'drop',
  'responseLost',
  'operationFailure',
  'runFailure',
  'notFoundPage',
  'clientError',
  'error503',
] as const;
export type FaultKind = (typeof FAULT_KINDS)[number];

/**
 * Fire only when queued: a 404 page of a proxy or web server in front of the service, a
 * refusal with a status of the test's choosing, or a 503 with the Retry-After of the test's
 * choosing, is a situation a test sets up, not a rate of a troubled service, so none has a
 * probability.
 */
function probabilityOf(settings: ResolvedFaults, kind: FaultKind): number {
  return kind === 'notFoundPage' || kind === 'clientError' || kind === 'error503' ? 0 : settings[kind];
}

/** Which requests a queued fault hits. */
type Aim = {
  /** Only requests to this endpoint; default any API endpoint. */
  endpoint?: EndpointName | undefined;
  /** How many matching requests it hits. Default 1. */
  count?: number | undefined;
  /** How many requests it would hit it lets pass first (1: a retry, not the first try). Default 0. */
  after?: number | undefined;
};

/** The kinds a queued fault needs nothing more for. */
export type PlainFaultKind = Exclude<FaultKind, 'clientError' | 'error503'>;

/** The Retry-After of a queued `error503`: `seconds` asked, in `form`. */
export type RetryAfterAsked = { seconds: number; form: RetryAfterForm };

/** A fault that fires on the next matching request(s), whatever the probabilities say. */
export type QueuedFault =
  | (Aim & { kind: PlainFaultKind })
  | (Aim & {
      kind: 'clientError';
      /** The 4xx status it answers. */
      status: number;
      /** `report.errorCode` of its body. Default the appendix's code for the status. */
      errorCode?: string | undefined;
    })
  | (Aim & {
      kind: 'error503';
      /** Sent as Retry-After (in `retryAfterForm`); none when unset. */
      retryAfterSeconds?: number | undefined;
      /** Default seconds. */
      retryAfterForm?: RetryAfterForm | undefined;
    });

/** What a queued `error503` answers: its Retry-After, if it has one. */
export type Unavailable = { retryAfter: RetryAfterAsked | undefined };

/** What a `clientError` answers. */
export type Refusal = { status: number; errorCode: string | undefined };

type Pending = { endpoint: EndpointName | undefined; remaining: number; after: number } & (
  | { kind: PlainFaultKind }
  | { kind: 'clientError'; refusal: Refusal }
  | { kind: 'error503'; unavailable: Unavailable }
);

/** Decides, per request, which faults fire: queued ones first, then the configured odds. */
export class FaultInjector {
  private random: () => number;
  private queue: Pending[] = [];
  readonly fired: Record<FaultKind, number> = zeroCounts();

  constructor(private settings: ResolvedFaults) {
    this.random = randomFor(settings);
  }

  configure(settings: ResolvedFaults): void {
    this.settings = settings;
    this.random = randomFor(settings);
  }

  enqueue(fault: QueuedFault): void {
    const aim = { endpoint: fault.endpoint, remaining: fault.count ?? 1, after: fault.after ?? 0 };
    if (fault.kind === 'clientError') {
      const refusal = { status: fault.status, errorCode: fault.errorCode };
      this.queue.push({ ...aim, kind: 'clientError', refusal });
    } else if (fault.kind === 'error503') {
      const seconds = fault.retryAfterSeconds;
      const form = fault.retryAfterForm ?? 'seconds';
      const retryAfter = seconds === undefined ? undefined : { seconds, form };
      this.queue.push({ ...aim, kind: 'error503', unavailable: { retryAfter } });
    } else {
      this.queue.push({ ...aim, kind: fault.kind });
    }
  }

  clearQueue(): void {
    this.queue = [];
  }

  queued(): QueuedFault[] {
    return this.queue.map((item) => {
      const aim: Aim = { endpoint: item.endpoint, count: item.remaining };
      if (item.after > 0) aim.after = item.after;
      if (item.kind === 'error503') {
        const retryAfter = item.unavailable.retryAfter;
        if (retryAfter === undefined) return { ...aim, kind: 'error503' };
        return {
          ...aim,
          kind: 'error503',
          retryAfterSeconds: retryAfter.seconds,
          retryAfterForm: retryAfter.form,
        };
      }
      if (item.kind !== 'clientError') return { ...aim, kind: item.kind };
      const { status, errorCode } = item.refusal;
      return { ...aim, kind: 'clientError', status, ...(errorCode === undefined ? {} : { errorCode }) };
    });
  }

  resetCounts(): void {
    for (const kind of FAULT_KINDS) this.fired[kind] = 0;
  }

  /** True when fault `kind` hits this request to `endpoint`; consumes a queued fault if one matches. */
  take(kind: FaultKind, endpoint: EndpointName): boolean {
    if (this.takeQueued(kind, endpoint) !== undefined || this.draw(probabilityOf(this.settings, kind))) {
      this.fired[kind] += 1;
      return true;
    }
    return false;
  }

  /** The refusal a queued `clientError` makes of this request to `endpoint`, if one hits it. */
  takeRefusal(endpoint: EndpointName): Refusal | undefined {
    const item = this.takeQueued('clientError', endpoint);
    // The kind narrows the item: a queued clientError always carries its refusal.
    if (item?.kind !== 'clientError') return undefined;
    this.fired.clientError += 1;
    return item.refusal;
  }

  /** What a queued `error503` answers this request to `endpoint`, if one hits it. */
  takeUnavailable(endpoint: EndpointName): Unavailable | undefined {
    const item = this.takeQueued('error503', endpoint);
    // The kind narrows the item: a queued error503 always carries its answer.
    if (item?.kind !== 'error503') return undefined;
    this.fired.error503 += 1;
    return item.unavailable;
  }

  get slowMs(): number {
    return this.settings.slowMs;
  }

  private takeQueued(kind: FaultKind, endpoint: EndpointName): Pending | undefined {
    if (this.queue.length === 0) return undefined;
    const index = this.queue.findIndex(
      (item) => item.kind === kind && (item.endpoint === undefined || item.endpoint === endpoint),
    );
    const item = this.queue[index];
    if (!item) return undefined;
    if (item.after > 0) {
      item.after -= 1;
      return undefined;
    }
    item.remaining -= 1;
    if (item.remaining <= 0) this.queue.splice(index, 1);
    return item;
  }

  private draw(probability: number): boolean {
    // No draw at 0 keeps a seeded sequence independent of faults that are switched off.
    return probability > 0 && this.random() < probability;
  }
}

function randomFor(settings: ResolvedFaults): () => number {
  return settings.seed === undefined ? Math.random : seededRandom(settings.seed);
}

function zeroCounts(): Record<FaultKind, number> {
  return {
    error500: 0,
    error502: 0,
    slow: 0,
    drop: 0,
    responseLost: 0,
    operationFailure: 0,
    runFailure: 0,
    notFoundPage: 0,
    clientError: 0,
    error503: 0,
  };
}
