import type { AepClient } from '../aep/types.js';
import type { Plan, Step } from '../plan/schema.js';
import { isRecordOnly } from '../plan/step-builders.js';
import { holdRefusedSandboxes, tokensFor, type RefusedSandbox } from './hold-refused-sandboxes.js';

/**
 * A step the executor makes calls for: not held (blocked, deferred), nor one that only writes the
 * record (a forget, an update without a PATCH: a file moved, a repository recorded).
 */
export function callsService(step: Step): boolean {
  return !step.blocked && !step.deferred && step.kind !== 'forget' && !isRecordOnly(step);
}

/** The plan to show and execute, and the sandboxes whose steps it holds for IMS's refusal. */
export type Authenticated = { plan: Plan; refused: ReadonlySet<string> };

/**
 * IMS is asked for the token of each sandbox the plan's steps will call, once, before the plan
 * is shown and any step starts. Refused (a wrong AEP_CLIENT_SECRET) or unreachable, no step could
 * call AEP: asked per step instead, every audience failed as "create refused: IMS refused …" for
 * a create never sent, one line each, and the apply's one clear line was lost among them (review
 * 33b, L-2). The AepAuthError is thrown, said in one line as `init` says it, nothing recorded. A
 * plan without such steps (no change) asks nothing; a token already at hand (AEP's clock read
 * before planning) asks nothing again. With `sandboxTokenRefused` (the controller), a refused
 * sandbox's steps are held instead and the plan returned so, with that sandbox named in
 * `refused` (nothing of the apply reaches it: it is not marked with the apply's commit); every
 * sandbox refused still throws.
 */
export async function authenticateFor(
  plan: Plan,
  flow: {
    client: Pick<AepClient, 'authenticate'>;
    signal?: AbortSignal | undefined;
    sandboxTokenRefused?: ((refused: RefusedSandbox) => void) | undefined;
    /** When a refusal came (ms): the time a wait IMS asked for counts from. */
    now?: (() => number) | undefined;
  },
): Promise<Authenticated> {
  const sandboxes = new Set(plan.steps.filter(callsService).map((step) => step.sandbox));
  const authenticate = (sandbox: string) =>
    flow.client.authenticate(sandbox, flow.signal ? { signal: flow.signal } : {});
  const told = flow.sandboxTokenRefused;
  if (told === undefined) {
    for (const sandbox of sandboxes) await authenticate(sandbox);
    return { plan, refused: new Set() };
  }
  const refused = await tokensFor(sandboxes, authenticate, flow.now);
  for (const refusal of refused) told(refusal);
  return {
    plan: holdRefusedSandboxes(plan, refused, callsService),
    refused: new Set(refused.map((refusal) => refusal.sandbox)),
  };
}
