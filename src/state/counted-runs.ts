import { recordId } from './record-id.js';
import type { AudienceRecord } from './schema.js';

/** The service's guardrail: runs one audience may start in 24 hours (ARCHITECTURE.md). */
export const AUDIENCE_RUNS_PER_DAY = 10;

/**
 * The runs that count against the daily run budget (begun after `since`), by sandbox and by the
 * audience they ran on, each run id once: the service counts runs per sandbox and per audience
 * id, wherever the state keeps them. A run's audience is the one it is marked as run on
 * (`formerAudienceId`: deleted, forgotten, or replaced under its key), else the audience its
 * record names; a rename (forget, import under another key), a replace or `state import --force`
 * may leave an audience's runs under another key than its own, or one run under two keys (a kill
 * between the two writes of runs-elsewhere.ts), and the counts are the same.
 */
export type CountedRuns = {
  /** Run ids counted against each sandbox's budget. */
  bySandbox: ReadonlyMap<string, number>;
  /** Run ids counted against each audience's budget, by budgetKey. */
  byAudience: ReadonlyMap<string, number>;
};

/**
 * Whose per-audience budget a run (or a run step) counts against: the audience id, in its
 * sandbox; with none known (a record's own runs before its audience id is recorded, a run step
 * after a create), the record's key, as the record's own.
 */
export function budgetKey(sandbox: string, key: string, audienceId: string | undefined): string {
  return audienceId === undefined ? `record ${recordId(sandbox, key)}` : `audience ${sandbox} ${audienceId}`;
}

export function countedRuns(records: Iterable<AudienceRecord>, since: number): CountedRuns {
  const sandboxes = new Map<string, Set<string>>();
  const audiences = new Map<string, Set<string>>();
  const add = (ids: Map<string, Set<string>>, key: string, runId: string) => {
    const seen = ids.get(key) ?? new Set<string>();
    seen.add(runId);
    ids.set(key, seen);
  };
  for (const record of records) {
    for (const run of record.runs) {
      if (run.createdAt <= since) continue;
      add(sandboxes, record.sandbox, run.runId);
      add(
        audiences,
        budgetKey(record.sandbox, record.key, run.formerAudienceId ?? record.audienceId),
        run.runId,
      );
    }
  }
  const sizes = (ids: Map<string, Set<string>>) => new Map([...ids].map(([key, seen]) => [key, seen.size]));
  return { bySandbox: sizes(sandboxes), byAudience: sizes(audiences) };
}
