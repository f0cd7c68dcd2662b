import type { AudienceRecord, OperationRecord, RunRecord } from './model.js';

/** A name reservation: taken at create time, so a second create fails while the first is PROCESSING. */
export type NameHold = { operationId: string; audienceId: string };

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

/** Audience names are unique per sandbox regardless of case and surrounding blanks. */
export function nameKey(name: string): string {
  return name.trim().toLowerCase();
}

function scopeKey(orgId: string, sandbox: string): string {
  return `${orgId}\u0000${sandbox}`;
}

export function dayKey(orgId: string, sandbox: string, nowMs: number): string {
  return `${scopeKey(orgId, sandbox)}\u0000${new Date(nowMs).toISOString().slice(0, 10)}`;
}

export class Store {
  private readonly scopes = new Map<string, ScopeState>();
  /** Runs started per sandbox and UTC day; kept apart from runs so deleting an audience frees nothing. */
  readonly dailyRuns = new Map<string, number>();
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
    this.dailyRuns.clear();
  }

  /** Rebuilds the indexes from records (loading a data directory). */
  load(records: {
    audiences: AudienceRecord[];
    operations: OperationRecord[];
    runs: RunRecord[];
    dailyRuns: Record<string, number>;
  }): void {
    this.clear();
    for (const operation of records.operations) {
      const scope = this.scope(operation.orgId, operation.sandbox);
      scope.operations.set(operation.operationId, operation);
      if (operation.outcome === 'FAILED') {
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
      scope.names.set(nameKey(audience.name), {
        operationId: audience.operationId,
        audienceId: audience.audienceId,
      });
    }
    for (const run of records.runs) this.scope(run.orgId, run.sandbox).runs.set(run.runId, run);
    for (const [key, count] of Object.entries(records.dailyRuns)) this.dailyRuns.set(key, count);
  }
}
