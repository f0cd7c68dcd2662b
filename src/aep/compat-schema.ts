import { z } from 'zod';

/**
 * What the client learned about the readings of the page (compat.ts), as the state store
 * keeps it between processes: per base URL, and per sandbox for `sourceSpec`. Only spellings
 * and shapes, never credentials; a missing or unreadable copy only costs a probe.
 */

/** `plural` /external-audiences/operations (the page's API format line), `singular` /external-audience/operations (its curl sample). */
export const OperationsSpelling = z.enum(['plural', 'singular']);
export type OperationsSpelling = z.infer<typeof OperationsSpelling>;

/** `params` (the current page's samples) or `flat` (the property table, the old draft). */
export const SourceSpecShape = z.enum(['params', 'flat']);
export type SourceSpecShape = z.infer<typeof SourceSpecShape>;

/** `bare` DELETE /external-audience/{id} (the page's API format line), `slash` .../{id}/ (its curl sample). */
export const DeleteSpelling = z.enum(['bare', 'slash']);
export type DeleteSpelling = z.infer<typeof DeleteSpelling>;

/** Whether the service took the runs list's commented-out `limit`/`sortBy`. */
export const RunsListParams = z.enum(['accepted', 'refused']);
export type RunsListParams = z.infer<typeof RunsListParams>;

/**
 * Whether the service answers a bare runs list's `start` with the page from there (`paged`), or
 * ignores or refuses it (`ignored`: the same runs again, or a 400); runs-from-start.ts.
 */
export const RunsListStart = z.enum(['paged', 'ignored']);
export type RunsListStart = z.infer<typeof RunsListStart>;

/**
 * What an Audiences API list's `_page.totalCount` counts: the audiences the list holds
 * (`listed`), or more (`other`: the same filter matching nothing was still counted, e.g. the
 * whole sandbox's); audience-reads.ts.
 */
export const AudiencesTotalCount = z.enum(['listed', 'other']);
export type AudiencesTotalCount = z.infer<typeof AudiencesTotalCount>;

/**
 * How the service words a refused PATCH (a 422): `named`, with the rules it broke
 * (`report.errors`: `fields[1].name`, ...); `unnamed`, with no rule (the page's appendix text
 * only, or a bare 422), so a refusal of the fields is told by a PATCH without them
 * (fields-refusal.ts).
 */
export const PatchRefusals = z.enum(['named', 'unnamed']);
export type PatchRefusals = z.infer<typeof PatchRefusals>;

/**
 * Which id of an external audience the Audiences API's list shows the one /core/ais knows it by:
 * `same`, its `id` (the notes on its page, whose samples show one uuid), or `distinct`, its
 * `audienceId` field (`id` one of the Audiences API's own); audience-ids.ts. Told only by an
 * external audience whose two differ.
 */
export const AudienceIds = z.enum(['same', 'distinct']);
export type AudienceIds = z.infer<typeof AudienceIds>;

/** Everything known about one base URL. */
export const CompatChoices = z.object({
  operationsPath: OperationsSpelling.optional(),
  /** By sandbox name. */
  sourceSpec: z.record(z.string(), SourceSpecShape).optional(),
  runsListParams: RunsListParams.optional(),
  runsListStart: RunsListStart.optional(),
  deletePath: DeleteSpelling.optional(),
  audiencesTotalCount: AudiencesTotalCount.optional(),
  patchRefusals: PatchRefusals.optional(),
  audienceIds: AudienceIds.optional(),
});
export type CompatChoices = z.infer<typeof CompatChoices>;

/** One choice, as it is learned (or relearned) and written to the store. */
export const LearnedChoice = z.discriminatedUnion('choice', [
  z.object({ choice: z.literal('operationsPath'), value: OperationsSpelling }),
  z.object({ choice: z.literal('runsListParams'), value: RunsListParams }),
  z.object({ choice: z.literal('runsListStart'), value: RunsListStart }),
  z.object({ choice: z.literal('deletePath'), value: DeleteSpelling }),
  z.object({ choice: z.literal('audiencesTotalCount'), value: AudiencesTotalCount }),
  z.object({ choice: z.literal('patchRefusals'), value: PatchRefusals }),
  z.object({ choice: z.literal('audienceIds'), value: AudienceIds }),
  z.object({ choice: z.literal('sourceSpec'), sandbox: z.string().min(1), value: SourceSpecShape }),
]);
export type LearnedChoice = z.infer<typeof LearnedChoice>;
