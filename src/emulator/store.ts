import type { AudienceRecord, NameHoldRecord, OperationRecord, RunRecord } from './model.js';
import { indexNames, nameKey, type NameHold } from './name-holds.js';

/** Everything of one org + sandbox: the unit of isolation. Every lookup is a map access. */
export class ScopeState {
  readonly audiences = new Map<string, AudienceRecord>();
  readonly operations = new Map<string, OperationRecord>();
  readonly runs = new Map<string, RunRecord>();
  /** By `nameKey(name)`. */
  readonly names = new Map<string, NameHold>();

  constructor(
    readonly orgId: string,
    readonly sandbox: string,
  ) {}
}

function scopeKey(orgId: string, sandbox: string): string {
  return `${orgId}\u0000${sandbox}`;
}

const DAY_MS = 86_400_000;

/** 00:00 UTC of the day of `ms`. */
export function utcDayStart(ms: number): number {
  return ms - (((ms % DAY_MS) + DAY_MS) % DAY_MS);
}

export class Store {
  private readonly scopes = new Map<string, ScopeState>();
  /**
   * When each sandbox's runs started (epoch ms), for the last 24 h: both windows of the
   * per-sandbox guardrail fit in it. Kept apart from runs, so deleting an audience frees nothing.
   */
  readonly sandboxRuns = new Map<string, number[]>();
  private listener: () => void = () => undefined;

  /** Called after every mutation (persistence schedules a write). */
  onChange(listener: () => void): void {
    this.listener = listener;
  }

  changed(): void {
    this.listener();
  }

  scope(orgId: string, sandbox: string): ScopeState {
    const key = scopeKey(orgId, sandbox);
    let scope = this.scopes.get(key);
    if (!scope) {
      scope = new ScopeState(orgId, sandbox);
      this.scopes.set(key, scope);
    }
    return scope;
  }

  /** Like `scope` without creating one: admin listings must not invent sandboxes. */
  peekScope(orgId: string, sandbox: string): ScopeState | undefined {
    return this.scopes.get(scopeKey(orgId, sandbox));
  }

  allScopes(): IterableIterator<ScopeState> {
    return this.scopes.values();
  }

  clear(): void {
    this.scopes.clear();
    this.sandboxRuns.clear();
  }

  /** Runs the sandbox started after `sinceMs` (at most 24 h before `nowMs`). */
  sandboxRunsSince(orgId: string, sandbox: string, sinceMs: number, nowMs: number): number {
    const key = scopeKey(orgId, sandbox);
    const recent = (this.sandboxRuns.get(key) ?? []).filter((at) => at > nowMs - DAY_MS);
    this.sandboxRuns.set(key, recent);
    return recent.filter((at) => at > sinceMs).length;
  }

  recordSandboxRun(orgId: string, sandbox: string, atMs: number): void {
    const key = scopeKey(orgId, sandbox);
    this.sandboxRuns.set(key, [...(this.sandboxRuns.get(key) ?? []), atMs]);
  }

  /** Rebuilds the indexes from records (loading a data directory). */
  load(records: {
    audiences: AudienceRecord[];
    operations: OperationRecord[];
    runs: RunRecord[];
    sandboxRuns?: Record<string, number[]> | undefined;
    /** Written by emulators before the rolling window: runs per sandbox and UTC day. */
    dailyRuns?: Record<string, number> | undefined;
    /** The name holds as they were; absent (older files): rebuilt from operations and audiences. */
    names?: NameHoldRecord[] | undefined;
  }): void {
    this.clear();
    const rebuild = records.names === undefined;
    for (const hold of records.names ?? []) {
      const { operationId, audienceId } = hold;
      this.scope(hold.orgId, hold.sandbox).names.set(hold.key, { operationId, audienceId });
    }
    for (const operation of records.operations) {
      const scope = this.scope(operation.orgId, operation.sandbox);
      scope.operations.set(operation.operationId, operation);
      if (rebuild && operation.outcome === 'FAILED') {
        // Holds of failed operations lapse by themselves (see `isNameTaken`).
        scope.names.set(nameKey(operation.audienceName), {
          operationId: operation.operationId,
          audienceId: operation.audienceId,
        });
      }
    }
    for (const audience of records.audiences) {
      const scope = this.scope(audience.orgId, audience.sandbox);
      scope.audiences.set(audience.audienceId, audience);
      if (rebuild)
        scope.names.set(nameKey(audience.name), {
          operationId: audience.operationId,
          audienceId: audience.audienceId,
        });
    }
    // The file keeps only who holds each name: the other audiences bearing one are its duplicates.
    for (const scope of this.scopes.values()) indexNames(scope);
    for (const run of records.runs) this.scope(run.orgId, run.sandbox).runs.set(run.runId, run);
    for (const [key, times] of Object.entries(records.sandboxRuns ?? {})) this.sandboxRuns.set(key, times);
    // An older file counted per UTC day: its runs are placed at the start of their day.
    for (const [dayKey, count] of Object.entries(records.dailyRuns ?? {})) {
      const cut = dayKey.lastIndexOf('\u0000');
      const day = Date.parse(dayKey.slice(cut + 1));
      if (cut < 0 || Number.isNaN(day)) continue;
      const key = dayKey.slice(0, cut);
      this.sandboxRuns.set(key, [...(this.sandboxRuns.get(key) ?? []), ...Array<number>(count).fill(day)]);
    }
  }
}
