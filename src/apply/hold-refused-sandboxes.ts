import { AepAuthError } from '../aep/errors.js';
import { summarise } from '../plan/summary.js';
import type { Plan, Step } from '../plan/schema.js';

/** A sandbox whose token IMS refused before any step, and IMS's refusal. */
export type RefusedSandbox = { sandbox: string; error: AepAuthError };

/**
 * Asks IMS for the token of each sandbox in `sandboxes`, in turn. A refusal (AepAuthError) is
 * collected; any other failure (stopped, a bug) is thrown. When every sandbox was refused, the
 * first refusal is thrown: nothing could be applied, and the pass fails in one line as the CLI's
 * apply does.
 */
export async function tokensFor(
  sandboxes: ReadonlySet<string>,
  authenticate: (sandbox: string) => Promise<unknown>,
): Promise<RefusedSandbox[]> {
  const refused: RefusedSandbox[] = [];
  for (const sandbox of sandboxes) {
    try {
      await authenticate(sandbox);
    } catch (error) {
      if (!(error instanceof AepAuthError)) throw error;
      refused.push({ sandbox, error });
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
  const why = new Map(refused.map(({ sandbox, error }) => [sandbox, refusalReason(sandbox, error)]));
  const steps = plan.steps.map((step) => {
    const reason = why.get(step.sandbox);
    return reason === undefined || !calls(step) ? step : { ...step, blocked: reason };
  });
  return { ...plan, steps, summary: summarise(steps) };
}

function refusalReason(sandbox: string, error: AepAuthError): string {
  return `held: no token for sandbox "${sandbox}" (${error.message}); its steps are applied once IMS accepts its credentials`;
}
