/**
 * Identifies the record schema (AudienceRecord in schema.ts) in the state snapshot: a
 * snapshot written for another one (another version) is not used. The SHA-1 of the JSON
 * of `z.toJSONSchema(AudienceRecord, { io: 'output' })`, written down here so that a plan
 * served by the snapshot need not load zod and build the JSON schema (~50 ms) to know it.
 * test/state/record-schema-id.spec.ts computes it from the schema and fails, giving the
 * new value, when the schema changes and this constant does not.
 */
export const RECORD_SCHEMA_ID = 'e55e92b31e585117e1eef4302406e3b9d4b3eef8';
