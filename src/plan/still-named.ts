import type { AudienceRecord } from '../state/schema.js';
import { holdsNoAudience } from '../state/waiting.js';
import { forgetCommand, type PasteFlags } from '../text/paste-flags.js';

/** Where a manifest is: its sandbox, key and file (a DesiredManifest, or what `state import` read). */
export type NamedAt = { sandbox: string; key: string; file: string };

/**
 * The manifest that still names a record's key from the record's own file, now in another
 * sandbox (its default sandbox changed, or its metadata.sandbox), while that sandbox's key is
 * recorded too (a `state import` there without `state forget` here, say) or another record's
 * move claims it. The record's manifest was not removed, so it is never planned as a removal
 * (ARCHITECTURE.md, "only a removed manifest deletes"): the plan holds it. A record that names
 * no file may come from any of them. A record that holds no audience (waiting, no create in
 * flight) is left to its removal, a forget that deletes nothing (the copy a carried create
 * leaves behind, say). Undefined: nothing names it, the removal stands.
 */
export function stillNamedElsewhere<M extends NamedAt>(
  record: AudienceRecord,
  sameKey: readonly M[],
): M | undefined {
  if (holdsNoAudience(record)) return undefined;
  const file = record.manifestFile;
  return sameKey.find(
    (m) => m.key === record.key && m.sandbox !== record.sandbox && (file === undefined || m.file === file),
  );
}

/** The held entry's reason: why it is not deleted, and how to stop managing it. */
export function stillNamedReason(
  record: AudienceRecord,
  manifest: NamedAt,
  recorded: boolean,
  /** The flags its `state forget` carries (src/text/paste-flags.ts). */
  paste?: PasteFlags,
): string {
  const there = recorded ? `, where ${manifest.key} is recorded too` : '';
  return `${manifest.file} still names ${record.key}, now in sandbox "${manifest.sandbox}"${there}: its manifest was not removed, so the audience in "${record.sandbox}" is never deleted; to stop managing it (the audience stays): ${forgetCommand(record.key, record.sandbox, paste)}`;
}
