import { heldSandboxText } from '../aep/asked-waits.js';
import type { AepClient } from '../aep/types.js';
import type { Step } from '../plan/schema.js';
import { result } from './record-helpers.js';
import { callsService } from './step-tokens.js';
import type { StepResult } from './types.js';

/**
 * A step of a sandbox the service asked to wait longer than retry.maxRetryAfterMs (a 429 or
 * 503 another call gave up on: AepClient.askedWait), blocked before it sends anything. A 429 is
 * the org's: every call sent before the wait is over only earns another, so the steps left are
 * held until then, their records (and any intent they hold) as they were.
 */
export function heldByAskedWait(step: Step, client: Pick<AepClient, 'askedWait'>): StepResult | undefined {
  if (!callsService(step)) return undefined;
  const wait = client.askedWait?.(step.sandbox);
  if (wait === undefined) return undefined;
  return result(
    step,
    'blocked',
    `not sent: ${heldSandboxText(step.sandbox, wait)}; an apply after that sends it`,
    {
      askedWait: wait,
    },
  );
}
