import type { EndpointName } from './endpoints.js';
import { seededRandom } from './random.js';
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
] as const;
export type FaultKind = (typeof FAULT_KINDS)[number];

/**
 * Fires only when queued: a 404 page of a proxy or web server in front of the service is a
 * situation a test sets up, not a rate of a troubled service, so it has no probability.
 */
function probabilityOf(settings: ResolvedFaults, kind: FaultKind): number {
  return kind === 'notFoundPage' ? 0 : settings[kind];
}

/** A fault that fires on the next matching request(s), whatever the probabilities say. */
export type QueuedFault = {
  kind: FaultKind;
  /** Only requests to this endpoint; default any API endpoint. */
  endpoint?: EndpointName | undefined;
  /** How many matching requests it hits. Default 1. */
  count?: number | undefined;
};

type Pending = { kind: FaultKind; endpoint: EndpointName | undefined; remaining: number };

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
    this.queue.push({ kind: fault.kind, endpoint: fault.endpoint, remaining: fault.count ?? 1 });
  }

  clearQueue(): void {
    this.queue = [];
  }

  queued(): QueuedFault[] {
    return this.queue.map((item) => ({ kind: item.kind, endpoint: item.endpoint, count: item.remaining }));
  }

  resetCounts(): void {
    for (const kind of FAULT_KINDS) this.fired[kind] = 0;
  }

  /** True when fault `kind` hits this request to `endpoint`; consumes a queued fault if one matches. */
  take(kind: FaultKind, endpoint: EndpointName): boolean {
    if (this.takeQueued(kind, endpoint) || this.draw(probabilityOf(this.settings, kind))) {
      this.fired[kind] += 1;
      return true;
    }
    return false;
  }

  get slowMs(): number {
    return this.settings.slowMs;
  }

  private takeQueued(kind: FaultKind, endpoint: EndpointName): boolean {
    if (this.queue.length === 0) return false;
    const index = this.queue.findIndex(
      (item) => item.kind === kind && (item.endpoint === undefined || item.endpoint === endpoint),
    );
    const item = this.queue[index];
    if (!item) return false;
    item.remaining -= 1;
    if (item.remaining <= 0) this.queue.splice(index, 1);
    return true;
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
  };
}
