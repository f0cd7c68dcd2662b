/** A full git commit id, SHA-1 or SHA-256; without zod, so meta.json can be read without it. */
export const COMMIT_ID = /^[0-9a-f]{40}(?:[0-9a-f]{24})?$/;
