import { describe, expect, it } from 'vitest';
import { LiveAudience } from '../aep/segment-types.js';
import type { AudienceRecord } from '../state/schema.js';
import { verdictOf } from './delete-check.js';

// A DELETE goes only to an id that still names the audience recorded: external, of its name.
const record: AudienceRecord = {
  schemaVersion: 1,
  sandbox: 'prod',
  key: 'gold',
  deletionPolicy: 'Delete',
  audienceId: 'aud-1',
  observed: { source: 'audiences', at: '2026-11-30T12:00:00.000Z', body: { name: 'Audience gold' } },
  runs: [],
};

/** An audience as the Audiences API answer is read (the tolerant reader fills what is absent). */
function live(overrides: Record<string, unknown>): LiveAudience {
  return LiveAudience.parse({
    id: 'aud-1',
    name: 'Audience gold',
    originName: 'CUSTOM_UPLOAD',
    ...overrides,
  });
}

describe('verdictOf (may the DELETE be sent?)', () => {
  it('sends it to the external audience of the recorded name', () => {
    expect(verdictOf(record, 'aud-1', { found: live({}) })).toEqual({ kind: 'same' });
    expect(
      verdictOf(record, 'aud-1', { found: live({ originName: undefined, type: 'ExternalSegment' }) }),
    ).toEqual({
      kind: 'same',
    });
  });

  it('never to an audience of the same name that is not external', () => {
    expect(
      verdictOf(record, 'aud-1', { found: live({ originName: 'SEGMENTATION', type: 'SegmentDefinition' }) }),
    ).toEqual({
      kind: 'other',
      reason: 'id aud-1 now names "Audience gold", which is not an external audience',
    });
  });

  it('never to another name, and not on a failed read; an id the service no longer shows is gone', () => {
    expect(verdictOf(record, 'aud-1', { found: live({ name: 'Platinum' }) })).toEqual({
      kind: 'other',
      reason: 'id aud-1 now names "Platinum", not "Audience gold" (renamed outside audiencectl?)',
    });
    expect(verdictOf(record, 'aud-1', { failed: 'HTTP 503' })).toEqual({
      kind: 'unknown',
      reason: 'HTTP 503',
    });
    expect(verdictOf(record, 'aud-1', { found: undefined })).toEqual({ kind: 'gone' });
  });
});
