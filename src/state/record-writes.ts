import { randomUUID } from 'node:crypto';
import { isDeepStrictEqual } from 'node:util';
import { StateError } from './errors.js';
import { applyChanges, withoutIntent } from './record-changes.js';
import type { normaliseRecord as NormaliseRecord } from './normalise-record.js';
import type { AudienceRecord, AudienceRecordInput, Intent } from './schema.js';
import { recordId, type WriteIds } from './record-id.js';
import type { IntentExtra, IntentKind, IntentOutcome, StrayRemoval } from './store.js';
import type { WriteDecision } from './write-path.js';
import { manifestsCommand, manifestsDirNote, pastedFlags, type PasteFlags } from '../text/paste-flags.js';

/**
 * The records' validation (normalise-record.ts) once loaded: its schema is zod's, and a store
 * opened only to be read (state list, show) loaded zod for it. A store loads it as it takes its
 * lock (loadRecordValidation), so that a write started under the lock is under way at once, as
 * before: an unlock waits for the writes in flight.
 */
let validation: { normaliseRecord: typeof NormaliseRecord } | undefined;

/** Loads what a write validates records with; called by a store's `lock`, before any write. */
export async function loadRecordValidation(): Promise<void> {
  validation ??= await import('./normalise-record.js');
}

function normaliseRecord(input: AudienceRecordInput): AudienceRecord {
  // Loaded by every lock: a write before any is one without the lock, which the store refuses.
  if (validation === undefined) throw new Error('a record written without holding the lock (bug)');
  return validation.normaliseRecord(input);
}

/**
 * The intent rules every store shares (see docs/state.md, "Intents"); a store only
 * provides `mutate`: look at the stored record and write, under its lock, atomically.
 */
export abstract class RecordWrites {
  /** The flags the commands its messages print carry (src/text/paste-flags.ts). */
  protected readonly paste: PasteFlags | undefined;

  constructor(paste?: PasteFlags) {
    this.paste = paste;
  }

  /** `ids`: 'stray' only for deleteStray, whose decision never writes a record. */
  protected abstract mutate(
    sandbox: string,
    key: string,
    decide: WriteDecision,
    ids?: WriteIds,
  ): Promise<void>;

  async put(input: AudienceRecordInput): Promise<AudienceRecord> {
    const record = normaliseRecord(input);
    await this.mutate(record.sandbox, record.key, async (stored) => {
      // A pending intent says a call may have reached the service: only its outcome may clear it.
      const pending = (await stored.read())?.intent;
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
    await this.mutate(sandbox, key, async (stored) => {
      existed = await stored.exists();
      return existed ? { remove: true } : { none: true };
    });
    return existed;
  }

  async deleteStray(sandbox: string, key: string): Promise<StrayRemoval> {
    const removal: StrayRemoval = { removed: false, record: undefined };
    await this.mutate(
      sandbox,
      key,
      async (stored) => {
        removal.removed = await stored.exists();
        if (!removal.removed) return { none: true };
        // What it held, said by the command; a corrupt one is dropped all the same.
        removal.record = await stored.read().catch((error: unknown) => {
          if (error instanceof StateError && error.code === 'STATE_CORRUPT') return undefined;
          throw error;
        });
        return { remove: true };
      },
      'stray',
    );
    return removal;
  }

  /**
   * Writes `next` in place of `expected` (removes it when `next` is undefined) only while the
   * stored record is still `expected`; once anything else wrote it (a step of the same apply, say)
   * it writes nothing and returns false.
   */
  async replaceIfUnchanged(
    expected: AudienceRecord,
    next: AudienceRecordInput | undefined,
  ): Promise<boolean> {
    const record = next === undefined ? undefined : normaliseRecord(next);
    let replaced = false;
    await this.mutate(expected.sandbox, expected.key, async (stored) => {
      if (!isDeepStrictEqual(await stored.read(), expected)) return { none: true };
      replaced = true;
      return record === undefined ? { remove: true } : { write: record };
    });
    return replaced;
  }

  async beginIntent(
    input: AudienceRecordInput,
    kind: IntentKind,
    extra: IntentExtra = {},
  ): Promise<AudienceRecord> {
    const base = normaliseRecord(input);
    const intent = { id: randomUUID(), kind, startedAt: new Date().toISOString(), ...extra };
    const record: AudienceRecord = { ...base, intent };
    await this.mutate(base.sandbox, base.key, async (stored) => {
      const pending = (await stored.read())?.intent;
      if (pending) {
        throw new StateError('INTENT_PENDING', pendingMessage(base, pending, this.paste));
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
    await this.mutate(record.sandbox, record.key, async (stored) => {
      const current = await stored.read();
      if (current?.intent?.id !== expected.id) {
        const found = current?.intent ? `intent ${current.intent.id}` : 'no intent';
        throw new StateError(
          'INTENT_MISMATCH',
          `${id} holds ${found}, not the ${expected.kind} intent ${expected.id}`,
        );
      }
      if (outcome.kind === 'remove') return { remove: true };
      if (outcome.kind === 'replace') {
        // Written where `record` is: the replacement is of the same audience.
        result = withoutIntent(
          normaliseRecord({ ...outcome.record, sandbox: record.sandbox, key: record.key }),
        );
        return { write: result };
      }
      result = normaliseRecord(applyChanges(withoutIntent(current), outcome.changes));
      return { write: result };
    });
    return result;
  }
}

/**
 * Why `record` cannot start another call while `pending` is unresolved. A run intent is kept where
 * the runs list cannot tell what its request did, which only a person can settle.
 */
function pendingMessage(record: AudienceRecord, pending: Intent, paste: PasteFlags | undefined): string {
  const id = recordId(record.sandbox, record.key);
  const unresolved = `${id} has an unresolved ${pending.kind} intent from ${pending.startedAt}`;
  const resume = `run \`${manifestsCommand('apply', paste)}\`${manifestsDirNote(paste)} again: it resumes the intent before planning`;
  if (pending.kind !== 'run') return `${unresolved}; ${resume}`;
  const settle = `audiencectl state settle-run ${record.key} --sandbox ${record.sandbox}${pastedFlags(paste, 'state')}`;
  return `${unresolved}; ${resume}. Where the runs list cannot tell whether its request started a run, check the audience's runs in AEP, then run \`${settle} --run-id RUN_ID\` (the run it started) or \`${settle} --no-run\` (it started none)`;
}
