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

describe('verdictOf, for an id `state import` recorded without credentials', () => {
  const unverified: AudienceRecord = {
    schemaVersion: 1,
    sandbox: 'prod',
    key: 'old',
    deletionPolicy: 'Delete',
    audienceId: 'aud-1',
    imported: { at: '2026-11-30T12:00:00.000Z', unverified: true },
    runs: [],
  };

  it('holds the delete of one recorded with no name, naming what the id names', () => {
    expect(
      verdictOf(unverified, 'aud-1', { found: live({ name: 'Platinum', createdBy: 'ana@AdobeID' }) }),
    ).toEqual({
      kind: 'other',
      reason:
        'id aud-1 names "Platinum" (created by ana@AdobeID), and nothing has checked that it is the audience to delete: `audiencectl state import` recorded this id for prod/old without AEP credentials and without a manifest, so with no name to compare it with; if it is, verify it with AEP credentials: `audiencectl state import old MANIFESTS_DIR --sandbox prod --audience-id aud-1 --without-manifest` (MANIFESTS_DIR: your manifests directory), and the next apply deletes it; if not, point the key at the audience to delete: `audiencectl state import old MANIFESTS_DIR --sandbox prod --audience-id AUDIENCE_ID --without-manifest --force` (AUDIENCE_ID: its id in AEP), or run `audiencectl state forget old --sandbox prod` to drop the record and leave "Platinum" alone',
    });
  });

  it('compares the imported name when there is one; a 404 is held either way', () => {
    const named = { ...unverified, imported: { ...unverified.imported!, name: 'Audience gold' } };
    expect(verdictOf(named, 'aud-1', { found: live({}) })).toEqual({ kind: 'same' });
    for (const record of [named, unverified]) {
      const verdict = verdictOf(record, 'aud-1', { found: undefined });
      expect(verdict.kind).toBe('other');
      expect('reason' in verdict ? verdict.reason : '').toContain(
        'id aud-1 names no audience in sandbox "prod" (the Audiences API answered 404), and it never was known to',
      );
    }
  });

  it('sends it once the id was verified (no mark)', () => {
    const verified = { ...unverified, imported: { at: '2026-11-30T12:00:00.000Z' } };
    expect(verdictOf(verified, 'aud-1', { found: live({ name: 'Platinum' }) })).toEqual({ kind: 'same' });
  });
});
