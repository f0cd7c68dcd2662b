import { z } from 'zod';

/** Request bodies of the emulated API, as the reference page describes them. */

const NonBlank = z.string().regex(/\S/, 'must not be empty');
const StringList = z.array(NonBlank);

export const FieldType = z.enum(['string', 'number', 'long', 'integer', 'date', 'datetime', 'boolean']);
export type FieldType = z.infer<typeof FieldType>;

export const CloudType = z.enum(['S3', 'DLZ', 'GCS', 'SFTP']);
export type CloudType = z.infer<typeof CloudType>;

export const CLOUD_TYPES_NEEDING_CONNECTION: readonly CloudType[] = ['S3', 'GCS', 'SFTP'];

/** `ttlInDays` arrives as 40 or "40" (the page's own sample sends a string). */
export const TtlInDays = z
  .union([z.number(), z.string().regex(/^\d+$/).transform(Number)], {
    error: 'must be a whole number of days from 1 to 90',
  })
  .pipe(
    z
      .number()
      .int('must be a whole number of days from 1 to 90')
      .min(1, 'must be a whole number of days from 1 to 90')
      .max(90, 'must be a whole number of days from 1 to 90'),
  );

export const AudienceField = z.strictObject({
  name: NonBlank,
  type: FieldType,
  identityNs: NonBlank.optional(),
  labels: StringList.optional(),
});
export type AudienceField = z.infer<typeof AudienceField>;

export const SourceParams = z
  .strictObject({
    path: NonBlank,
    type: z.enum(['file', 'folder']),
    sourceType: z.literal('Cloud Storage').optional(),
    cloudType: CloudType.optional(),
    baseConnectionId: NonBlank.optional(),
  })
  .superRefine((source, ctx) => {
    if (
      source.cloudType &&
      CLOUD_TYPES_NEEDING_CONNECTION.includes(source.cloudType) &&
      !source.baseConnectionId
    ) {
      ctx.addIssue({
        code: 'custom',
        path: ['baseConnectionId'],
        message: `is required when cloudType is ${source.cloudType}`,
      });
    }
  });
export type SourceParams = z.infer<typeof SourceParams>;

const WrappedSource = z.strictObject({ params: SourceParams });

/**
 * The page sends the source wrapped in `params` and answers it flat; both are accepted. The
 * shape is picked by the presence of `params`, so errors name the fields of that shape.
 */
export const SourceSpec = z.record(z.string(), z.unknown()).transform((value, ctx) => {
  const result = 'params' in value ? WrappedSource.safeParse(value) : SourceParams.safeParse(value);
  if (result.success) return result.data;
  for (const issue of result.error.issues) {
    ctx.addIssue({ code: 'custom', path: issue.path.map(String), message: issue.message });
  }
  return z.NEVER;
});
export type SourceSpec = z.infer<typeof SourceSpec>;

export const CreateAudienceBody = z.strictObject({
  name: NonBlank,
  description: z.string().optional(),
  customAudienceId: NonBlank.optional(),
  fields: z
    .array(AudienceField)
    .min(1, 'must list at least one field')
    .superRefine((fields, ctx) => {
      const seen = new Set<string>();
      for (const [index, field] of fields.entries()) {
        if (seen.has(field.name)) {
          ctx.addIssue({
            code: 'custom',
            path: [index, 'name'],
            message: `duplicate field name "${field.name}"`,
          });
        }
        seen.add(field.name);
      }
    }),
  sourceSpec: SourceSpec,
  ttlInDays: TtlInDays.optional(),
  labels: StringList.optional(),
  audienceType: z.literal('people').optional(),
  originName: NonBlank,
  namespace: NonBlank.optional(),
  tags: StringList.optional(),
});
export type CreateAudienceBody = z.infer<typeof CreateAudienceBody>;

/** What PATCH may touch; any other key is a logical error (100960-422), not a malformed body. */
export const PATCHABLE_KEYS = ['description', 'labels', 'fields', 'ttlInDays'] as const;
export const PATCHABLE_FIELD_KEYS = ['name', 'type', 'identityNs', 'labels'] as const;

export const PatchField = z.object({
  name: NonBlank,
  type: FieldType.optional(),
  identityNs: NonBlank.optional(),
  labels: StringList.optional(),
});
export type PatchField = z.infer<typeof PatchField>;

export const PatchAudienceBody = z.object({
  description: z.string().optional(),
  labels: StringList.optional(),
  fields: z.array(PatchField).optional(),
  ttlInDays: TtlInDays.optional(),
});
export type PatchAudienceBody = z.infer<typeof PatchAudienceBody>;

/** Whole epoch time; milliseconds are refused only on request (`millisecondTimestamps`, run-service.ts). */
const EpochSeconds = z.number().int('must be whole epoch seconds').min(0, 'must be whole epoch seconds');

export const StartRunBody = z
  .strictObject({
    dataFilterStartTime: EpochSeconds,
    dataFilterEndTime: EpochSeconds.optional(),
  })
  .refine(
    (body) => body.dataFilterEndTime === undefined || body.dataFilterEndTime >= body.dataFilterStartTime,
    {
      path: ['dataFilterEndTime'],
      message: 'must not be before dataFilterStartTime',
    },
  );
export type StartRunBody = z.infer<typeof StartRunBody>;

export const ExtendTtlBody = z
  .strictObject({ ttlInDays: TtlInDays.optional() })
  .optional()
  .transform((body) => body ?? {});
export type ExtendTtlBody = z.infer<typeof ExtendTtlBody>;

const QueryInt = z
  .string()
  .regex(/^\d+$/, 'must be a whole number from 1 to 40')
  .transform(Number)
  .pipe(z.number().min(1, 'must be from 1 to 40').max(40, 'must be from 1 to 40'));

export const ListRunsQuery = z.object({
  limit: QueryInt.default(20),
  sortBy: z.enum(['createdAt', '-createdAt', 'name', '-name']).default('-createdAt'),
  property: z
    .union([z.string(), z.array(z.string())])
    .optional()
    .transform((value) => (typeof value === 'string' ? [value] : (value ?? []))),
});
export type ListRunsQuery = z.infer<typeof ListRunsQuery>;
