import { AepError } from './errors.js';
import type { RunsListed } from './types.js';

/**
 * A bare runs list cut short (`_page.totalCount` above its runs) that could not be had newest
 * first (limit/sortBy refused): no list to read "no run" from, so listRuns throws it. It keeps
 * the page and the count, for a caller that can tell from its own records what the runs past
 * the page are (a run step whose record holds them all: state/hidden-runs.ts).
 */
export class RunsListCutError extends AepError {
  override readonly name: string = 'RunsListCutError';
  /** The page, newest first, marked as lacking the newest runs, with the service's `totalCount`. */
  readonly listed: RunsListed & { totalCount: number };

  constructor(sandbox: string, listed: RunsListed & { totalCount: number }, refusal: AepError) {
    const facts = [`HTTP ${refusal.status}`];
    if (refusal.platformCode !== undefined) facts.push(refusal.platformCode);
    if (refusal.requestId !== undefined) facts.push(`request id ${refusal.requestId}`);
    super({
      code: 'AEP_BAD_RESPONSE',
      message: `AEP answered listRuns in sandbox "${sandbox}" with ${listed.length} of ${listed.totalCount} runs, in no promised order, and refused limit/sortBy (${facts.join(', ')}): the newest runs may be missing, so nothing is read from it; retry later, or report it with the request ids`,
      sandbox,
      endpoint: 'listRuns',
      method: 'GET',
    });
    this.listed = listed;
  }
}
