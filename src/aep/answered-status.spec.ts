import { describe, expect, it } from 'vitest';
import { AnsweredStatus } from './answered-status.js';
import { Operation, Run } from './types.js';

// test/apply/status-case.spec.ts proves the fold through an apply; these are the words it must
// not fold (90a45f33 said so without a spec: dropping the ASCII check left everything green).
describe('AnsweredStatus', () => {
  it('reads SUCCESS and FAILED in any case of ASCII letters as the page writes them', () => {
    for (const [answered, read] of [
      ['SUCCESS', 'SUCCESS'],
      ['Success', 'SUCCESS'],
      ['success', 'SUCCESS'],
      ['sUcCeSs', 'SUCCESS'],
      ['FAILED', 'FAILED'],
      ['Failed', 'FAILED'],
      ['failed', 'FAILED'],
    ]) {
      expect(AnsweredStatus.parse(answered)).toBe(read);
    }
  });

  it('keeps a non-ASCII look-alike as it is: JavaScript upper-cases ſ to S and ı to I', () => {
    expect('ſuccess'.toUpperCase()).toBe('SUCCESS');
    expect('faıled'.toUpperCase()).toBe('FAILED');
    expect(AnsweredStatus.parse('ſuccess')).toBe('ſuccess');
    expect(AnsweredStatus.parse('faıled')).toBe('faıled');
    expect(Run.parse({ runId: 'r1', status: 'ſuccess' }).status).toBe('ſuccess');
    expect(Operation.parse({ operationId: 'o1', status: 'faıled' }).status).toBe('faıled');
  });

  it('keeps every other word as it is, in its own case (read as in progress)', () => {
    for (const word of ['PROCESSING', 'Processing', 'succeeded', 'SUCCESS ', 'FAILED.', 'Queued', '']) {
      expect(AnsweredStatus.parse(word)).toBe(word);
    }
    expect(Run.parse({ runId: 'r1', status: 'Processing' }).status).toBe('Processing');
  });
});
