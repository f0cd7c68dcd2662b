import { compatKey, withLearned } from '../../aep/compat-choices.js';
import { LearnedChoice, type CompatChoices, type LearnedChoice as Learned } from '../../aep/compat-schema.js';

/** One row of `{s}.compat` (migration 2): one choice of one base URL, or of one of its sandboxes. */
export type CompatRow = { choice: string; sandbox: string; value: string };

export const SELECT_COMPAT = 'SELECT choice, sandbox, value FROM {s}.compat WHERE base_url = $1';

export const UPSERT_COMPAT = `INSERT INTO {s}.compat (base_url, choice, sandbox, value) VALUES ($1, $2, $3, $4)
  ON CONFLICT (base_url, choice, sandbox) DO UPDATE SET value = excluded.value, updated_at = now()`;

/**
 * The choices the rows stand for. A row this version does not know (a newer audiencectl's,
 * or edited by hand) is left out: it only means that choice is probed again.
 */
export function compatFromRows(rows: readonly CompatRow[]): CompatChoices {
  let choices: CompatChoices = {};
  for (const row of rows) {
    const parsed = LearnedChoice.safeParse(
      row.sandbox === ''
        ? { choice: row.choice, value: row.value }
        : { choice: row.choice, sandbox: row.sandbox, value: row.value },
    );
    if (parsed.success) choices = withLearned(choices, parsed.data);
  }
  return choices;
}

/** The UPSERT_COMPAT parameters for one learned choice; undefined for a base URL not to keep. */
export function compatRowValues(baseUrl: string, learned: Learned): string[] | undefined {
  const key = compatKey(baseUrl);
  if (key === '') return undefined;
  const sandbox = learned.choice === 'sourceSpec' ? learned.sandbox : '';
  return [key, learned.choice, sandbox, learned.value];
}
