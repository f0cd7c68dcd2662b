import { stat } from 'node:fs/promises';
import { refuseInterruptedSwap } from './dir-swap.js';
import { StateError, StateReadError, reasonOf } from './errors.js';
import {
  holdsOnlyFormerRuns,
  reclaimedRuns,
  runsOnlyRemnant,
  withoutStaleFormerRuns,
} from './current-runs.js';
import { formerAudienceNote, keptRunsOnlyNote } from './describe.js';
import { dropTaken, runsHeldElsewhere, takenRunsNotes, type RunsElsewhere } from './runs-elsewhere.js';
import { newRecord, withoutBlocked } from './record-changes.js';
import type { AudienceRecord, RunRecord } from './schema.js';
import { recordId } from './record-id.js';
import { byOwnAccount, ownCreators } from './own-creators.js';
import { createBegan, createdBeforeText, createdVersusBegan, type CreatedVerdict } from './create-window.js';
import type { StateStore } from './store.js';
import { pastedFlags, type PasteFlags } from '../text/paste-flags.js';
import { escapeText } from '../text/safe-text.js';

/** Inspecting commands need an existing store: a mistyped --state must not look empty. */
export async function assertStateDir(dir: string, flag = '--state'): Promise<void> {
  // Moved aside by a migrate killed mid-swap: say so, not "no state directory" or "empty".
  await refuseInterruptedSwap(dir);
  try {
    if ((await stat(dir)).isDirectory()) return;
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'ENOENT') {
      throw new StateError(
        'STATE_NOT_FOUND',
        `no state directory at ${escapeText(dir)}; pass ${flag} <dir> to point at one`,
      );
    }
    throw new StateReadError(
      'STATE_UNREADABLE',
      `cannot read state directory ${escapeText(dir)}: ${reasonOf(error)}`,
      {
        cause: error,
      },
    );
  }
  throw new StateReadError(
    'STATE_UNREADABLE',
    `${escapeText(dir)} is not a directory; pass ${flag} <dir> to point at one`,
  );
}

/** Sandboxes holding a record for `key`. */
export async function sandboxesWithKey(store: StateStore, key: string): Promise<string[]> {
  return (await store.list()).filter(([, k]) => k === key).map(([sandbox]) => sandbox);
}

export function notFound(dir: string, sandbox: string, key: string, elsewhere: string[]): StateError {
  const hint = elsewhere.length > 0 ? `; it exists in sandbox ${elsewhere.join(', ')}: pass --sandbox` : '';
  return new StateError(
    'STATE_RECORD_NOT_FOUND',
    `no record for ${recordId(sandbox, key)} in ${escapeText(dir)}${hint}`,
  );
}

/**
 * What the service showed of an imported audience: when it was created (epoch seconds, AEP's
 * clock) and by whom, where it says; and AEP's clock minus the local one as its answer's Date
 * header showed it (`clockOffset`, seconds), when it did.
 */
export type AudienceShown = {
  createdSeconds?: number;
  /** The creation time in epoch ms (aep/segment-types.ts createdMs), when shown; else `createdSeconds`. */
  createdMs?: number;
  createdBy?: string;
  clockOffset?: number;
  /**
   * The service's count of the audience's runs, read after its verification, and the time just
   * after (an ISO string): the import's `at`, so that no run begun after the count is history.
   */
  runsCounted?: { count: number; at: string };
};

/**
 * `own`: the record waited for a create audiencectl sent, and the audience imported answers it:
 * adopted as an apply adopts it, its first run still owed. `outside`: an audience made outside
 * audiencectl, as far as the record shows: counted as already ingested (`imported`). `unproven`:
 * the record waited for its own create, but the audience was not shown to be that create's: counted
 * as already ingested too (a first run from 0 into someone else's cannot be taken back).
 */
export type ImportOrigin = 'own' | 'outside' | 'unproven';
export type ImportResult = { record: AudienceRecord; notes: string[]; origin: ImportOrigin };

/**
 * Records that `key` is the existing remote audience `audienceId`: how a user repairs
 * an audience that "exists remotely, id unknown". Clears the blocked mark and resolves
 * a pending create with this audience (the create evidently happened). Refuses to re-point a record
 * at another audience unless `force`, since the old one would be left unmanaged.
 */
