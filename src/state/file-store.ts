import { randomUUID } from 'node:crypto';
import { readFile, stat } from 'node:fs/promises';
import path from 'node:path';
import type { CompatChoices, LearnedChoice } from '../aep/compat-schema.js';
import { CompatFileWriter, readCompatFile } from './compat-file.js';
import { StateReadError, isAbsence, reasonOf } from './errors.js';
import { ensureDirDurable, removeFileDurable, writeFileDurable } from './durable-fs.js';
import {
  leftoversOf,
  midSwapError,
  refuseInterruptedSwap,
  swapInStore,
  swapPathOf,
  sweepLeftovers,
} from './dir-swap.js';
import { dirStoreIdentity } from './dir-identity.js';
import { acquireLock, type HeldLock, type LockInfo, type LockOptions } from './lock.js';
import { audiencesDir, lockPath, metaPath, recordPath } from './paths.js';
import { readMetaFile } from './read-json.js';
import {
  assertSameOrgs,
  orgsField,
  withBinding,
  withoutBinding,
  type OrgBindings,
  type OrgOf,
} from './org-binding.js';
import { revisionsField, withRevision, type SandboxRevisions } from './sandbox-revisions.js';
import { listRecordIds, listSandboxKeys, readState } from './read.js';
import { recordFileFacts, recordFiles } from './record-names.js';
import {
  fileVersion,
  type ReadAllOptions,
  type RecordVersions,
  type VersionsAsked,
} from './record-version.js';
import { readRecordFile } from './read-record.js';
import { assertValidId, assertWriteId, type WriteIds } from './record-id.js';
import { RecordWrites, loadRecordValidation } from './record-writes.js';
import type { AudienceRecord, RecordedState, SandboxMark, StateMeta } from './schema.js';
import { recordId } from './record-id.js';
import type { CompatStore, StateStore } from './store.js';
import { sweepTempFiles } from './sweep.js';
import { escapeText } from '../text/safe-text.js';
import { metaFormat } from './meta-format.js';
import { WriteChains, type WriteDecision } from './write-path.js';
import type { PasteFlags } from '../text/paste-flags.js';

export { assertValidId };

/** Whether a record file is there; one that cannot be looked at is an error, never "no record". */
async function recordFileExists(file: string): Promise<boolean> {
  try {
    await stat(file);
    return true;
  } catch (error) {
    if (isAbsence(error)) return false;
    throw new StateReadError('STATE_UNREADABLE', `cannot read state file ${file}: ${reasonOf(error)}`, {
      cause: error,
    });
  }
}

function serialise(record: AudienceRecord | StateMeta): string {
  return `${JSON.stringify(record, null, 2)}\n`;
}

/**
 * The default store: a directory of small JSON files (see paths.ts), each written
 * atomically, with a lineage and serial in meta.json and a store-wide lock file.
 */
export class FileStateStore extends RecordWrites implements StateStore, CompatStore {
  readonly location: string;
  readonly shared = false;
  #lock: HeldLock | undefined;
  #lineage = '';
  #orgs: OrgBindings = {};
  #orgOf: OrgOf | undefined;
  /** Record writes under way, per sandbox, from their binding to their file (releaseOrg). */
  readonly #writing = new Map<string, number>();
  #revisions: SandboxRevisions = {};
  #revision: SandboxMark | undefined;
  #bySandbox: SandboxRevisions | undefined;
  /** Serial counted in memory (one per write) and the highest one on disk. */
  #wantedSerial = 0;
  #durableSerial = 0;
  #metaWrite: Promise<void> | undefined;
  readonly #chains = new WriteChains();
  #knownDirs = new Set<string>();
  readonly #compat = new CompatFileWriter();

  constructor(dir: string, paste?: PasteFlags) {
    super(paste);
    this.location = path.resolve(dir);
  }

  readAll(options: ReadAllOptions = {}): Promise<RecordedState> {
    return readState(this.location, this.paste, options.versions);
  }

  /** One stat a record file asked for (and a listing of each sandbox's folder asked for), no read. */
  async recordVersions(asked: VersionsAsked): Promise<RecordVersions> {
    const ids = [...asked.ids];
    for (const sandbox of asked.sandboxes)
      for (const key of await listSandboxKeys(this.location, sandbox)) ids.push([sandbox, key]);
    const versions: RecordVersions = new Map();
    recordFiles(this.location, ids).forEach((file, index) => {
      const facts = recordFileFacts(file);
      if (facts) versions.set(recordId(ids[index]![0], ids[index]![1]), fileVersion(facts));
    });
    return versions;
  }

  get(sandbox: string, key: string): Promise<AudienceRecord | undefined> {
    assertValidId(sandbox, key);
    return readRecordFile(recordPath(this.location, sandbox, key), sandbox, key, this.paste);
  }

