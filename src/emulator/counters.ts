import { ENDPOINTS, type EndpointName } from './endpoints.js';
import type { FaultKind } from './faults.js';

export type EndpointCounters = {
  requests: number;
  /** Answers by HTTP status; "0" counts connections closed without an answer. */
  byStatus: Record<string, number>;
  rateLimited: number;
};

export type EmulatorCounters = {
  /** When counting started (epoch ms): start or last reset. */
  since: number;
  requests: number;
  rateLimited: number;
  byEndpoint: Record<EndpointName, EndpointCounters>;
  faults: Record<FaultKind, number>;
};

export type RequestLogEntry = {
  requestId: string;
  /** Epoch ms when the request arrived. */
  time: number;
  method: string;
  /** Path without the query string (IMS bodies and headers are never recorded). */
  path: string;
  endpoint: EndpointName;
  /** 0: the connection was closed without an answer (injected drop or lost response). */
  status: number;
  durationMs: number;
  orgId?: string | undefined;
  sandbox?: string | undefined;
  errorCode?: string | undefined;
  fault?: FaultKind | undefined;
};

/** Per-endpoint counts and a bounded request log, read by tests and the reconciler benchmark. */
export class Recorder {
  private counts: Omit<EmulatorCounters, 'faults'> = emptyCounts();
  private log: RequestLogEntry[] = [];
  private next = 0;

  constructor(private readonly logSize: number) {}

  record(entry: RequestLogEntry): void {
    const endpoint = this.counts.byEndpoint[entry.endpoint];
    const status = String(entry.status);
    endpoint.requests += 1;
    endpoint.byStatus[status] = (endpoint.byStatus[status] ?? 0) + 1;
    this.counts.requests += 1;
    if (entry.status === 429) {
      endpoint.rateLimited += 1;
      this.counts.rateLimited += 1;
    }
    if (this.logSize <= 0) return;
    // A ring buffer: constant work per request however long the emulator runs.
    if (this.log.length < this.logSize) this.log.push(entry);
    else this.log[this.next] = entry;
    this.next = (this.next + 1) % this.logSize;
  }

  counters(faults: Record<FaultKind, number>): EmulatorCounters {
    return structuredClone({ ...this.counts, faults });
  }

  /** Oldest first; `limit` keeps the most recent entries. */
  requestLog(limit?: number): RequestLogEntry[] {
    const ordered =
      this.log.length < this.logSize
        ? this.log.slice()
        : [...this.log.slice(this.next), ...this.log.slice(0, this.next)];
    return limit === undefined ? ordered : ordered.slice(Math.max(0, ordered.length - limit));
  }

  reset(): void {
    this.counts = emptyCounts();
    this.log = [];
    this.next = 0;
  }
}

function emptyCounts(): Omit<EmulatorCounters, 'faults'> {
  const byEndpoint = {} as Record<EndpointName, EndpointCounters>;
  for (const name of ENDPOINTS) byEndpoint[name] = { requests: 0, byStatus: {}, rateLimited: 0 };
  return { since: Date.now(), requests: 0, rateLimited: 0, byEndpoint };
}
