import { randomUUID } from 'node:crypto';
import { stat } from 'node:fs/promises';
import path from 'node:path';
import { KEY_PATTERN, SANDBOX_PATTERN } from '../manifest/schema.js';
import { ensureDirDurable, removeFileDurable, writeFileDurable } from './durable-fs.js';
import { StateError } from './errors.js';
import { acquireLock, type HeldLock, type LockInfo, type LockOptions } from './lock.js';
import { audiencesDir, lockPath, metaPath, recordPath } from './paths.js';
import { META_REPAIR_HINT, readJsonFile, readRecordFile } from './read-json.js';
import { readState } from './read.js';
import { applyChanges, normaliseRecord, withoutIntent } from './record-changes.js';
import {
  StateMeta,
  recordId,
  type AudienceRecord,
  type AudienceRecordInput,
  type RecordedState,
} from './schema.js';
import type { IntentExtra, IntentKind, IntentOutcome, StateStore } from './store.js';
import { sweepTempFiles } from './sweep.js';

/** What one write does once it has looked at the stored record. */
type Mutation = { write: AudienceRecord } | { remove: true } | { none: true };

/** Sandbox and key become path segments: only the manifest's own patterns may pass. */
export function assertValidId(sandbox: string, key: string): void {
  if (!SANDBOX_PATTERN.test(sandbox) || sandbox.length > 63) {
    throw new StateError(
      'STATE_BAD_SANDBOX',
      `invalid sandbox name "${sandbox}": use lowercase letters, digits and "-"`,
    );
  }
  if (!KEY_PATTERN.test(key) || key.length > 63) {
    throw new StateError(
      'STATE_BAD_KEY',
      `invalid audience key "${key}": use the manifest's metadata.name (lowercase letters, digits and "-", at most 63)`,
    );
  }
}

function serialise(record: AudienceRecord | StateMeta): string {
  return `${JSON.stringify(record, null, 2)}\n`;
}

/**
 * The default store: a directory of small JSON files (see paths.ts), each written
 * atomically, with a lineage and serial in meta.json and a store-wide lock file.
 */
export class FileStateStore implements StateStore {
  readonly location: string;
  #lock: HeldLock | undefined;
  #lineage = '';
  /** Serial counted in memory (one per write) and the highest one on disk. */
  #wantedSerial = 0;
  #durableSerial = 0;
  #metaWrite: Promise<void> | undefined;
  /** Writes of one record are chained so that they land in call order. */
  #chains = new Map<string, Promise<unknown>>();
  #knownDirs = new Set<string>();

  constructor(dir: string) {
    this.location = path.resolve(dir);
  }

  readAll(): Promise<RecordedState> {
    return readState(this.location);
  }

  get(sandbox: string, key: string): Promise<AudienceRecord | undefined> {
    assertValidId(sandbox, key);
    return readRecordFile(recordPath(this.location, sandbox, key), sandbox, key);
  }

  meta(): Promise<StateMeta | undefined> {
    return readJsonFile(metaPath(this.location), StateMeta, META_REPAIR_HINT);
  }

  get locked(): boolean {
    return this.#lock !== undefined;
  }

  async lock(options: LockOptions = {}): Promise<LockInfo> {
    if (this.#lock) throw new Error(`state store ${this.location} is already locked by this process (bug)`);
    await ensureDirDurable(this.location);
    const held = await acquireLock(lockPath(this.location), options);
    try {
      // Holding the lock, what is on disk is ours alone: load it once.
      const meta = await this.meta();
      this.#lineage = meta?.lineage ?? randomUUID();
      this.#wantedSerial = meta?.serial ?? 0;
      this.#durableSerial = this.#wantedSerial;
      await sweepTempFiles(this.location);
    } catch (error) {
      await held.release();
      throw error;
    }
    this.#lock = held;
    const { holder, tookOver } = held;
    return tookOver ? { holder, tookOver } : { holder };
  }

  async unlock(): Promise<void> {
    const held = this.#lock;
    if (!held) return;
    await Promise.allSettled(this.#chains.values());
    this.#lock = undefined;
    this.#knownDirs.clear();
    await held.release();
  }

  async put(input: AudienceRecordInput): Promise<AudienceRecord> {
    const record = normaliseRecord(input);
    await this.#mutate(record.sandbox, record.key, async (file) => {
      // A pending intent says a call may have reached the service: only its outcome may clear it.
      const pending = (await readRecordFile(file, record.sandbox, record.key))?.intent;
      if (pending && pending.id !== record.intent?.id) {
        throw new StateError(
          'INTENT_PENDING',
          `${recordId(record.sandbox, record.key)} has an unresolved ${pending.kind} intent from ${pending.startedAt}; record its outcome with resolveIntent instead of overwriting it`,
        );
      }
      return { write: record };
    });
    return record;
  }

