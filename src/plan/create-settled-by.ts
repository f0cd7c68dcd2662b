import type { AudienceRecord } from '../state/schema.js';
import { CREATE_LANDS_WITHIN_MS, repeatWait, untimedShows } from '../state/create-repeat-wait.js';
import { stateImportCommand, type PasteFlags } from '../text/paste-flags.js';

/**
 * What the apply of a create's manifest as it was sent (put back, for a removal or a move that
 * waits for the create) does with that create, said up to the change made again after it: it
 * settles the create as the create step does, holding it (exit 3) while the earlier POST may
 * still land unlisted, and on every apply where the record shows no time for that POST
 * (steps/create-hold.ts), as the plan of the create itself says (resume-create.ts).
 */
export function settledBy(record: AudienceRecord, paste: PasteFlags | undefined): string {
  // An operation recorded is awaited, never held (resume-create.ts, heldNote).
  if (record.operationId !== undefined) return 'the create is settled (its audience adopted, or created);';
  // Whether the record shows a time for its POST depends on the record alone, not on a clock.
  if (repeatWait(record, undefined) === undefined)
    return `its audience is adopted if the service lists it; else, its state record showing ${untimedShows(record)} for its earlier POST, every apply holds the create (exit 3): if that POST made the audience, find its id in AEP, then run: ${stateImportCommand(record.key, record.sandbox, paste)},`;
  const minutes = CREATE_LANDS_WITHIN_MS / 60_000;
  return `the create is settled: its audience adopted once the service lists it, else created once ${minutes} minutes have passed since its earlier POST (until then that apply holds it, exit 3);`;
}
