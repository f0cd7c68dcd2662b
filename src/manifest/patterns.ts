/**
 * The schema's constants without zod (schema.ts builds on them): the parser thread and
 * the fast validator (validate-fast.ts) check manifests with them, and zod is only
 * loaded for a document they leave to the full path.
 */

/** Field types the API accepts (reference page, "fields"). */
export const FIELD_TYPE_NAMES = [
  'string',
  'number',
  'long',
  'integer',
  'date',
  'datetime',
  'boolean',
] as const;

export const CLOUD_TYPE_NAMES = ['S3', 'DLZ', 'GCS', 'SFTP'] as const;

/** Cloud types whose source needs a base connection (reference page, "sourceSpec"). */
export const CLOUD_TYPES_NEEDING_CONNECTION: ReadonlyArray<(typeof CLOUD_TYPE_NAMES)[number]> = [
  'S3',
  'GCS',
  'SFTP',
];

export const KEY_PATTERN = /^[a-z0-9]([-a-z0-9]*[a-z0-9])?$/;
/** The service's rule for sandbox names; every sandbox name audiencectl reads is checked with it. */
export const SANDBOX_PATTERN = /^[a-z0-9]([-a-z0-9]*[a-z0-9])?$/;

/**
 * The data expiration the page lets ttlInDays be set to, in days ("from 1 to 90"). Here, not in
 * schema.ts: the planner reads it for every live audience (plan/ttl-outside.ts), and importing
 * it from schema.ts loaded zod in every plan (test/cli/plan-start-up-loads.spec.ts).
 */
export const TTL_DAYS = { min: 1, max: 90 } as const;
