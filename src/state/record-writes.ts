import { randomUUID } from 'node:crypto';
import { StateError } from './errors.js';
import { applyChanges, normaliseRecord, withoutIntent } from './record-changes.js';
import type { AudienceRecord, AudienceRecordInput } from './schema.js';
import { recordId } from './record-id.js';
import type { IntentExtra, IntentKind, IntentOutcome } from './store.js';
import type { WriteDecision } from './write-path.js';

/**
 * The intent rules every store shares (see docs/state.md, "Intents"); a store only
 * provides `mutate`: look at the stored record and write, under its lock, atomically.
 */
export abstract class RecordWrites {
  protected abstract mutate(sandbox: string, key: string, decide: WriteDecision): Promise<void>;

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
