import { createHash } from 'node:crypto';

/**
 * Advisory lock keys are two int4: a class naming audiencectl ('audc') and a key
 * derived from the schema, so stores in different schemas of one database do not
 * block each other. Advisory locks are per database already.
 */
export const LOCK_CLASS = 0x61756463;
/** Serialises `init`s of one schema; never held for long. */
export const MIGRATION_CLASS = LOCK_CLASS + 1;
/**
 * Taken shared by each fenced write for its transaction, keyed by the pid of its holder's
 * lock session: what marks a session as an audiencectl holder's write, the only kind a
 * takeover ends (takeover.ts). Never taken exclusively, so it blocks nothing.
 */
export const WRITE_CLASS = LOCK_CLASS + 2;

/** A stable, non-negative int4 for a schema name (pg_locks shows it as objid). */
export function lockKeyOf(schema: string): number {
  return createHash('sha256').update(schema).digest().readUInt32BE(0) & 0x7fffffff;
}
