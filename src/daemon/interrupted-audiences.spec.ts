import { describe, expect, it } from 'vitest';
import type { StepResult } from '../apply/types.js';
import { plan } from '../plan/plan.js';
import { loadTexts, manifestYaml } from '../../test/helpers/manifests.js';
import { EMPTY, options } from '../../test/helpers/planning.js';
import { interruptedAudiences } from './interrupted-audiences.js';
import type { AudienceStatus, ErrorInfo } from './types.js';

const noRun = { ingestion: { onCreate: false } };
const error: ErrorInfo = {
  code: 'STATE_UNREADABLE',
  message: 'cannot list the records',
  at: '2026-12-06T10:00:00.000Z',
};
const ID = '0f0f0f0f-0000-4000-8000-000000000001';

describe('interruptedAudiences', () => {
  it('a step the failed pass never reached: pending, with the pass error; one it did: its outcome', () => {
    const desired = loadTexts({
      'gold.yaml': manifestYaml('gold', noRun),
      'silver.yaml': manifestYaml('silver', noRun),
    });
    const made = plan(desired, EMPTY, options());
    const gold = made.steps.find((step) => step.key === 'gold')!;
    const outcomes = new Map<string, StepResult>([
      [gold.id, { step: gold, status: 'applied', message: `created ${ID}`, audienceId: ID }],
    ]);
    const before: AudienceStatus[] = [{ sandbox: 'prod', key: 'bronze', state: 'in-sync', audienceId: 'b' }];

    expect(interruptedAudiences(before, [], made, outcomes, error)).toEqual([
      { sandbox: 'prod', key: 'bronze', state: 'in-sync', audienceId: 'b' },
      { sandbox: 'prod', key: 'gold', state: 'in-sync', audienceId: ID },
      {
        sandbox: 'prod',
        key: 'silver',
        state: 'pending',
        lastError: {
          code: 'STATE_UNREADABLE',
          message:
            'create: not carried out: the pass failed before it (cannot list the records); the next pass plans it again',
          at: error.at,
        },
      },
    ]);
  });

  it('an audience without a step the pass before did not list: as its record says; one it listed: as listed', () => {
    const made = plan(loadTexts({ 'gold.yaml': manifestYaml('gold', noRun) }), EMPTY, options());
    const gold = made.steps.find((step) => step.key === 'gold')!;
    const outcomes = new Map<string, StepResult>([
      [gold.id, { step: gold, status: 'applied', message: `created ${ID}`, audienceId: ID }],
    ]);
    const before: AudienceStatus[] = [
      { sandbox: 'prod', key: 'bronze', state: 'waiting-run', audienceId: 'b' },
    ];
    const recorded: AudienceStatus[] = [
      { sandbox: 'prod', key: 'bronze', state: 'in-sync', audienceId: 'b' },
      { sandbox: 'prod', key: 'silver', state: 'in-sync', audienceId: 's' },
    ];

    expect(interruptedAudiences(before, recorded, made, outcomes, error)).toEqual([
      { sandbox: 'prod', key: 'bronze', state: 'waiting-run', audienceId: 'b' },
      { sandbox: 'prod', key: 'gold', state: 'in-sync', audienceId: ID },
      { sandbox: 'prod', key: 'silver', state: 'in-sync', audienceId: 's' },
    ]);
  });
});
