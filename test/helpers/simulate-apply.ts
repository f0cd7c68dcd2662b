import type { Plan } from '../../src/plan/schema.js';
import type { AudienceRecord, RecordedState } from '../../src/state/schema.js';

/**
 * A fixture builder for the planner's unit tests: the state a fully successful apply
 * would leave, built without any API so a test can start from "already applied".
 * Not evidence that planning after an apply is empty: that is checked with the real
 * executor against the emulator (test/apply/replan-property.spec.ts, replan-cases.spec.ts).
 */
/** As the executor records it: the file of the step's `file:line` source. */
function fileOf(step: Plan['steps'][number]): { manifestFile?: string } {
  const file = step.source?.replace(/:\d+$/, '');
  return file ? { manifestFile: file } : {};
}

export function simulateApply(plan: Plan, state: RecordedState, now: number): RecordedState {
  const records = new Map(state.audiences.map((r) => [`${r.sandbox}/${r.key}`, structuredClone(r)]));
  let counter = 0;
  for (const step of plan.steps) {
    if (step.blocked || step.deferred) continue;
    const id = `${step.sandbox}/${step.key}`;
    const at = new Date(now * 1000).toISOString();
    switch (step.kind) {
      case 'create':
      case 'replace':
      case 'adopt':
      case 'update': {
        const target = step.target!;
        // A create that takes a waiting record with it (Step.movedFrom) moves or drops it first.
        const from = step.movedFrom;
        const carried =
          from?.sandbox === step.sandbox ? records.get(`${from.sandbox}/${from.key}`) : undefined;
        if (from) records.delete(`${from.sandbox}/${from.key}`);
        const previous = records.get(id);
        const fresh = step.kind !== 'update' && step.kind !== 'adopt';
        const record: AudienceRecord = {
          // An update keeps what the record knew (an import, say); a create starts afresh.
          ...(fresh ? {} : previous),
          schemaVersion: 1,
          sandbox: step.sandbox,
          key: step.key,
          audienceId: fresh ? `aud-${(counter += 1)}` : (step.audienceId ?? previous!.audienceId!),
          deletionPolicy: target.deletionPolicy,
          ...fileOf(step),
          applied: {
            spec: target.spec,
            hash: target.hash,
            ...(target.ingestionRequest === undefined ? {} : { ingestionRequest: target.ingestionRequest }),
            at,
          },
          runs: fresh ? (carried?.runs ?? []) : (previous?.runs ?? []),
          // As the executor records an adopted audience: imported, its first run counted as done.
          ...(step.kind === 'adopt' ? { imported: { at } } : {}),
        };
        records.set(id, record);
        break;
      }
      case 'run': {
        const record = records.get(id)!;
        Object.assign(record, fileOf(step));
        const reason = step.run!.reason;
        record.runs.unshift({
          runId: `run-${(counter += 1)}`,
          status: 'SUCCESS',
          createdAt: now,
          dataFilterStartTime: step.run!.dataFilterStartTime,
          dataFilterEndTime: now,
          reason,
        });
        if (reason.startsWith('request:') && record.applied)
          record.applied.ingestionRequest = reason.slice(8);
        break;
      }
      case 'delete':
      case 'forget':
        records.delete(id);
        break;
      case 'move':
        break;
    }
  }
  return { meta: state.meta, audiences: [...records.values()] };
}
