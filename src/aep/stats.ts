import type { AepRequestEvent } from './options.js';
import type { BudgetStats } from './request-budget.js';

export type EndpointStats = { requests: number; byStatus: Record<string, number> };

/** Counts since the client was created; `byStatus` uses "error" for attempts without an answer. */
export type AepClientStats = {
  /** HTTP attempts to the API (IMS not included). */
  requests: number;
  /** Attempts after the first of their call (retries and the token-renewal retry). */
  retries: number;
  /** 429 answers. */
  rateLimited: number;
  /** Token requests to IMS. */
  tokenRequests: number;
  /** Time attempts waited for the sliding window or a pause, in ms. */
  rateLimitWaitMs: number;
  byEndpoint: Record<string, EndpointStats>;
  bySandbox: Record<string, BudgetStats>;
};

export class StatsRecorder {
  private requests = 0;
  private retries = 0;
  private rateLimited = 0;
  private rateLimitWaitMs = 0;
  private readonly byEndpoint = new Map<string, EndpointStats>();

  request(event: AepRequestEvent): void {
    this.requests += 1;
    if (event.attempt > 1) this.retries += 1;
    if (event.status === 429) this.rateLimited += 1;
    let endpoint = this.byEndpoint.get(event.endpoint);
    if (!endpoint) {
      endpoint = { requests: 0, byStatus: {} };
      this.byEndpoint.set(event.endpoint, endpoint);
    }
    endpoint.requests += 1;
    const key = event.status === undefined ? 'error' : String(event.status);
    endpoint.byStatus[key] = (endpoint.byStatus[key] ?? 0) + 1;
  }

  wait(ms: number): void {
    this.rateLimitWaitMs += ms;
  }

  snapshot(tokenRequests: number, bySandbox: Record<string, BudgetStats>): AepClientStats {
    return structuredClone({
      requests: this.requests,
      retries: this.retries,
      rateLimited: this.rateLimited,
      tokenRequests,
      rateLimitWaitMs: this.rateLimitWaitMs,
      byEndpoint: Object.fromEntries(this.byEndpoint),
      bySandbox,
    });
  }
}
