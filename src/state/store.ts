import type { CompatChoices, LearnedChoice } from '../aep/compat-schema.js';
import type { HeldLock, LockInfo, LockOptions } from './lock.js';
import type { QuietRecord } from './quiet-record.js';
import type { OrgOf } from './org-binding.js';
import type { RecordChanges } from './record-changes.js';
import type { ReadAllOptions, RecordVersions, VersionsAsked } from './record-version.js';
import type { SandboxRevisions } from './sandbox-revisions.js';
import type {
  SandboxMark,
  AudienceRecord,
  AudienceRecordInput,
  Intent,
  RecordedState,
  StateMeta,
} from './schema.js';

export type IntentKind = Intent['kind'];
export type IntentExtra = Pick<
  Intent,
  | 'specHash'
  | 'unseenChanged'
  | 'runReason'
  | 'dataFilterStartTime'
  | 'knownRunIds'
  | 'listedAll'
  | 'countedBefore'
  | 'forReplace'
  | 'audienceId'
>;

/**
 * How a mutating call ended: `update` merges what the service returned and clears
 * the intent; `remove` drops the record (the remote audience is gone); `replace` writes
 * `record` in its place, without the intent (a create that made nothing, or a replace's
 * DELETE, whose record waits for its create: see withoutCreate, keptByReplace).
 */
export type IntentOutcome =
  | { kind: 'update'; changes: RecordChanges }
  | { kind: 'remove' }
  | { kind: 'replace'; record: AudienceRecordInput };

/** What StateStore.deleteStray did: `record`, what the removed record held, when it could be read. */
export type StrayRemoval = { removed: boolean; record: AudienceRecord | undefined };

/** A replica's listening for pushes other replicas verified (StateStore.listenForPushes). */
export type PushListener = { close(): Promise<void> };

/**
 * The methods of StateStore that write: fenced by the state commands once a signal came
 * (fenceWrites), watched by the controller for a store that takes no writes (watchWrites).
 */
export const STORE_WRITES: ReadonlySet<PropertyKey> = new Set<keyof StateStore>([
  'put',
  'delete',
  'deleteStray',
  'replaceIfUnchanged',
  'beginIntent',
  'resolveIntent',
  'releaseOrg',
  'markRevision',
  'restore',
]);

/**
 * What audiencectl recorded about remote audiences: the only map from a manifest to
 * its audience. Reads need no lock; every write needs the lock held by this store.
 */
