import { createHash } from 'node:crypto';
import type { RecordedState } from './schema.js';

/** JSON with object keys sorted at every level: PostgreSQL's jsonb does not keep key order. */
function canonical(value: unknown): string {
  if (Array.isArray(value)) return `[${value.map(canonical).join(',')}]`;
  if (value !== null && typeof value === 'object') {
    const entries = Object.entries(value as Record<string, unknown>)
      .filter(([, v]) => v !== undefined)
      .sort(([a], [b]) => (a < b ? -1 : Number(a > b)));
    return `{${entries.map(([k, v]) => `${JSON.stringify(k)}:${canonical(v)}`).join(',')}}`;
  }
  return JSON.stringify(value);
}

/** sha256 of the whole state (meta and records, in sandbox/key order), the same in every store. */
export function stateDigest(state: RecordedState): string {
  const hash = createHash('sha256');
  hash.update(canonical(state.meta ?? null));
  const records = [...state.audiences].sort((a, b) =>
    a.sandbox === b.sandbox
      ? Number(a.key > b.key) - Number(a.key < b.key)
      : Number(a.sandbox > b.sandbox) - Number(a.sandbox < b.sandbox),
  );
  for (const record of records) hash.update(`\n${canonical(record)}`);
  return `sha256:${hash.digest('hex')}`;
}