  meta(): Promise<StateMeta | undefined> {
    return readMetaFile(metaPath(this.location));
  }

  list(): Promise<Array<[sandbox: string, key: string]>> {
    return listRecordIds(this.location);
  }

  readCompat(baseUrl: string): Promise<CompatChoices> {
    return readCompatFile(this.location, baseUrl);
  }

  rememberCompat(baseUrl: string, learned: LearnedChoice): Promise<void> {
    return this.#compat.remember(this.location, baseUrl, learned);
  }

  /** True while the lock file exists, whoever holds it (or when it cannot be looked at). */
  async midWrite(): Promise<boolean> {
    try {
      await stat(lockPath(this.location));
      return true;
    } catch (error) {
      return (error as NodeJS.ErrnoException).code !== 'ENOENT';
    }
  }

  identity(): Promise<string> {
    return dirStoreIdentity(this.location);
  }

  get locked(): boolean {
    return this.#lock !== undefined;
  }

  useOrgs(orgOf: OrgOf): void {
    this.#orgOf = orgOf;
  }

  useRevision(revision: SandboxMark | undefined, bySandbox?: SandboxRevisions): void {
    this.#revision = revision;
    this.#bySandbox = revision === undefined ? undefined : bySandbox;
  }

  async releaseOrg(sandbox: string, orgId: string): Promise<boolean> {
    const held = this.#lock;
    if (!held) throw new Error(`state store ${this.location}: write without holding the lock (bug)`);
    // A write under way in the sandbox is a record the binding speaks for, or soon will be.
    if ((this.#writing.get(sandbox) ?? 0) > 0) return false;
    const bound = withoutBinding(this.#orgs, sandbox, orgId);
    if (bound === this.#orgs) return false;
    // Forgotten before the folder is listed: a write that starts meanwhile binds it again itself.
    this.#orgs = bound;
    let kept = true;
    try {
      kept = (await listSandboxKeys(this.location, sandbox)).length > 0;
    } finally {
      // Records there (or a folder that cannot be listed): the binding stays as it was.
      if (kept && this.#orgs[sandbox] === undefined) this.#orgs = { ...this.#orgs, [sandbox]: orgId };
    }
    if (kept) return false;
    await held.assertHeld();
    await this.#bumpSerial();
    return true;
  }

  /** One meta write, the serial moved with it, when a mark changes; none when every one is `revision`. */
  async markRevision(
    sandboxes: readonly string[],
    revision: SandboxMark,
    bySandbox?: SandboxRevisions,
  ): Promise<void> {
    const held = this.#lock;
    if (!held) throw new Error(`state store ${this.location}: write without holding the lock (bug)`);
    let marks = this.#revisions;
    for (const sandbox of sandboxes) marks = withRevision(marks, sandbox, revision, bySandbox);
    if (marks === this.#revisions) return;
    await held.assertHeld();
    this.#revisions = marks;
    await this.#bumpSerial();
  }

  close(): Promise<void> {
    return this.unlock();
  }

  async init(): Promise<string[]> {
    // A meta.json every other command refuses (a newer audiencectl's format, after a rollback;
    // a damaged one) is no ready store: refused here too, as a PostgreSQL init refuses a newer
    // schema, before anything is made.
    await this.meta();
    await ensureDirDurable(this.location);
    return [`directory state ready at ${escapeText(this.location)}`];
  }

  /**
   * Replaces everything with `snapshot`, lineage and serial included (`state migrate`): all
   * or nothing, the copy staged beside the store and swapped in (dir-swap.ts). `signal` stops
   * it before the swap, the store left as it was.
   */
  async restore(snapshot: RecordedState, signal?: AbortSignal): Promise<void> {
    if (!this.#lock) throw new Error(`state store ${this.location}: write without holding the lock (bug)`);
    await this.#chains.settled();
    await this.#lock.assertHeld();
    const lockText = await readFile(this.#lock.file, 'utf8');
    await swapInStore(this.location, snapshot, lockText, signal);
    // Another folder now: the sandbox folders known so far were the old store's.
    this.#knownDirs.clear();
    this.#lineage = snapshot.meta?.lineage ?? randomUUID();
    this.#orgs = snapshot.meta?.orgs ?? {};
    this.#revisions = snapshot.meta?.revisions ?? {};
    this.#wantedSerial = snapshot.meta?.serial ?? 0;
    this.#durableSerial = this.#wantedSerial;
  }

  async lock(options: LockOptions = {}): Promise<LockInfo> {
    if (this.#lock) throw new Error(`state store ${this.location} is already locked by this process (bug)`);
    // Checked before the folder is made: made while a migrate's swap is pending, an empty folder
    // would stand in the moved-aside store's place (a controller opened the store before the migrate).
    await refuseInterruptedSwap(this.location);
    await ensureDirDurable(this.location);
    await loadRecordValidation();
    const held = await acquireLock(lockPath(this.location), options);
    try {
      // Holding the lock, what is on disk is ours alone: load it once.
      const meta = await this.meta();
      if (meta === undefined) await this.#refuseMidSwap();
      if (this.#orgOf) assertSameOrgs(meta, this.#orgOf, this.location);
      this.#lineage = meta?.lineage ?? randomUUID();
      this.#orgs = meta?.orgs ?? {};
      this.#revisions = meta?.revisions ?? {};
      this.#wantedSerial = meta?.serial ?? 0;
      this.#durableSerial = this.#wantedSerial;
      await sweepTempFiles(this.location);
      // A killed migrate's staged copy, or the store it swapped out, beside this one.
      await sweepLeftovers(this.location);
    } catch (error) {
      await held.release();
      throw error;
    }
    this.#lock = held;
    const { holder, tookOver } = held;
    return tookOver ? { holder, tookOver } : { holder };
  }

  /**
   * A store with no meta.json beside a swapped-out one: a migrate moved the store aside after
   * this lock's first check (it is swapping its copy in), or was killed there and this lock
   * made the folder in the moment between. Used as a new, empty store, an apply would create
   * every audience again.
   */
  async #refuseMidSwap(): Promise<void> {
    const real = await swapPathOf(this.location);
    const previous = (await leftoversOf(real)).retired[0];
    if (previous !== undefined) throw midSwapError(this.location, real, previous, false);
  }

  /** Called once if the held lock is lost: another process took it over while this one stalled. */
  onLockLost(listener: (error: Error) => void): void {
    this.#lock?.onLost(listener);
  }

  async unlock(): Promise<void> {
    const held = this.#lock;
    if (!held) return;
    await this.#chains.settled();
    this.#lock = undefined;
    this.#knownDirs.clear();
    await held.release();
  }

  /**
   * The one write path: under the lock, one record at a time, serial bumped before
   * the record changes, so a crash in between leaves a larger serial, never a
   * changed record under an old serial (a saved plan must not pass on stale state).
   */
  protected override mutate(
    sandbox: string,
    key: string,
    decide: WriteDecision,
    ids: WriteIds = 'manifest',
  ): Promise<void> {
    assertWriteId(sandbox, key, ids);
    const held = this.#lock;
    if (!held) throw new Error(`state store ${this.location}: write without holding the lock (bug)`);
    const file = recordPath(this.location, sandbox, key);
    return this.#chains.run(recordId(sandbox, key), async () => {
      await held.assertHeld();
      const mutation = await decide({
        read: () => readRecordFile(file, sandbox, key, this.paste),
        exists: () => recordFileExists(file),
      });
      if ('none' in mutation) return;
      this.#writing.set(sandbox, (this.#writing.get(sandbox) ?? 0) + 1);
      try {
        // The first write to a sandbox binds it to the org of the calls (the meta is written next).
        this.#orgs = withBinding(this.#orgs, sandbox, this.#orgOf);
        // An apply's commit marks the sandbox in that same meta write, before the record changes.
        this.#revisions = withRevision(this.#revisions, sandbox, this.#revision, this.#bySandbox);
        await this.#bumpSerial();
        if ('remove' in mutation) {
          await removeFileDurable(file);
          return;
        }
        await this.#ensureSandboxDir(sandbox);
        await writeFileDurable(file, serialise(mutation.write));
      } finally {
        this.#writing.set(sandbox, (this.#writing.get(sandbox) ?? 1) - 1);
      }
    });
  }

  /** Writes of different records share one meta.json write when they overlap. */
  async #bumpSerial(): Promise<void> {
    const target = ++this.#wantedSerial;
    while (this.#durableSerial < target) {
      this.#metaWrite ??= this.#flushMeta().finally(() => {
        this.#metaWrite = undefined;
      });
      await this.#metaWrite;
    }
  }

  async #flushMeta(): Promise<void> {
    const serial = this.#wantedSerial;
    const orgs = orgsField(this.#orgs);
    const meta: StateMeta = {
      schemaVersion: metaFormat(orgs),
      lineage: this.#lineage,
      serial,
      // Fresh with every serial: a serial reached again (a restored backup) is told apart.
      nonce: randomUUID(),
      ...orgs,
      ...revisionsField(this.#revisions),
    };
    await writeFileDurable(metaPath(this.location), serialise(meta));
    this.#durableSerial = Math.max(this.#durableSerial, serial);
  }

  async #ensureSandboxDir(sandbox: string): Promise<void> {
    if (this.#knownDirs.has(sandbox)) return;
    await ensureDirDurable(path.join(audiencesDir(this.location), sandbox));
    this.#knownDirs.add(sandbox);
  }
}