export interface StateStore {
  /** Where the store lives, for messages. */
  readonly location: string;
  readAll(options?: ReadAllOptions): Promise<RecordedState>;
  get(sandbox: string, key: string): Promise<AudienceRecord | undefined>;
  /** Lineage and serial; `undefined` until the first write. */
  meta(): Promise<StateMeta | undefined>;
  /** Writes a record (validated, runs bounded) and returns it as stored. */
  put(record: AudienceRecordInput): Promise<AudienceRecord>;
  /** Removes a record; false when there was none. */
  delete(sandbox: string, key: string): Promise<boolean>;
  /**
   * Removes the record stored under exactly `sandbox`/`key` when a manifest cannot have that
   * id (a row inserted or edited by hand, a record file renamed; a directory store refuses a name
   * that could leave its folder of records, assertStrayId, a PostgreSQL store none), and returns what
   * it held (undefined when corrupt). Only `state forget`, once the store listed that id: every
   * other write takes a manifest's id only, so such a record is never written, nor its audience
   * deleted. Both stores have it (RecordWrites); the controller's wrappers of a store do not.
   */
  deleteStray?(sandbox: string, key: string): Promise<StrayRemoval>;
  /**
   * Writes `next` in place of `expected` (removes it when undefined) only while the stored
   * record is still `expected`; false, with nothing written, once anything else changed it.
   */
  replaceIfUnchanged(expected: AudienceRecord, next: AudienceRecordInput | undefined): Promise<boolean>;
  /**
   * Records, durably, that a mutating call is about to be made for `record`. Call it
   * BEFORE the call; refuses (INTENT_PENDING) while an earlier intent is unresolved.
   */
  beginIntent(record: AudienceRecordInput, kind: IntentKind, extra?: IntentExtra): Promise<AudienceRecord>;
  /**
   * Records the outcome of the call announced by `record.intent` and clears the
   * intent; refuses (INTENT_MISMATCH) if the stored intent is another one.
   */
  resolveIntent(record: AudienceRecord, outcome: IntentOutcome): Promise<AudienceRecord | undefined>;
  /**
   * Takes the store-wide lock (see LockOptions); throws STATE_LOCKED when held elsewhere,
   * and, after `useOrgs`, STATE_OTHER_ORG (lock let go) when the store is another org's.
   */
  lock(options?: LockOptions): Promise<LockInfo>;
  /**
   * The IMS org this process's AEP calls go to, per sandbox: from now on `lock` refuses a
   * store whose meta binds a sandbox to another org (assertSameOrgs), and a write of a record
   * binds its sandbox when nothing does yet (in the meta, with the serial). Told by every
   * command that calls AEP; a store never told checks and binds nothing.
   */
  useOrgs(orgOf: OrgOf): void;
  /**
   * Under the lock: forgets `sandbox`'s binding when it is `orgId` and the store holds no
   * record in `sandbox`, in a meta write that moves the serial; false, nothing written,
   * otherwise. For a first create AEP refused as not the org of its client (100921-401): its
   * intent bound the sandbox (a POST may make an audience, so the binding comes before it),
   * but nothing was made and nothing is left that the binding could speak for, and kept it
   * would refuse every apply once the org is put right (review-35a M-1).
   */
  releaseOrg(sandbox: string, orgId: string): Promise<boolean>;
  /**
   * The commit an apply (or a controller's pass) is applying its steps from, told once its
   * plan passed the older-checkout check; `undefined` when it is done. Meanwhile every write
   * of a record sets its sandbox's mark (StateMeta.revisions) to it, in the meta write that
   * moves the serial: a call for a sandbox is never made before the mark is durable (an intent
   * is written first); a write that changes nothing moves nothing (markRevision is the apply's
   * way to mark the sandboxes it planned and wrote nothing to). `bySandbox`: the mark the apply
   * worked out for a sandbox, with the rollbacks it keeps (plan/older-checkout.ts, markAfter),
   * set instead of `revision` for that sandbox.
   */
  useRevision(revision: SandboxMark | undefined, bySandbox?: SandboxRevisions): void;
  /**
   * Under the lock: sets the mark of each of `sandboxes` to `revision` (or its mark in
   * `bySandbox`), in one meta write that moves the serial, when any of them is another; writes
   * nothing when none is. What an apply that wrote nothing to a sandbox it planned leaves there
   * (apply-flow.ts, markPlanned).
   */
  markRevision(
    sandboxes: readonly string[],
    revision: SandboxMark,
    bySandbox?: SandboxRevisions,
  ): Promise<void>;
  unlock(): Promise<void>;
  /** Every `[sandbox, key]` with a record, sorted. */
  list(): Promise<Array<[sandbox: string, key: string]>>;
  /**
   * Replaces everything, lineage and serial included, with `snapshot` (under the lock), all
   * or nothing. Once `signal` fires it stops before the change is made, throwing its reason.
   */
  restore(snapshot: RecordedState, signal?: AbortSignal): Promise<void>;
  /**
   * Creates the store, or brings its schema up to date (`audiencectl init`); other
   * commands only check it. Returns what it did, one line each.
   */
  init(): Promise<string[]>;
  /** Lets go of the lock and every connection. */
  close(): Promise<void>;
  /**
   * True when processes on several hosts may share the store (PostgreSQL): its lock
   * is then also the controller's leader election.
   */
  readonly shared: boolean;
  /**
   * Called once if the held lock is lost: a shared store's connection failed, or another
   * process took a directory store's lock over while this one stalled.
   */
  onLockLost?(listener: (error: Error) => void): void;
  /**
   * Shared stores: tells every replica of this controller (this one too) that a webhook push
   * was verified, so the leader syncs whichever replica the delivery reached.
   */
  hintPush?(): Promise<void>;
  /**
   * Shared stores: calls `onHint` for each hintPush of any replica, until closed; `onError`
   * once for each failure of the listening (it listens again), `onListening` once it works again.
   */
  listenForPushes?(
    onHint: () => void,
    onError: (error: unknown) => void,
    onListening: () => void,
  ): PushListener;
  /**
   * Whether a write may be half done now, its serial bumped and its record not yet
   * written, so that a read pairs the new serial with the old record: for the directory
   * store, while anyone holds its lock; never for PostgreSQL (one statement changes
   * both). Lets a cache keep a read made without the lock (src/daemon/cached-reads.ts).
   */
  midWrite?(): Promise<boolean>;
  /**
   * The versions now of the records asked for, without reading one (a stat a record file; one
   * query): a record not there has none. Compared with those a readAll gave (ReadAllOptions), it tells each record
   * changed since that read by anyone, the store or something bypassing it.
   */
  recordVersions?(asked: VersionsAsked): Promise<RecordVersions>;
  /**
   * What tells two stores apart, whatever spelling reached them (`state migrate` refuses one
   * store as both --from and --to): a directory's real path; a PostgreSQL server's start
   * time and port, the database and the schema. `signal` ends a connect still waited for.
   */
  identity?(signal?: AbortSignal): Promise<string>;
}

