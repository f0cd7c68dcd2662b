import { describe, expect, it } from 'vitest';
import { loadTexts, manifestYaml } from '../../test/helpers/manifests.js';
import { aRecord } from '../../test/state/helpers.js';
import type { Intent } from '../state/schema.js';
import { pendingIntents } from './pending.js';
import { pendingLine } from './render/pending-lines.js';
import { plan } from './plan.js';
import { renderText } from './render/text.js';
import { appliedState, options } from '../../test/helpers/planning.js';

function intent(kind: Intent['kind'], extra: Partial<Intent> = {}): Intent {
  return { id: `i-${kind}`, kind, startedAt: '2026-11-22T10:00:00.000Z', ...extra };
}

// gold and tin have manifests; silver's and lead's were removed.
const manifests = loadTexts({ 'gold.yaml': manifestYaml('gold'), 'tin.yaml': manifestYaml('tin') }).manifests;

describe('pendingIntents and their lines', () => {
  it('lists the delete, PATCH and run intents apply settles before it plans, each with what apply does', () => {
    const records = [
      aRecord('tin', { intent: intent('run', { runReason: 'request:r2', dataFilterStartTime: 0 }) }),
      aRecord('silver', { intent: intent('patch') }),
      aRecord('gold', { intent: intent('delete', { forReplace: true }) }),
      aRecord('lead', { audienceId: undefined, intent: intent('run', { runReason: 'every' }) }),
    ];
    const pending = pendingIntents(manifests, records);
    expect(pending).toEqual([
      {
        sandbox: 'prod',
        key: 'gold',
        kind: 'delete',
        audienceId: 'aud-gold',
        forReplace: true,
        manifest: true,
      },
      { sandbox: 'prod', key: 'lead', kind: 'run', runReason: 'every', manifest: false },
      { sandbox: 'prod', key: 'silver', kind: 'patch', audienceId: 'aud-silver', manifest: false },
      {
        sandbox: 'prod',
        key: 'tin',
        kind: 'run',
        audienceId: 'aud-tin',
        runReason: 'request:r2',
        manifest: true,
      },
    ]);
    expect(pending.map(pendingLine)).toEqual([
      'prod/gold: an interrupted delete of aud-gold (its outcome unknown): apply reads the service first; if the audience is gone, the delete is finished and the audience is created again (a new id); if it is still there, nothing is deleted',
      'prod/lead: an interrupted run request with no audience id recorded: apply clears it and plans again',
      'prod/silver: an interrupted PATCH of aud-silver (its outcome unknown): apply reads the audience back first and records the description, labels and ttlInDays the service shows; no manifest this plan read names it, so no step of it PATCHes the audience',
      'prod/tin: an interrupted run request of aud-tin (its outcome unknown), for ingestion.request "r2": apply reads the audience\'s runs first; if they show the run it started, it is recorded (not asked for again); if none, a run is asked for if still due; if they cannot tell, no run is started until the intent is settled',
    ]);
  });

  // What the PATCH sent that no read can settle (Intent.unseenChanged): the resume marks it unknown.
  it('says of a PATCH that sent field labels that they are marked unknown and PATCHed to the manifest', () => {
    const records = [
      aRecord('gold', { intent: intent('patch', { unseenChanged: ['fields.tier.labels'] }) }),
      aRecord('silver', { intent: intent('patch', { unseenChanged: ['fields.tier.labels'] }) }),
    ];
    const pending = pendingIntents(manifests, records);
    expect(pending.map((shown) => [shown.key, shown.kind === 'patch' ? shown.unseen : 'other'])).toEqual([
      ['gold', ['fields.tier.labels']],
      ['silver', ['fields.tier.labels']],
    ]);
    expect(pending.map(pendingLine)).toEqual([
      'prod/gold: an interrupted PATCH of aud-gold (its outcome unknown): apply reads the audience back first and records the description, labels and ttlInDays the service shows, and marks fields.tier.labels unknown (the PATCH sent them; the service never shows them); the steps below assume the spec recorded before the PATCH, and apply plans again from what it reads: the audience is PATCHed to the manifest whichever spec it holds, and not when it matches, except fields.tier.labels, PATCHed to the manifest until a PATCH of them is answered',
      'prod/silver: an interrupted PATCH of aud-silver (its outcome unknown): apply reads the audience back first and records the description, labels and ttlInDays the service shows, and marks fields.tier.labels unknown (the PATCH sent them; the service never shows them); no manifest this plan read names it, so no step of it PATCHes the audience',
    ]);
  });

  // apply leaves a create intent to the create step (resume.ts), which the plan shows.
  it('leaves a create intent out, with or without its manifest', () => {
    const records = [
      aRecord('gold', { audienceId: undefined, intent: intent('create', { specHash: 'sha256:x' }) }),
      aRecord('silver', { audienceId: undefined, intent: intent('create') }),
    ];
    expect(pendingIntents(manifests, records)).toEqual([]);
  });

  // Review 25, L2: a manifest not read is not a removed one (which means a deletion here).
  it('says of an audience whose file has an error that no manifest read names it, never that it was removed', () => {
    const good = loadTexts({ 'g.yaml': manifestYaml('gold'), 's.yaml': manifestYaml('silver') });
    const state = appliedState(good);
    const silver = state.audiences.find((record) => record.key === 'silver')!;
    silver.intent = intent('patch');
    const broken = loadTexts({
      'g.yaml': manifestYaml('gold'),
      's.yaml': manifestYaml('silver').replace('description:', 'description: [oops'),
    });
    const result = plan(broken, state, options());
    expect(result.held.map((held) => held.key)).toEqual(['silver']);
    const text = renderText(result, { color: false });
    expect(text).toContain(
      `prod/silver: an interrupted PATCH of ${silver.audienceId} (its outcome unknown): apply reads the audience back first and records the description, labels and ttlInDays the service shows; no manifest this plan read names it, so no step of it PATCHes the audience`,
    );
    expect(text).not.toContain('removed');
  });
});
