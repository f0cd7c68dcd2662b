import { describe, expect, it } from 'vitest';
import type { Step } from '../plan/schema.js';
import { confirmQuestion } from './apply-review.js';

const step = (key: string, patch: Record<string, unknown> | undefined): Step => ({
  id: `prod/${key}:update`,
  sandbox: 'prod',
  key,
  kind: 'update',
  reason: 'r',
  changes: [],
  ...(patch === undefined ? {} : { patch }),
});
const orgOf = () => 'ORG@AdobeOrg';

describe('the confirmation question', () => {
  it('names the sandboxes and org the steps change', () => {
    expect(confirmQuestion([step('a', { description: 'd' })], 'https://aep', orgOf)).toBe(
      '\nThis changes sandbox prod of AEP org ORG@AdobeOrg (https://aep).\nApply these 1 step(s)? Only "yes" is accepted: ',
    );
  });

  it('says so when steps only write the state (the first plan after an upgrade records every directory)', () => {
    expect(confirmQuestion([step('a', {}), step('b', {})], 'https://aep', orgOf)).toBe(
      '\nThis writes only audiencectl\'s records of sandbox prod of AEP org ORG@AdobeOrg (https://aep): nothing is sent to AEP.\nApply these 2 step(s)? Only "yes" is accepted: ',
    );
    expect(confirmQuestion([step('a', {}), step('b', { labels: [] })], 'https://aep', orgOf)).toBe(
      '\nThis changes sandbox prod of AEP org ORG@AdobeOrg (https://aep); 1 of the steps only writes audiencectl\'s records.\nApply these 2 step(s)? Only "yes" is accepted: ',
    );
  });
});
