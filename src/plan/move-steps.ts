import type { DesiredManifest } from '../manifest/load.js';
import { settledBy } from './create-settled-by.js';
import { specName } from '../manifest/spec-hash-memo.js';
import type { AudienceRecord } from '../state/schema.js';
import type { FieldChange, PlainStepKind, Step } from './schema.js';
import { strayMoveText } from './stray-record.js';
import { waitingName } from './waiting-move.js';
import { createUnsettled, holdsNoAudience, isWaiting } from '../state/waiting.js';
import {
  AUDIENCE_ID,
  forgetCommand,
  stateImportCommand,
  manifestsCommand,
  manifestsDirNote,
  manifestsScope,
  pastedFlags,
  type PasteFlags,
} from '../text/paste-flags.js';

export function baseStep(record: AudienceRecord, kind: PlainStepKind, reason: string): Step {
  return {
    id: `${record.sandbox}/${record.key}:${kind}`,
    sandbox: record.sandbox,
    key: record.key,
    kind,
    reason,
    changes: [],
    ...(record.audienceId ? { audienceId: record.audienceId } : {}),
  };
}

/**
 * The way out of a move of a record waiting for a create that may have made an audience (it is
 * not carried): settled where it was sent, by an apply of the manifest as it was (`back`: how to
 * put it back, "set metadata.name back to gold"). Undefined for any other record.
 */
function settleFirst(
  record: AudienceRecord,
  back: string,
  paste: PasteFlags | undefined,
): string | undefined {
  if (!isWaiting(record) || !createUnsettled(record)) return undefined;
  const sent = record.pendingCreate ? ` ("${record.pendingCreate.body.name}")` : '';
  return (
    `its create in sandbox "${record.sandbox}"${sent} is not settled: audiencectl does not know whether it made an audience, nor its id. ` +
    `${back.charAt(0).toUpperCase()}${back.slice(1)} and run \`${manifestsCommand('apply', paste)}\`${manifestsDirNote(paste)}: ${settledBy(record, paste)} then make the change again, and the plan says how to move the audience`
  );
}

/**
 * What a pull-request plan cannot know of a move: its records are assumed from the base's
 * manifests, each with an audience, while the apply's may still wait for its create.
 */
function assumedNote(assumed: boolean, to: DesiredManifest, sandboxMove: boolean): string {
  if (!assumed) return '';
  const waits = sandboxMove
    ? 'still waits for its create with none in flight (a replace deleted its audience, say)'
    : 'still waits for its create';
  return ` (this plan assumes the base's audience exists: if its record ${waits}, the apply after the merge moves the record with the create of ${to.sandbox}/${to.key} instead)`;
}

/** The audience id a printed `state import` names: a pull-request plan's assumed ids stand for none. */
function importedId(record: AudienceRecord, assumed: boolean): string {
  return assumed ? AUDIENCE_ID : (record.audienceId ?? AUDIENCE_ID);
}

/** A blocked step: what happened, and how to do it on purpose. Never delete + create. */
export function moveStep(
  record: AudienceRecord,
  manifest: DesiredManifest,
  assumed = false,
  /** The flags its commands carry (src/text/paste-flags.ts). */
  paste?: PasteFlags,
): Step {
  const from = record.sandbox;
  const to = manifest.sandbox;
  const { key } = record;
  const explicit = manifest.manifest.metadata.sandbox !== undefined;
  const why = explicit
    ? `its manifest now names sandbox "${to}", but the audience is recorded in "${from}"`
    : `its manifest names no sandbox and the default sandbox is now "${to}", but the audience is recorded in "${from}"`;
  const keep = explicit
    ? `set metadata.sandbox back to ${from}`
    : `set metadata.sandbox: ${from} in ${manifest.file} (or plan with --sandbox ${from})`;
  const unsettled = settleFirst(record, keep, paste);
  // A sandbox no manifest can have cannot be set back: the audience is kept by an import.
  const importIt = `\`${stateImportCommand(key, to, paste, importedId(record, assumed))}\``;
  // MANIFESTS_DIR's note comes after the commands that follow (onPurpose).
  const stray = strayMoveText(record, `${to}/${key}`, `${importIt}.`, paste);
  // A default sandbox changed: naming the sandbox moves a record that holds no audience.
  const named = `set metadata.sandbox: ${to} in ${manifest.file}: no audience exists in "${from}" (its record waits for its create), so the apply creates it in "${to}" and drops that record`;
  // Two whole sequences, each starting with the forget: no reading of one deletes the audience.
  const forget = `\`${forgetCommand(key, from, paste)}\``;
  const applyTo = `\`audiencectl apply ${manifestsScope(paste)}${explicit ? '' : ` --sandbox ${to}`}${pastedFlags(paste, 'apply')}\``;
  const onPurpose =
    !explicit && holdsNoAudience(record)
      ? named
      : `${forget} (the audience in "${from}" stays, unmanaged), then ${applyTo} to create it in "${to}". ` +
        `If it already exists in "${to}", instead: ${forget}, then ` +
        `\`${stateImportCommand(key, to, paste)}\`${manifestsDirNote(paste)}`;
  return {
    ...baseStep(record, 'move', why),
    source: `${manifest.file}:${manifest.line}`,
    changes: [{ path: 'sandbox', before: from, after: to, forcesReplacement: false }],
    blocked:
      `an audience cannot move between sandboxes, and a move is never applied as delete + create. ` +
      (unsettled !== undefined
        ? `First, ${unsettled}`
        : `${stray ?? `To keep it in "${from}": ${keep}.`} To move it on purpose: ${onPurpose}`) +
      assumedNote(assumed, manifest, true),
  };
}