/**
 * What the API client learned about the readings of the reference page (src/aep/compat.ts),
 * kept beside the records by both stores (compat.json, the `compat` table). A cache, not
 * state: it needs no lock, moves no serial, is not copied by `state migrate`, and losing it
 * only costs a probe.
 */
export interface CompatStore {
  /**
   * Resolves once the store can be used at all (a PostgreSQL store: connected, its schema
   * current); throws the store's own error otherwise, which is no unreadable memory.
   */
  ready?(): Promise<void>;
  /** What is remembered for `baseUrl`; `{}` when nothing. Throws StateReadError when corrupt. */
  readCompat(baseUrl: string): Promise<CompatChoices>;
  /** Keeps one learned choice for `baseUrl` (between processes the last write wins). */
  rememberCompat(baseUrl: string, learned: LearnedChoice): Promise<void>;
}

/**
 * A shared store's copy of the manifest cache (the PostgreSQL `manifest_cache` table).
 * The cache itself is a local file keyed by each file's stat facts, which only mean
 * something on the machine that took them; the copy seeds a machine that has none (a
 * fresh CI runner, a new controller pod), whose files then only need reading and
 * hashing, not parsing, where their content is unchanged. A cache, not state: no lock,
 * no serial, and losing it only costs a parse.
 */
/**
 * A store that reads for a plan of two kinds (src/plan/quiet.ts), the records in the quiet
 * shape left as lines (QuietRecord, each with its place in `audiences`): a PostgreSQL store's
 * (its rows' lines, pg/record-lines.ts). A directory store's plan reads its snapshot instead.
 */
export interface QuietReader {
  readQuiet(): Promise<{ state: RecordedState; quiet?: { records: QuietRecord[]; at: number[] } }>;
}

/** The store as a QuietReader, if it is one. */
export function quietReaderOf(store: StateStore): QuietReader | undefined {
  return 'readQuiet' in store ? (store as StateStore & QuietReader) : undefined;
}

export interface ManifestCacheMirror {
  /** The cache document last kept for the source directory `source`, if any. */
  readManifestCache(source: string): Promise<string | undefined>;
  writeManifestCache(source: string, document: string): Promise<void>;
}

export type { HeldLock, LockInfo, LockOptions };
