/** `{s}.manifest_cache` (migration 3): one manifest cache document per source directory. */
export const SELECT_MANIFEST_CACHE = 'SELECT document FROM {s}.manifest_cache WHERE source = $1';

export const UPSERT_MANIFEST_CACHE = `INSERT INTO {s}.manifest_cache (source, document) VALUES ($1, $2)
  ON CONFLICT (source) DO UPDATE SET document = excluded.document, updated_at = now()`;
