import { AepAuthError } from '../aep/errors.js';
import { summarise } from '../plan/summary.js';
import type { Plan, Step } from '../plan/schema.js';

/**
 * A sandbox whose token IMS refused before any step, and IMS's refusal; `at`: when (ms), the
 * time a wait IMS asked for (`error.retryAfterMs`) counts from.
 */
export type RefusedSandbox = { sandbox: string; error: AepAuthError; at: number };

/**
 * Why IMS gave no token: `refused` (the credentials: a 4xx, a redirect), `throttled` (a 429: the
 * client asked too often, its credentials are fine), or `unavailable` (a 5xx, no answer).
 */
export type TokenHold = 'refused' | 'throttled' | 'unavailable';

export function tokenHoldOf(error: AepAuthError): TokenHold {
  const status = error.status;
  if (status === 429) return 'throttled';
  if (status === undefined || status >= 500) return 'unavailable';
  return 'refused';
}

/** The controller's log line for a sandbox held so (its fields name the sandbox and the error). */
export const TOKEN_HOLD_LOG: Record<TokenHold, string> = {
  refused: 'IMS refused a sandbox; its steps are held',
  throttled: "IMS throttled a sandbox's token requests; its steps are held",
  unavailable: 'IMS gave no token for a sandbox; its steps are held',
};

/**
 * Asks IMS for the token of each sandbox in `sandboxes`, in turn. A refusal (AepAuthError) is
 * collected; any other failure (stopped, a bug) is thrown. When every sandbox was refused, the
 * first refusal is thrown: nothing could be applied, and the pass fails in one line as the CLI's
 * apply does.
 */
export async function tokensFor(
  sandboxes: ReadonlySet<string>,
  authenticate: (sandbox: string) => Promise<unknown>,
  now: () => number = Date.now,
): Promise<RefusedSandbox[]> {
  const refused: RefusedSandbox[] = [];
  for (const sandbox of sandboxes) {
    try {
      await authenticate(sandbox);
    } catch (error) {
      if (!(error instanceof AepAuthError)) throw error;
      refused.push({ sandbox, error, at: now() });
    }
  }
  const [first] = refused;
  if (first && refused.length === sandboxes.size) throw first.error;
  return refused;
}

/**
 * `plan` with every step of a refused sandbox that `calls` the service blocked by that refusal:
 * no call of it could succeed, and the other sandboxes' steps are applied (a rotated secret of
 * one sandbox stops its own changes, not another's drift correction: review 37v, M-2). Pure.
 */
export function holdRefusedSandboxes(
  plan: Plan,
  refused: readonly RefusedSandbox[],
  calls: (step: Step) => boolean,
): Plan {
  if (refused.length === 0) return plan;
  const why = new Map(refused.map((refusal) => [refusal.sandbox, holdReason(refusal)]));
  const steps = plan.steps.map((step) => {
    const reason = why.get(step.sandbox);
    return reason === undefined || !calls(step) ? step : { ...step, blocked: reason };
  });
  return { ...plan, steps, summary: summarise(steps) };
}

/**
 * A refusal says to fix the credentials; a throttle (a 429) or IMS unavailable does not: the
 * credentials are fine, and what helps is the wait IMS asked for, said with its end when it gave
 * one (held with the refusal's words, a throttled sandbox of a multi-org controller sent a person
 * to credentials nothing was wrong with).
 */
function holdReason({ sandbox, error, at }: RefusedSandbox): string {
  const hold = tokenHoldOf(error);
  if (hold === 'refused')
    return `held: no token for sandbox "${sandbox}" (${error.message}); its steps are applied once IMS accepts its credentials`;
  const until =
    error.retryAfterMs === undefined ? undefined : new Date(at + error.retryAfterMs).toISOString();
  const then =
    until === undefined
      ? 'its steps are applied once IMS gives its token (asked again on the next apply or pass)'
      : `its steps are applied once that wait is over (IMS is asked nothing before it)`;
  const wait = until === undefined ? '' : ` until ${until}`;
  if (hold === 'throttled')
    return `held: IMS throttled the token requests for sandbox "${sandbox}" (HTTP 429)${wait}; ${then}`;
  return `held: no token for sandbox "${sandbox}" (${error.message.replace(/\.$/, '')})${wait}; ${then}`;
}
