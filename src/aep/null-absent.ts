import type { z } from 'zod';

/**
 * An optional property of an answer, a `null` read as the property absent. The page's samples
 * never show an unset property; a service whose JSON writer keeps unset properties answers them
 * `null` (`"audienceId": null` on an operation still PROCESSING), which read strictly failed
 * every create's operation lookup for good (review emulator-41, 1).
 */
export function nullAsAbsent<S extends z.ZodType>(schema: S) {
  // Optional outside the transform: the key stays optional in what the answer reads as.
  return schema
    .nullable()
    .transform((value): z.output<S> | undefined => (value === null ? undefined : value))
    .optional();
}