export async function importAudience(
  store: StateStore,
  target: {
    /** The flags the commands its messages print carry (src/text/paste-flags.ts). */
    paste?: PasteFlags | undefined;
    sandbox: string;
    key: string;
    audienceId: string;
    force: boolean;
    /** When the import happened, and the manifest's `ingestion.request` token then. */
    imported?: AudienceRecord['imported'];
    manifestFile?: string | undefined;
    /** The directory `manifestFile` is relative to (AudienceRecord.sourceRoot), and its repository. */
    sourceRoot?: string | undefined;
    repository?: string | undefined;
    /**
     * Checks the id with the service, after the checks the store can make alone; throws to refuse.
     * Returns what the service showed of the audience; undefined when it could not be asked
     * (no credentials): then nothing proves the audience is the record's own create's.
     */
    verify?: () => Promise<AudienceShown | undefined>;
    /**
     * The instant (epoch seconds, the runs' clock) at or before which a run of a deleted audience
     * no longer counts against the daily run budget, read once `verify` has run: such runs of a
     * record waiting for its create go when its audience is imported, as when a create is recorded.
     */
    budgetHorizon?: () => number;
  },
): Promise<ImportResult> {
  const { sandbox, key, audienceId, force } = target;
  const facts: { imported?: AudienceRecord['imported'] } & ReturnType<typeof fileFacts> = {
    ...(target.imported === undefined ? {} : { imported: target.imported }),
    ...fileFacts(target),
  };
  // One audience, one manifest: two keys on one id would PATCH it both ways and delete it twice.
  // Read once, under the lock: the owner check here, whose creates the sandbox shows below.
  const records = (await store.readAll()).audiences;
  const owner = records.find((r) => r.audienceId === audienceId && (r.sandbox !== sandbox || r.key !== key));
  if (owner) {
    throw new StateError(
      'STATE_IMPORT_DUPLICATE',
      `audience ${audienceId} is already recorded for ${recordId(owner.sandbox, owner.key)}; an audience belongs to one manifest (if it moved, \`audiencectl state forget ${owner.key} --sandbox ${owner.sandbox}${pastedFlags(target.paste, 'state')}\` first)`,
    );
  }
  const existing = await store.get(sandbox, key);
  const replacing = existing?.audienceId !== undefined && existing.audienceId !== audienceId;
  if (replacing && !force) {
    throw new StateError(
      'STATE_IMPORT_CONFLICT',
      `${recordId(sandbox, key)} already points at audience ${existing.audienceId}; pass --force to point it at ${audienceId} instead (audience ${existing.audienceId} is then no longer managed)`,
    );
  }
  const shown = await target.verify?.();
  if (shown?.runsCounted && facts.imported) {
    const { count, at } = shown.runsCounted;
    facts.imported = { ...facts.imported, at, runsCounted: count };
  }
  const notes: string[] = [];
  if (existing?.blocked) notes.push(`cleared the blocked mark (${existing.blocked.code})`);
  // As adoption and discover say it (plan/adopt.ts): over a runs-only record, which audience this is.
  const former =
    existing && holdsOnlyFormerRuns(existing)
      ? formerAudienceNote(existing, {
          audienceId,
          createdAt: shown?.createdSeconds,
          createdBy: shown?.createdBy,
        })
      : '';
  if (former !== '') notes.push(`audience ${audienceId}${former}`);
  // Its runs that count, kept under another key since its audience was forgotten there (a rename),
  // added to `into`, the runs the record is to hold.
  const takeInto = (into: readonly RunRecord[]) =>
    runsHeldElsewhere(records, target, audienceId, target.budgetHorizon?.() ?? 0, into);
  /** The import's write is made: the runs it took go from where they were, and it says so. */
  const done = async (elsewhere: RunsElsewhere, result: ImportResult): Promise<ImportResult> => {
    notes.push(...takenRunsNotes(await dropTaken(store, elsewhere)));
    return result;
  };
  if (replacing) {
    // What was recorded (applied spec, operation, intent) describes the old audience; its runs
    // that still count against the sandbox's daily run budget stay, marked as its (as a forget
    // keeps them, runsOnlyRemnant): pointing the key elsewhere does not un-start them.
    const kept = target.budgetHorizon ? runsOnlyRemnant(existing, target.budgetHorizon()) : undefined;
    notes.push(
      `forgot what was recorded about audience ${existing.audienceId}${kept ? ` (${keptRunsOnlyNote(kept, 'that audience')})` : ''}`,
    );
    const elsewhere = takeInto(kept?.runs ?? []);
    const fresh = {
      ...newRecord(sandbox, key, existing.deletionPolicy),
      audienceId,
      ...facts,
      runs: elsewhere.runs,
    };
    // One write: an intent is resolved by the new record itself. Removed first and then put, a
    // process killed between the two left no record: the runs that still count and the intent lost.
    if (!existing.intent)
      return done(elsewhere, { record: await store.put(fresh), notes, origin: 'outside' });
    const resolved = await store.resolveIntent(existing, { kind: 'replace', record: fresh });
    // A replace always answers with the record it wrote.
    return done(elsewhere, { record: resolved!, notes, origin: 'outside' });
  }
  // Imported into a record waiting for its create: what a recorded create drops goes. Runs of
  // this very audience (a forgotten audience's runs-only record, imported back) are its own again.
  const waited = existing?.audienceId === undefined ? existing : undefined;
  const own = waited && reclaimedRuns(waited, audienceId);
  let runs: { runs?: AudienceRecord['runs'] } = own ? { runs: own } : {};
  if (waited && target.budgetHorizon)
    runs = { runs: withoutStaleFormerRuns(own ?? waited.runs, target.budgetHorizon()) };
  const elsewhere = takeInto(runs.runs ?? existing?.runs ?? []);
  if (elsewhere.sources.length > 0) runs = { runs: elsewhere.runs };
  const unproven = existing && notShownOwn(existing, shown, ownCreators(records, sandbox));
  if (existing && unproven) {
    notes.push(`${pendingCreateOf(existing)} is resolved by this audience, but ${unproven}`);
    // The person says the create is settled: its intent goes, in the one write that records the id.
    const settled = withoutMark(withoutBlocked({ ...existing, audienceId, ...facts, ...runs }));
    delete settled.pendingCreate;
    if (!existing.intent)
      return done(elsewhere, { record: await store.put(settled), notes, origin: 'unproven' });
    const resolved = await store.resolveIntent(existing, { kind: 'replace', record: settled });
    if (resolved) return done(elsewhere, { record: resolved, notes, origin: 'unproven' });
  } else if (existing && ownCreatePending(existing)) {
    const unclocked = createdAgainst(existing, shown);
    const though =
      unclocked?.kind === 'unclocked' ? `, though created ${createdBeforeText(unclocked, 'that')}` : '';
    notes.push(
      `${pendingCreateOf(existing)} is answered by this audience: adopted as the audience audiencectl's create made, as an apply adopts it${though}`,
    );
    // One write: the audience id never stands beside the deleted audience's spec (withoutMark),
    // and an intent is resolved in it, as there is nothing left to resume.
    const answered = { ...adoptedCreate(existing, audienceId, target), ...runs };
    if (!existing.intent) return done(elsewhere, { record: await store.put(answered), notes, origin: 'own' });
    const resolved = await store.resolveIntent(existing, { kind: 'replace', record: answered });
    if (resolved) return done(elsewhere, { record: resolved, notes, origin: 'own' });
  }
  const base = existing ?? newRecord(sandbox, key);
  // Importing the id a record already has changes nothing it knows about the audience.
  const known = existing?.audienceId === audienceId ? {} : facts;
  const marked = existing?.audienceId === undefined && existing?.applied !== undefined;
  if (marked)
    notes.push(
      "dropped the name of its deleted audience the record kept: no create of audiencectl's was under way in it, so this audience is taken as made outside audiencectl",
    );
  const imported = existing?.audienceId === undefined ? withoutMark(base) : base;
  const record = await store.put({
    ...withoutBlocked(verifiedNow(imported, shown)),
    audienceId,
    ...known,
    ...runs,
  });
  return done(elsewhere, { record, notes, origin: 'outside' });
}

