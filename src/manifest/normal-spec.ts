import { z } from 'zod';
import { CloudType, FieldType } from './schema.js';

/**
 * An audience spec in canonical form: defaults filled, `sourceSpec.params` flattened,
 * identity namespaces lower-cased, sets sorted, fields sorted by name. Two specs mean
 * the same audience exactly when their normal forms are deep-equal, so this is what the
 * planner compares and what the state store records.
 */
export const NormalField = z.object({
  name: z.string(),
  type: FieldType,
  identityNs: z.string().optional(),
  labels: z.array(z.string()),
});
export type NormalField = z.infer<typeof NormalField>;

export const NormalSource = z.object({
  path: z.string(),
  type: z.enum(['file', 'folder']),
  sourceType: z.string().optional(),
  cloudType: CloudType.optional(),
  baseConnectionId: z.string().optional(),
});
export type NormalSource = z.infer<typeof NormalSource>;

export const NormalSpec = z.object({
  name: z.string(),
  description: z.string(),
  customAudienceId: z.string().optional(),
  fields: z.array(NormalField),
  sourceSpec: NormalSource,
  ttlInDays: z.number().int(),
  labels: z.array(z.string()),
  audienceType: z.string(),
  originName: z.string(),
  namespace: z.string(),
  tags: z.array(z.string()),
});
export type NormalSpec = z.infer<typeof NormalSpec>;
