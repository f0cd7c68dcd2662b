import type { StepResult } from '../apply/types.js';
import type { Plan, Step } from '../plan/schema.js';
import { compareText } from '../text/compare.js';
import { stateOf, worseState } from './audiences.js';
import type { AudienceState, AudienceStatus, ErrorInfo } from './types.js';

const idOf = (x: { sandbox: string; key: string }): string => `${x.sandbox}/${x.key}`;

/**
 * audiences[] after a pass that failed once it had published its plan (plan.state
 * `interrupted`). Such a pass did not read the records after its steps (that read may be what
 * failed), and the list the pass before left says nothing of its work: /plan said
 * `created <id>` of an audience audiences[] did not list. Each audience of a step of the plan
 * shows what became of its steps as the pass told them (a step it never reached: `pending`, with
 * the pass's error, the next pass plans it again); an audience the pass removed is gone; the
 * others, which the plan had no step for, stay as the pass before listed them, or, those it did
 * not list (no pass listed any before a controller's first), as `recorded` (the records the plan
 * was made from) says: a first pass that failed after its steps listed none of them.
 */
export function interruptedAudiences(
  before: readonly AudienceStatus[],
  recorded: readonly AudienceStatus[],
  plan: Plan,
  outcomes: ReadonlyMap<string, StepResult>,
  error: ErrorInfo,
): AudienceStatus[] {
  const out = new Map(before.map((audience) => [idOf(audience), audience]));
  for (const audience of recorded) if (!out.has(idOf(audience))) out.set(idOf(audience), audience);
  const steps = new Map<string, Step[]>();
  for (const step of plan.steps) steps.set(idOf(step), [...(steps.get(idOf(step)) ?? []), step]);
  for (const [id, list] of steps) {
    const results = list.map((step) => ({ step, result: outcomes.get(step.id) }));
    const removed = results.some(
      ({ step, result }) =>
        (step.kind === 'delete' || step.kind === 'forget') && result?.status === 'applied',
    );
    if (removed) {
      out.delete(id);
      continue;
    }
    const earlier = out.get(id);
    let state: AudienceState = 'in-sync';
    let lastError: ErrorInfo | undefined;
    let audienceId = earlier?.audienceId;
    for (const { step, result } of results) {
      const stepState = stateOf(step, result?.status);
      if (worseState(stepState, state)) state = stepState;
      if (result?.status === 'applied' && result.audienceId !== undefined) audienceId = result.audienceId;
      lastError ??= errorOf(step, result, error);
    }
    // Backing off as before (a step held for it): the retry time the pass before showed stands.
    const backoff =
      state === 'backoff' && earlier?.state === 'backoff'
        ? {
            ...(earlier.failures === undefined ? {} : { failures: earlier.failures }),
            ...(earlier.nextAttemptAt === undefined ? {} : { nextAttemptAt: earlier.nextAttemptAt }),
          }
        : {};
    if (state === 'backoff') lastError ??= earlier?.lastError;
    out.set(id, {
      sandbox: list[0]!.sandbox,
      key: list[0]!.key,
      state,
      ...(audienceId === undefined ? {} : { audienceId }),
      ...(state === 'in-sync' || lastError === undefined ? {} : { lastError }),
      ...backoff,
      ...(earlier?.lastRunFailure ? { lastRunFailure: earlier.lastRunFailure } : {}),
    });
  }
  for (const held of plan.held) {
    if (held.elsewhere) {
      out.delete(idOf(held));
      continue;
    }
    const earlier = out.get(idOf(held));
    out.set(idOf(held), {
      ...(earlier ?? { sandbox: held.sandbox, key: held.key }),
      state: 'blocked',
      lastError: { code: 'MANIFEST_INVALID', message: held.reason, at: error.at },
    });
  }
  return [...out.values()].sort((a, b) => compareText(idOf(a), idOf(b)));
}

/** Why an audience's step left it out of sync, as audiences[] says it (AudienceTracker.record). */
function errorOf(step: Step, result: StepResult | undefined, error: ErrorInfo): ErrorInfo | undefined {
  if (result === undefined) {
    if (step.blocked) return { code: 'STEP_BLOCKED', message: step.blocked, at: error.at };
    if (step.deferred) return undefined;
    return {
      code: error.code,
      message: `${step.kind}: not carried out: the pass failed before it (${error.message}); the next pass plans it again`,
      at: error.at,
    };
  }
  if (result.status === 'failed')
    return { code: 'STEP_FAILED', message: `${step.kind}: ${result.message}`, at: error.at };
  if (result.status === 'blocked') return { code: 'STEP_BLOCKED', message: result.message, at: error.at };
  return undefined;
}