/**
 * Whether `record` waits for a create audiencectl sent, which an audience of its name answers:
 * its intent (the POST may have made it), or its operation or its body (pendingCreate) once
 * the POST was answered. A blocked record is not: its create's 409 found the name held by an
 * audience its own lookup did not take for its own, and the block dropped what it sent. Nor is
 * a record holding only the mark of a deleted audience's name or its runs: no create of ours
 * was made into it, and the next apply's create would block on an audience listed under the
 * name as someone else's.
 */
function ownCreatePending(record: AudienceRecord): boolean {
  if (record.audienceId !== undefined) return false;
  if (record.intent?.kind === 'create') return true;
  if (record.blocked) return false;
  return record.operationId !== undefined || record.pendingCreate !== undefined;
}

const NOT_SHOWN = 'not shown to be the audience that create made, so it is taken as made outside audiencectl';

/**
 * When `record` waits for a create of its own and the audience imported is not shown to be that
 * create's by the rules the apply's lookup (find-created.ts findOwnCreate) adopts by: created no
 * earlier than that create began (its intent, or its POST's answer: createdVersusBegan), and by
 * an account audiencectl's may be (byOwnAccount: not another than the one the sandbox's creates
 * show, `creators`; with none shown, the sandbox's first create, not a person's account, and the
 * time decides): what
 * the note says of it. Without that proof (no credentials, no creation time shown) it is never
 * adopted as its own.
 */