  async delete(sandbox: string, key: string): Promise<boolean> {
    let existed = false;
    await this.#mutate(sandbox, key, async (file) => {
      existed = (await stat(file).catch(() => undefined)) !== undefined;
      return existed ? { remove: true } : { none: true };
    });
    return existed;
  }

  async beginIntent(
    input: AudienceRecordInput,
    kind: IntentKind,
    extra: IntentExtra = {},
  ): Promise<AudienceRecord> {
    const base = normaliseRecord(input);
    const intent = { id: randomUUID(), kind, startedAt: new Date().toISOString(), ...extra };
    const record: AudienceRecord = { ...base, intent };
    await this.#mutate(base.sandbox, base.key, async (file) => {
      const pending = (await readRecordFile(file, base.sandbox, base.key))?.intent;
      if (pending) {
        throw new StateError(
          'INTENT_PENDING',
          `${recordId(base.sandbox, base.key)} has an unresolved ${pending.kind} intent from ${pending.startedAt}; resume or resolve it before starting another call`,
        );
      }
      return { write: record };
    });
    return record;
  }

  async resolveIntent(record: AudienceRecord, outcome: IntentOutcome): Promise<AudienceRecord | undefined> {
    const expected = record.intent;
    const id = recordId(record.sandbox, record.key);
    if (!expected) throw new StateError('INTENT_MISSING', `${id} has no intent to resolve`);
    let result: AudienceRecord | undefined;
    await this.#mutate(record.sandbox, record.key, async (file) => {
      const current = await readRecordFile(file, record.sandbox, record.key);
      if (current?.intent?.id !== expected.id) {
        const found = current?.intent ? `intent ${current.intent.id}` : 'no intent';
        throw new StateError(
          'INTENT_MISMATCH',
          `${id} holds ${found}, not the ${expected.kind} intent ${expected.id}`,
        );
      }
      if (outcome.kind === 'remove') return { remove: true };
      result = normaliseRecord(applyChanges(withoutIntent(current), outcome.changes));
      return { write: result };
    });
    return result;
  }

  /**
   * The one write path: under the lock, one record at a time, serial bumped before
   * the record changes, so a crash in between leaves a larger serial, never a
   * changed record under an old serial (a saved plan must not pass on stale state).
   */
  #mutate(sandbox: string, key: string, decide: (file: string) => Promise<Mutation>): Promise<void> {
    assertValidId(sandbox, key);
    const held = this.#lock;
    if (!held) throw new Error(`state store ${this.location}: write without holding the lock (bug)`);
    const id = recordId(sandbox, key);
    const file = recordPath(this.location, sandbox, key);
    const run = async () => {
      await held.assertHeld();
      const mutation = await decide(file);
      if ('none' in mutation) return;
      await this.#bumpSerial();
      if ('remove' in mutation) {
        await removeFileDurable(file);
        return;
      }
      await this.#ensureSandboxDir(sandbox);
      await writeFileDurable(file, serialise(mutation.write));
    };
    const previous = this.#chains.get(id) ?? Promise.resolve();
    const next = previous.then(run, run);
    this.#chains.set(id, next);
    const forget = () => {
      if (this.#chains.get(id) === next) this.#chains.delete(id);
    };
    next.then(forget, forget);
    return next;
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
    const meta: StateMeta = { schemaVersion: 1, lineage: this.#lineage, serial };
    await writeFileDurable(metaPath(this.location), serialise(meta));
    this.#durableSerial = Math.max(this.#durableSerial, serial);
  }

  async #ensureSandboxDir(sandbox: string): Promise<void> {
    if (this.#knownDirs.has(sandbox)) return;
    await ensureDirDurable(path.join(audiencesDir(this.location), sandbox));
    this.#knownDirs.add(sandbox);
  }
}
