/**
 * The most `requests` a budget's window may hold: the window keeps one start time per request
 * (request-budget.ts SlidingWindow), allocated at once, so 100000000000 failed every call with
 * "Invalid array length" and values under 2^32 took gigabytes per sandbox. 10000 a window is
 * far above any rate AEP grants (a few requests a second), at 80 kB a sandbox. A module of its
 * own: the configuration's schema reads it without loading the client (p-queue).
 */
export const MAX_BUDGET_REQUESTS = 10_000;

/** The request budget of one sandbox. */
export type BudgetSettings = {
  /** At most this many requests start in any window of `intervalMs`. Default 10. */
  requests: number;
  /** The sliding window, in ms. Default 1000. */
  intervalMs: number;
  /** Calls of the sandbox in flight at once. Default 4. */
  concurrency: number;
};

/** Safe for AEP, whose limits are not published: 10 requests a second, 4 at a time. */
export const DEFAULT_BUDGET: BudgetSettings = { requests: 10, intervalMs: 1000, concurrency: 4 };
