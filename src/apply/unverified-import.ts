import { isExternal } from '../aep/segment-types.js';
import type { Step } from '../plan/schema.js';
import {
  notTheImported,
  otherAudienceText,
  unverifiedImport,
  unverifiedPatchText,
  unverifiedWithoutName,
} from '../plan/unverified-import.js';
import type { AudienceRecord } from '../state/schema.js';
import { aepFailure } from './aep-failure.js';
import { result } from './record-helpers.js';
import type { ExecutorDeps, StepResult } from './types.js';

/**
 * Before the first PATCH or run of an audience `state import` recorded without credentials
 * (plan/unverified-import.ts): one GET shows whether the id names the audience imported. It
 * does: the mark goes (this is checked once) and the step goes on with the record returned.
 * Another audience, or one not external: blocked, nothing sent to it. Recorded with no name to
 * compare (`--without-manifest`): blocked whatever it names, naming it, as its delete is
 * (delete-check.ts), until an import with credentials verifies the id. Not found, or the read
 * failed: failed, nothing sent, and the next apply reads it again (one 404 proves nothing).
 */
export async function checkUnverifiedImport(
  step: Step,
  record: AudienceRecord,
  deps: ExecutorDeps,
): Promise<{ record: AudienceRecord } | { stop: StepResult }> {
  if (!unverifiedImport(record) || !record.imported) return { record };
  const audienceId = record.audienceId ?? '';
  const not = step.kind === 'run' ? 'no run started' : 'not PATCHed';
  let live;
  try {
    live = await deps.client.getAudience(
      step.sandbox,
      audienceId,
      deps.signal ? { signal: deps.signal } : {},
    );
  } catch (error) {
    if (deps.signal?.aborted) throw error;
    const why = aepFailure(error).message.replace(/\.$/, '');
    return {
      stop: result(
        step,
        'failed',
        `${not}: cannot check that audience ${audienceId} is the one \`audiencectl state import\` recorded without verifying it (${why}); the next apply checks again`,
        { audienceId },
      ),
    };
  }
  if (!live) {
    return {
      stop: result(
        step,
        'failed',
        `${not}: ${otherAudienceText(record, `does not exist in sandbox "${step.sandbox}" (the Audiences API answered 404)`, deps.paste)}`,
        { audienceId },
      ),
    };
  }
  const other = notTheImported(record, { name: live.name, external: isExternal(live) });
  if (other !== undefined)
    return {
      stop: result(step, 'blocked', `${not}: ${otherAudienceText(record, other, deps.paste)}`, {
        audienceId,
      }),
    };
  // Any external audience passes a check with no name: a mistyped id would be a colleague's.
  if (unverifiedWithoutName(record)) {
    const why = unverifiedPatchText(record, live, step.target?.spec.name, deps.paste);
    return { stop: result(step, 'blocked', `${not}: ${why}`, { audienceId }) };
  }
  const imported = { ...record.imported };
  delete imported.unverified;
  return { record: await deps.store.put({ ...record, imported }) };
}
