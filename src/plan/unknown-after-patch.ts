import type { NormalSpec } from '../manifest/normal-spec.js';
import type { AudienceRecord } from '../state/schema.js';
import type { FieldChange } from './schema.js';

/** `fields.NAME.labels`: the one property a PATCH sends that the Audiences API never shows. */
const FIELD_LABELS = /^fields\.(.+)\.labels$/;

/**
 * The paths of `changes` a PATCH sends that reading the audience back cannot see: a field's
 * labels (tags and sourceSpec, unseen too, are never PATCHed: they force replacement). Recorded
 * with the patch intent (Intent.unseenChanged), so that an unknown outcome marks them.
 */
export function unseenChanged(changes: readonly FieldChange[]): string[] {
  return changes.filter((c) => !c.forcesReplacement && FIELD_LABELS.test(c.path)).map((c) => c.path);
}

/** The labels the spec gives the field a `fields.NAME.labels` path names; undefined without it. */
function labelsAt(spec: NormalSpec, path: string): string[] | undefined {
  const name = FIELD_LABELS.exec(path)?.[1];
  return spec.fields.find((field) => field.name === name)?.labels;
}

/**
 * What the service may hold otherwise than the record says: the record's mark, with what a
 * pending PATCH intent sent unseen (which apply's resume marks before it plans: a plan made
 * before must be the one apply makes after, or a saved plan is refused), dated when the first
 * such PATCH began. Undefined when there is none.
 */
export function unknownAfterPatchOf(record: AudienceRecord): AudienceRecord['unknownAfterPatch'] {
  const { unknownAfterPatch: mark, intent } = record;
  const sent = intent?.kind === 'patch' ? (intent.unseenChanged ?? []) : [];
  if (sent.length === 0 || intent === undefined) return mark;
  return { at: mark?.at ?? intent.startedAt, paths: [...new Set([...(mark?.paths ?? []), ...sent])] };
}

/**
 * `changes` with the properties an interrupted PATCH may have set (unknownAfterPatchOf) as
 * changes to the manifest's values, whether or not the manifest differs from what was recorded:
 * the service may hold what that PATCH sent, and no read shows it. A field the manifest no
 * longer has is left to the change that removes it (a replacement).
 */
export function withUnknown(
  changes: readonly FieldChange[],
  record: AudienceRecord,
  applied: NormalSpec,
  target: NormalSpec,
): FieldChange[] {
  const mark = unknownAfterPatchOf(record);
  if (mark === undefined) return [...changes];
  const unknown = mark.paths.flatMap((path): FieldChange[] => {
    const after = labelsAt(target, path);
    if (after === undefined) return [];
    const before = labelsAt(applied, path);
    return [
      {
        path,
        ...(before === undefined ? {} : { before }),
        after,
        forcesReplacement: false,
        unknownSince: mark.at,
      },
    ];
  });
  const marked = new Set(unknown.map((c) => c.path));
  return [...changes.filter((c) => !marked.has(c.path)), ...unknown];
}
