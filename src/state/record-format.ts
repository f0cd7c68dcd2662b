/**
 * The audience records' formats (their `schemaVersion`, schema.ts; recordFormat sets it). A
 * record in a newer one was written by a newer audiencectl: refused as such (read-json.ts),
 * never read as damaged, which `state forget` drops.
 */
export const RECORD_FORMATS = [1, 2] as const;