function notShownOwn(
  record: AudienceRecord,
  shown: AudienceShown | undefined,
  creators: ReadonlySet<string>,
): string | undefined {
  if (!ownCreatePending(record)) return undefined;
  if (shown === undefined)
    return `without AEP credentials who created it, and when, could not be checked: ${NOT_SHOWN}`;
  const verdict = createdAgainst(record, shown);
  const created = createdMsOf(shown);
  if (verdict?.kind === 'earlier' && created !== undefined)
    return `the service says it was created at ${new Date(created).toISOString()}, ${createdBeforeText(verdict, 'that')}: it is taken as made outside audiencectl`;
  // With no record showing audiencectl's account, only a person's account fails the rule.
  if (!byOwnAccount(shown.createdBy, creators))
    return creators.size === 0
      ? `the service says it was created by ${shown.createdBy ?? ''}, a person's account, not the technical account audiencectl creates with: ${NOT_SHOWN}`
      : `the service says it was created by ${shown.createdBy ?? ''}, not by audiencectl's account in sandbox "${record.sandbox}" (${[...creators].join(', ')}): ${NOT_SHOWN}`;
  if (verdict === undefined)
    return `the service shows no creation time of it to compare with when that create began: ${NOT_SHOWN}`;
  return undefined;
}

function createdMsOf(shown: AudienceShown | undefined): number | undefined {
  if (shown?.createdMs !== undefined) return shown.createdMs;
  return shown?.createdSeconds === undefined ? undefined : shown.createdSeconds * 1000;
}

/**
 * The audience's creation time against when the record's create began (createdVersusBegan, in
 * AEP's clock as the create recorded it, else by the offset the import's answer showed);
 * undefined when either is unknown.
 */
function createdAgainst(
  record: AudienceRecord,
  shown: AudienceShown | undefined,
): CreatedVerdict | undefined {
  const created = createdMsOf(shown);
  const began = createBegan(record, shown?.clockOffset);
  return created === undefined || began === undefined ? undefined : createdVersusBegan(created, began);
}

/** How the import's note names the create it resolves. */
function pendingCreateOf(record: AudienceRecord): string {
  if (record.intent?.kind === 'create') return `the pending create intent from ${record.intent.startedAt}`;
  if (record.operationId !== undefined) return `the pending create (operation ${record.operationId})`;
  return 'the pending create';
}

type FileTarget = Partial<Record<'manifestFile' | 'sourceRoot' | 'repository', string | undefined>>;

/**
 * The manifest file an import records, with the directory it is relative to and its repository,
 * as an apply records them (a plan of another directory then holds the audience's removal while
 * the file is there: plan/elsewhere.ts, `beside`; one of another repository leaves it alone).
 */
function fileFacts({ manifestFile, sourceRoot, repository }: FileTarget): FileTarget {
  if (manifestFile === undefined) return {};
  return {
    manifestFile,
    ...(sourceRoot === undefined ? {} : { sourceRoot }),
    ...(repository === undefined ? {} : { repository }),
  };
}

/**
 * The record as adoptOwnCreate leaves it: the audience id, and the spec the create sent recorded
 * as applied when it is known (pendingCreate), with the import's time, commit and
 * `ingestion.request` token; otherwise no spec, and the next plan PATCHes the changeable
 * properties. Never `imported`: the audience is the one audiencectl created, not one that holds
 * data already, so the first run the manifest asks for stays owed (plan/runs.ts dueRun).
 */
function adoptedCreate(
  existing: AudienceRecord,
  audienceId: string,
  target: { imported?: AudienceRecord['imported'] } & FileTarget,
): AudienceRecord {
  const record = withoutMark(withoutBlocked({ ...existing, audienceId }));
  delete record.pendingCreate;
  delete record.imported;
  Object.assign(record, fileFacts(target));
  const sent = existing.pendingCreate;
  const at = target.imported?.at;
  if (sent === undefined || at === undefined) return record;
  const { ingestionRequest, revision } = target.imported ?? {};
  record.applied = {
    spec: sent.spec,
    hash: sent.hash,
    ...(ingestionRequest === undefined ? {} : { ingestionRequest }),
    at,
    ...(revision === undefined ? {} : { revision }),
  };
  return record;
}

/**
 * A record without an audience id holds `applied` only as the mark of the name its replace
 * deleted an audience under (keptByReplace, heldUnlisted): what was applied to that deleted
 * audience, not to the one imported. Kept, the plan would diff the manifest against it, find
 * the change that made the replace, and replace (delete) the audience just imported.
 */
function withoutMark(record: AudienceRecord): AudienceRecord {
  const rest = { ...record };
  delete rest.applied;
  return rest;
}

/**
 * The id an import without credentials recorded, imported again and verified now (`shown`: the
 * service was asked): the unverified mark goes, as the apply's own check drops it, so the delete
 * it held (apply/delete-check.ts) or the first PATCH is sent without another read.
 */
function verifiedNow(record: AudienceRecord, shown: AudienceShown | undefined): AudienceRecord {
  if (shown === undefined || record.imported?.unverified !== true) return record;
  const imported = { ...record.imported };
  delete imported.unverified;
  return { ...record, imported };
}
