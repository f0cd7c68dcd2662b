/**
 * meta.json's formats (its `schemaVersion`). A release from before `orgs` existed reads
 * format 1 only: it refuses a store in format 2 instead of writing its meta back without
 * the orgs (the org binding would be gone without a word), as this release refuses a
 * format it does not know (read-json.ts). Kept without zod: a plan served by the state
 * snapshot loads none. `revisions` (the commit last applied to each sandbox) leaves the
 * format alone: a release from before it reads the meta without it and drops it on its next
 * write, which loses only the older-checkout check of creates, never a record or a binding.
 */
export const META_FORMATS = [1, 2] as const;

/** The format of a meta.json holding `meta`'s orgs: 2 with any, else 1, which every release reads. */
export function metaFormat(meta: { orgs?: Readonly<Record<string, string>> | undefined }): 1 | 2 {
  return meta.orgs !== undefined && Object.keys(meta.orgs).length > 0 ? 2 : 1;
}
