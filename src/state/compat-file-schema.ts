import { z } from 'zod';
import { CompatChoices } from '../aep/compat-schema.js';

/**
 * `compat.json` of a state directory (compat-file.ts): what the client learned about the
 * readings of the API page, per base URL.
 */
export const CompatFile = z.object({
  schemaVersion: z.literal(1),
  /** By base URL (compatKey: no user info, no query). */
  baseUrls: z.record(z.string(), CompatChoices),
});
export type CompatFile = z.infer<typeof CompatFile>;
