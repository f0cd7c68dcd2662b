import { z } from 'zod';
import { unsafeCharacter, type TextKind } from '../text/safe-text.js';
import { CLOUD_TYPE_NAMES, FIELD_TYPE_NAMES, KEY_PATTERN, SANDBOX_PATTERN, TTL_DAYS } from './patterns.js';

export { CLOUD_TYPES_NEEDING_CONNECTION, KEY_PATTERN, SANDBOX_PATTERN } from './patterns.js';

/** Field types the API accepts (reference page, "fields"). */
export const FieldType = z.enum(FIELD_TYPE_NAMES);
export type FieldType = z.infer<typeof FieldType>;

export const CloudType = z.enum(CLOUD_TYPE_NAMES);
export type CloudType = z.infer<typeof CloudType>;

/**
 * A string that refuses control, bidi and (in names) zero-width characters: they would
 * reach the API and every screen that shows the value (docs/configuration.md, "Characters").
 * Checked before trimming, so an invisible leading character is refused, not dropped.
 */
function safeString(kind: TextKind) {
  return z.string().superRefine((value, ctx) => {
    const found = unsafeCharacter(value, kind);
    if (!found) return;
    ctx.addIssue({
      code: 'custom',
      message: `contains ${found.description} (${found.codePoint}) at character ${found.index + 1}; refused because it can hide or reorder what is shown`,
      params: { rule: found.rule, char: found.char },
    });
  });
}

const NonEmpty = safeString('name').trim().min(1, 'must not be empty');
const StringSet = z.array(NonEmpty);

export const AudienceField = z.strictObject({
  name: NonEmpty,
  type: FieldType,
  identityNs: NonEmpty.optional(),
  labels: StringSet.optional(),
});
export type AudienceField = z.infer<typeof AudienceField>;

export const SourceParams = z.strictObject({
  path: NonEmpty,
  type: z.enum(['file', 'folder']),
  sourceType: z.literal('Cloud Storage').optional(),
  cloudType: CloudType.optional(),
  baseConnectionId: NonEmpty.optional(),
});
export type SourceParams = z.infer<typeof SourceParams>;

/** The API accepts the source both flat and wrapped in `params`; so do we. */
export const SourceSpec = z.union([SourceParams, z.strictObject({ params: SourceParams })]);
export type SourceSpec = z.infer<typeof SourceSpec>;

/** The source's parameters and where they sit, whichever of the two shapes was written. */
export function sourceParams(source: SourceSpec): { params: SourceParams; path: string[] } {
  return 'params' in source
    ? { params: source.params, path: ['sourceSpec', 'params'] }
    : { params: source, path: ['sourceSpec'] };
}

/** `ttlInDays` arrives as "40" or 40 (the reference's own sample sends a string). */
export const TtlInDays = z
  .union([
    z.number(),
    z
      .string()
      .regex(/^\s*\d+\s*$/, 'must be a whole number')
      .transform(Number),
  ])
  .pipe(z.number().int('must be a whole number').min(TTL_DAYS.min).max(TTL_DAYS.max));

/**
 * Exactly the create body of `POST /external-audience/`. The rules across fields
 * (unique field names, a base connection for S3, GCS and SFTP) are in semantics.ts,
 * so they are checked even when this shape has errors elsewhere.
 */
export const AudienceSpec = z.strictObject({
  name: NonEmpty,
  description: safeString('multiline').optional(),
  customAudienceId: NonEmpty.optional(),
  fields: z.array(AudienceField).min(1, 'an audience needs at least one field'),
  sourceSpec: SourceSpec,
  ttlInDays: TtlInDays.optional(),
  labels: StringSet.optional(),
  audienceType: z.literal('people').optional(),
  originName: NonEmpty,
  namespace: NonEmpty.optional(),
  tags: StringSet.optional(),
});
export type AudienceSpec = z.infer<typeof AudienceSpec>;

export const Metadata = z.strictObject({
  name: z
    .string()
    .max(63, 'must be at most 63 characters')
    .regex(
      KEY_PATTERN,
      'must be lowercase letters, digits and "-", starting and ending with a letter or digit',
    ),
  sandbox: z
    .string()
    .max(63, 'must be at most 63 characters')
    .regex(SANDBOX_PATTERN, 'must be lowercase letters, digits and "-"')
    .optional(),
  deletionPolicy: z.enum(['Delete', 'Orphan']).default('Delete'),
  allowReplace: z.boolean().default(false),
  /**
   * Adopt an existing audience of this exact name that audiencectl did not create, instead
   * of creating one (the plan shows `<= adopt`); `--adopt` does it for every manifest.
   */
  adopt: z.boolean().optional(),
});
export type Metadata = z.infer<typeof Metadata>;

/** A duration such as `30m`, `24h` or `7d`. */
export const Duration = z.string().regex(/^[1-9]\d*(m|h|d)$/, 'must be a duration such as 30m, 24h or 7d');

export const Ingestion = z.strictObject({
  onCreate: z.boolean().default(true),
  every: Duration.optional(),
  request: z
    .union([safeString('name').min(1), z.number()])
    .transform(String)
    .optional(),
  dataFilterStartTime: z.number().int('must be whole epoch seconds').min(0).optional(),
});
export type Ingestion = z.infer<typeof Ingestion>;

export const Manifest = z.strictObject({
  apiVersion: z.literal('audiencectl/v1'),
  kind: z.literal('ExternalAudience'),
  metadata: Metadata,
  spec: AudienceSpec,
  ingestion: Ingestion.default({ onCreate: true }),
});
export type Manifest = z.infer<typeof Manifest>;
export type ManifestInput = z.input<typeof Manifest>;
