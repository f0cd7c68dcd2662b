import type { AudienceRecord } from '../state/schema.js';
import type { Step } from './schema.js';
import { createUnsettled, isWaiting } from '../state/waiting.js';
import { baseStep } from './move-steps.js';
import { forgetCommand, manifestsCommand, manifestsDirNote, type PasteFlags } from '../text/paste-flags.js';
import { settledBy } from './create-settled-by.js';
import { unverifiedWithoutName } from './unverified-import.js';
import type { RemovedIn } from './elsewhere.js';

/**
 * What follows `manifest removed` in the reason of the delete of an id `state import
 * --without-manifest` recorded without credentials: nothing names the audience it should be,
 * so the apply reads what it names and holds the delete (apply/delete-check.ts verdictOf); the
 * plan, which reads nothing, says so.
 */
const UNCHECKED_ID =
  '; `audiencectl state import` recorded its id without AEP credentials or a manifest, so nothing has checked which audience it names: the apply reads it and holds the delete, naming that audience, until an import with AEP credentials verifies the id';

/**
 * The record of the same sandbox that holds this waiting record's create: a carried create
 * (waiting-move.ts) writes the record under its new key before it removes the old one, so a
 * kill between the two leaves a copy behind.
 */
function carriedTo(
  record: AudienceRecord,
  records: ReadonlyMap<string, AudienceRecord>,
): AudienceRecord | undefined {
  if (!isWaiting(record) || !createUnsettled(record)) return undefined;
  for (const other of records.values()) {
    if (other.sandbox !== record.sandbox || other.key === record.key) continue;
    const sameIntent = record.intent !== undefined && other.intent?.id === record.intent.id;
    const sameOperation = record.intent === undefined && other.operationId === record.operationId;
    if (sameIntent || sameOperation) return other;
  }
  return undefined;
}

/**
 * Why a record is removed, naming the manifest file it was applied from when it is recorded
 * (`manifest removed (loyalty/gold.yaml)`), as every other step names its file: with the
 * diff folded away, a plan or a pull request's comment that said only `manifest removed` did
 * not tell a reviewer which file's removal they were approving. The file is as the plan's other
 * steps show theirs, relative to the directory planned. Where git shows the work tree removing
 * it (`removedIn`), the commit that did (`, in commit 1a2b3c4`), or that it is not committed yet.
 */
function removed(record: AudienceRecord, removedIn: RemovedIn | undefined): string {
  const { manifestFile } = record;
  if (manifestFile === undefined) return 'manifest removed';
  if (removedIn === undefined) return `manifest removed (${manifestFile})`;
  const by =
    removedIn.commit === undefined ? 'not committed yet' : `in commit ${removedIn.commit.slice(0, 7)}`;
  return `manifest removed (${manifestFile}, ${by})`;
}

/** A record whose manifest is gone from a covered, completely read source. */
export function removalStep(
  record: AudienceRecord,
  records: ReadonlyMap<string, AudienceRecord>,
  /** The flags its commands carry (src/text/paste-flags.ts). */
  paste?: PasteFlags,
  /** Which commit removed its file, where git shows it (elsewhere.ts RemovedIn). */
  removedIn?: RemovedIn,
): Step {
  const why = removed(record, removedIn);
  const copy = carriedTo(record, records);
  if (copy !== undefined) {
    return baseStep(
      record,
      'forget',
      `its record was moved to ${copy.key}, which holds its create (an apply stopped before removing this copy)`,
    );
  }
  if (record.deletionPolicy === 'Orphan') {
    return baseStep(record, 'forget', `${why}; deletionPolicy Orphan keeps the remote audience`);
  }
  if (unverifiedWithoutName(record)) return baseStep(record, 'delete', `${why}${UNCHECKED_ID}`);
  // The create operation names the audience: ours, so it may be deleted once the operation says which.
  if (record.audienceId || (record.operationId && !record.blocked)) {
    return baseStep(record, 'delete', why);
  }
  const step = baseStep(record, 'forget', `${why}; no audience id was recorded, so nothing can be deleted`);
  if (!record.blocked && !record.intent) return step;
  if (!record.blocked && record.intent?.kind === 'create')
    return { ...step, blocked: createInterrupted(record, paste) };
  // Pointing the record at an id (state import) could name someone else's audience: only forgetting is safe.
  const doubt = record.blocked ? record.blocked.message : `a ${record.intent!.kind} call was interrupted`;
  return {
    ...step,
    blocked: `the audience may exist remotely (${doubt}) but audiencectl never learned its id; to drop the record and leave any remote audience alone, run: ${forgetCommand(record.key, record.sandbox, paste)}`,
  };
}

/**
 * Why a removed manifest whose create was interrupted is not deleted, and the ways out. Its
 * audience, if the POST made one, is audiencectl's own (the intent proves it), but only the
 * create's resume may settle which audience that is (adopted by name, or created): a removal
 * that looked it up and deleted it would act on a name lookup alone, and could delete someone
 * else's audience. So the way that deletes it is the manifest put back for one apply. That apply
 * settles the create as the create step does: while the earlier POST may still land unlisted it
 * holds it (exit 3), and where the record shows no time for that POST, on every apply
 * (steps/create-hold.ts): said so, as the plan of the create itself says (resume-create.ts).
 */
function createInterrupted(record: AudienceRecord, paste: PasteFlags | undefined): string {
  const manifest = record.manifestFile ?? 'its manifest';
  const again = 'then remove the manifest again, and the next apply deletes the audience. ';
  return (
    "its create was interrupted: the audience it made very likely exists in AEP and is audiencectl's own, but audiencectl never learned its id, so it cannot be deleted now. " +
    `To delete it: put ${manifest} back and run \`${manifestsCommand('apply', paste)}\`${manifestsDirNote(paste)}: ${settledBy(record, paste)} ${again}` +
    `To leave it in AEP, unmanaged: \`${forgetCommand(record.key, record.sandbox, paste)}\` (that drops only the record)`
  );
}
