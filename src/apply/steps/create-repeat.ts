import type { Step } from '../../plan/schema.js';
import type { AudienceRecord } from '../../state/schema.js';
import { aepFailure } from '../aep-failure.js';
import { adoptOwnCreate, describeCandidates, findOwnCreate, type OwnCreate } from '../find-created.js';
import { importHint, result } from '../record-helpers.js';
import type { ExecutorDeps, StepResult } from '../types.js';

/**
 * Before a create is POSTed again while an earlier POST of it may have made the audience (its
 * answer lost: a gateway's 504, a reset connection; or a killed apply's, its intent open), the
 * sandbox is looked up by exact name, and the audience that POST made is adopted. The page's
 * appendix lists 100950-409 "The audience already exists" and never says a name is unique: a
 * service that takes a second audience of a name would make one, and a POST repeated on the
 * hope of a 409 would leave two, one of them an orphan. What the lookup found otherwise (none of
 * ours listed: not listed yet, or none made) is returned: the create is held while that POST
 * may still land (create-hold.ts), else POSTed, its 409 read as before. That is so too when only
 * the inactive audiences could not be listed (findOwnCreate's `unknown`): the audience a POST
 * made is active, and listed under its name, unless someone deactivated it since; the 409 path
 * then says what to do. Several that could each be its own block the create, nothing sent (the
 * intent kept: a person imports one). A lookup that fails sends nothing: the intent is kept and
 * the next apply looks again.
 */
export async function ownBeforeRepeat(
  step: Step,
  pending: AudienceRecord,
  deps: ExecutorDeps,
): Promise<StepResult | Exclude<OwnCreate, { kind: 'one' | 'several' }>> {
  let found;
  try {
    found = await findOwnCreate(step, deps, pending);
  } catch (error) {
    return result(
      step,
      'failed',
      `create outcome unknown: an earlier POST of it may have made the audience, and the lookup of its name before sending it again failed (${aepFailure(error).message}); its intent is kept and the next apply looks again`,
    );
  }
  if (found.kind === 'several') {
    // Each could be the one an earlier POST made: another POST could only add one more, on a
    // service that takes a second audience of a name. Left to a person; the intent is kept.
    return result(
      step,
      'blocked',
      `several audiences listed under "${step.create?.name ?? step.key}" in sandbox "${step.sandbox}" could each be the one an earlier POST of this create made (${describeCandidates(found.candidates)}): not sent again, lest the service take yet another audience of the name; its intent is kept. ${importHint(step, deps.paste)}`,
    );
  }
  if (found.kind !== 'one') return found;
  return adoptOwnCreate(step, pending, found.audience, deps, found.unclocked);
}
