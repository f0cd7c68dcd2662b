import { DEFAULT_PG_SCHEMA } from './location.js';

/**
 * What tells two state stores apart before either was written, when neither has a lineage yet:
 * a directory store's absolute path; a PostgreSQL store's host, port, database and schema, not
 * its user (two jobs may reach one store as two users) nor any password. From
 * StateStore.location (describeLocation), which never holds a password.
 */
export function storeIdentity(location: string): string {
  let url: URL;
  try {
    url = new URL(location);
  } catch {
    return location;
  }
  if (url.protocol !== 'postgres:' && url.protocol !== 'postgresql:') return location;
  const schema = url.searchParams.get('schema') ?? DEFAULT_PG_SCHEMA;
  return `postgres://${url.host}${url.pathname}?schema=${schema}`;
}