/**
 * A record whose key is gone while a new manifest of its sandbox names its audience: a
 * changed metadata.name (a typo, say). Blocked, as a move: delete + create would delete the
 * audience, and the create of its name would be refused while it exists.
 */
export function renameStep(
  record: AudienceRecord,
  manifest: DesiredManifest,
  assumed = false,
  /** The flags its commands carry (src/text/paste-flags.ts). */
  paste?: PasteFlags,
): Step {
  const { key, sandbox } = record;
  const unsettled = settleFirst(record, `set metadata.name back to ${key}`, paste);
  const importIt = `\`${stateImportCommand(manifest.key, sandbox, paste, importedId(record, assumed))}\`${manifestsDirNote(paste)}`;
  // A key no manifest can have (`Bad Key`) cannot be set back: what is left is the new name.
  const stray = strayMoveText(record, manifest.key, importIt, paste);
  return {
    ...baseStep(
      record,
      'move',
      `metadata.name is now "${manifest.key}" in ${manifest.file}, but its audience ("${specName(manifest.manifest)}") is recorded as "${key}"`,
    ),
    source: `${manifest.file}:${manifest.line}`,
    changes: [{ path: 'metadata.name', before: key, after: manifest.key, forcesReplacement: false }],
    blocked:
      `a changed metadata.name is never applied as delete + create. ` +
      (unsettled !== undefined
        ? `First, ${unsettled}`
        : (stray ??
          `To keep the audience: set metadata.name back to ${key}. ` +
            `To keep the new name: \`${forgetCommand(key, sandbox, paste)}\`, then ${importIt}`)) +
      assumedNote(assumed, manifest, false),
  };
}

/**
 * A record whose manifest now names another key that no record holds: its own file's (the
 * manifest edited in place: metadata.name, with spec.name or metadata.sandbox, or under another
 * default sandbox), or one naming its audience (spec.name) from another sandbox (metadata.name
 * and the sandbox changed together). Its manifest was changed, not removed: blocked, as a move;
 * delete + create would delete the audience.
 */
export function changedStep(
  record: AudienceRecord,
  manifest: DesiredManifest,
  assumed = false,
  /** The flags its commands carry (src/text/paste-flags.ts). */
  paste?: PasteFlags,
): Step {
  const { key } = record;
  const from = record.sandbox;
  const to = manifest.sandbox;
  const { file } = manifest;
  const otherSandbox = to !== from;
  const explicit = manifest.manifest.metadata.sandbox !== undefined;
  const known = waitingName(record);
  const defaultNote =
    otherSandbox && !explicit ? ` (it names no sandbox, and the default sandbox is now "${to}")` : '';
  const keepSandbox = explicit
    ? `set metadata.name back to ${key} and metadata.sandbox back to ${from} in ${file}`
    : `set metadata.name back to ${key} and metadata.sandbox: ${from} in ${file} (or set the name back and plan with --sandbox ${from})`;
  const keep = otherSandbox ? keepSandbox : `set metadata.name back to ${key} in ${file}`;
  const unsettled = settleFirst(record, keep, paste);
  // An id no manifest can have (`Bad Key`) cannot be set back: the audience is kept by an import.
  const importIt = `\`${stateImportCommand(manifest.key, to, paste, importedId(record, assumed))}\``;
  // MANIFESTS_DIR's note comes after the commands that follow (there).
  const stray = strayMoveText(record, `${to}/${manifest.key}`, `${importIt}.`, paste);
  const forget = `\`${forgetCommand(key, from, paste)}\``;
  const applyTo = `\`audiencectl apply ${manifestsScope(paste)}${explicit || !otherSandbox ? '' : ` --sandbox ${to}`}${pastedFlags(paste, 'apply')}\``;
  // MANIFESTS_DIR is said once, after the last command that names it.
  const there = otherSandbox
    ? ` If it already exists in "${to}", instead: ${forget}, then \`${stateImportCommand(manifest.key, to, paste)}\`${manifestsDirNote(paste)}.`
    : `${manifestsDirNote(paste)}.`;
  // Its own file, edited: taking the new manifest out for one apply removes the old one.
  const own = record.manifestFile === file;
  const remove = own
    ? ` To delete the audience instead: take the manifest of ${manifest.key} out of ${file} (remove the file if nothing else is left in it) and apply, then put it back.`
    : '';
  const changes: FieldChange[] = [
    ...(manifest.key === key
      ? []
      : [{ path: 'metadata.name', before: key, after: manifest.key, forcesReplacement: false }]),
    ...(otherSandbox ? [{ path: 'sandbox', before: from, after: to, forcesReplacement: false }] : []),
  ];
  return {
    ...baseStep(
      record,
      'move',
      `${file} now names ${to}/${manifest.key}${defaultNote}, but its audience${known === undefined ? '' : ` ("${known}")`} is recorded as ${from}/${key}`,
    ),
    source: `${file}:${manifest.line}`,
    changes,
    blocked:
      `a manifest that now names another key is never applied as delete + create. ` +
      (unsettled !== undefined
        ? `First, ${unsettled}`
        : `${stray ?? `To keep the audience: ${keep}.`} To create ${to}/${manifest.key} as a new audience: ${forget} (the audience in "${from}" stays, unmanaged), then ${applyTo}${otherSandbox ? '.' : ''}${there}${remove}`) +
      assumedNote(assumed, manifest, otherSandbox),
  };
}
