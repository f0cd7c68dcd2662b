import { describe, expect, it } from 'vitest';
import { plan } from '../../src/plan/plan.js';
import { renderMarkdown } from '../../src/plan/render/markdown.js';
import { renderText } from '../../src/plan/render/text.js';
import type { AdoptView, FoundAudience } from '../../src/plan/schema.js';
import type { RecordedState } from '../../src/state/schema.js';
import { loadTexts, manifestYaml } from '../helpers/manifests.js';
import { EMPTY, kinds, NOW, options } from '../helpers/planning.js';
import { simulateApply } from '../helpers/simulate-apply.js';

const AT = '2026-11-30T12:00:00.000Z';

function found(id: string, overrides: Partial<FoundAudience> = {}): FoundAudience {
  return {
    status: 'found',
    audienceId: id,
    name: 'Audience gold',
    description: 'About gold',
    labels: ['core/C1'],
    ttlInDays: 30,
    external: true,
    originName: 'CUSTOM_UPLOAD',
    namespace: 'CustomerAudienceUpload',
    createdBy: 'colleague@AdobeID',
    createdAt: 1_780_000_000,
    ...overrides,
  };
}

const view = (audiences: FoundAudience[]): AdoptView => ({ at: AT, byKey: { 'prod/gold': audiences } });
const asked = loadTexts({
  'gold.yaml': manifestYaml('gold', { metadata: { adopt: true }, ingestion: { onCreate: true } }),
});
const plain = loadTexts({ 'gold.yaml': manifestYaml('gold', { ingestion: { onCreate: true } }) });

describe('plan: adoption when asked (metadata.adopt, --adopt)', () => {
  it('adopts the one audience of that name, with what will be PATCHed, and no first run', () => {
    const result = plan(
      asked,
      EMPTY,
      options({ adoptView: view([found('ext-1', { description: 'Made in the UI', ttlInDays: 60 })]) }),
    );
    expect(kinds(result)).toEqual(['adopt prod/gold']);
    const step = result.steps[0]!;
    expect(step).toMatchObject({ kind: 'adopt', audienceId: 'ext-1' });
    expect(step.reason).toContain('adopt the existing audience ext-1 (metadata.adopt)');
    expect(step.changes.map((c) => c.path)).toEqual(['description', 'ttlInDays']);
    expect(step.patch).toMatchObject({ description: 'About gold', ttlInDays: 30 });
    expect(result.summary).toMatchObject({ adopt: 1, create: 0 });
    const text = renderText(result, { color: false });
    expect(text).toContain(' <= prod/gold adopt: adopt the existing audience ext-1');
    expect(text).toContain('~ description: "Made in the UI" -> "About gold"');
    expect(text).toContain('Plan: 0 to create, 1 to adopt,');
    expect(renderMarkdown(result)).toContain('| 0 | 1 | 0 |');
    // Once adopted, nothing more: the record is as an import leaves it.
    expect(plan(asked, simulateApply(result, EMPTY, NOW), options()).steps).toEqual([]);
  });

  it('--adopt does it for every manifest; without it a manifest is created', () => {
    const adoptView = view([found('ext-1')]);
    expect(kinds(plan(plain, EMPTY, options({ adopt: true, adoptView })))).toEqual(['adopt prod/gold']);
    expect(plan(plain, EMPTY, options({ adopt: true, adoptView })).steps[0]!.reason).toContain('(--adopt)');
    expect(kinds(plan(plain, EMPTY, options({ adoptView })))).toEqual(['create prod/gold', 'run prod/gold']);
  });

  it('without a lookup (plan --base) shows the adoption the apply makes, never a create or a first run', () => {
    const result = plan(asked, EMPTY, options());
    expect(kinds(result)).toEqual(['adopt prod/gold']);
    expect(result.steps[0]).toMatchObject({ kind: 'adopt', candidates: [], changes: [] });
    expect(result.steps[0]!.audienceId).toBeUndefined();
    expect(result.steps[0]!.blocked).toBeUndefined();
    expect(result.steps[0]!.reason).toBe(
      'adopt an existing audience (metadata.adopt); this plan reads no service: the apply looks up the audiences named "Audience gold" in sandbox "prod", adopts exactly one it may adopt (a PATCH of its changeable properties to the manifest, no first run) and blocks if none or several; it never creates this audience',
    );
    expect(result.summary).toMatchObject({ adopt: 1, create: 0, run: 0 });
    expect(kinds(plan(plain, EMPTY, options({ adopt: true })))).toEqual(['adopt prod/gold']);
  });

  it('blocks when none or several could be adopted, listing the candidates and why', () => {
    const claimed: RecordedState = {
      meta: undefined,
      audiences: [
        {
          schemaVersion: 1,
          sandbox: 'prod',
          key: 'other',
          audienceId: 'ext-9',
          deletionPolicy: 'Delete',
          runs: [],
        },
      ],
    };
    const none = plan(
      asked,
      claimed,
      options({
        allowMassDelete: true,
        adoptView: view([
          found('ext-9'),
          found('seg-1', { external: false }),
          found('ext-3', { originName: 'AUDIENCE_MANAGER' }),
        ]),
      }),
    );
    const step = none.steps.find((s) => s.key === 'gold')!;
    expect(step.kind).toBe('adopt');
    expect(step.blocked).toContain(
      'no audience named "Audience gold" that audiencectl may adopt in sandbox "prod"',
    );
    expect(step.blocked).toContain(
      'ext-9 (created 2026-05-28T20:26:40.000Z by colleague@AdobeID; already recorded for prod/other)',
    );
    expect(step.blocked).toContain('seg-1 (created');
    expect(step.blocked).toContain('not an external audience');
    expect(step.blocked).toContain('origin AUDIENCE_MANAGER, not CUSTOM_UPLOAD');
    const several = plan(asked, EMPTY, options({ adoptView: view([found('ext-1'), found('ext-2')]) }));
    expect(several.steps[0]!.blocked).toContain('several audiences named "Audience gold" could be adopted');
    expect(
      several.steps[0]!.kind === 'adopt' && several.steps[0]!.candidates.map((c) => c.audienceId),
    ).toEqual(['ext-1', 'ext-2']);
    expect(plan(asked, EMPTY, options({ adoptView: view([]) })).steps[0]!.blocked).toContain(
      'no audience named',
    );
  });

  it('blocks, as a replace would, when what cannot be PATCHed differs', () => {
    const result = plan(asked, EMPTY, options({ adoptView: view([found('ext-1', { namespace: 'Other' })]) }));
    expect(kinds(result)).toEqual(['adopt prod/gold (blocked)']);
    // Leaving adoption off cannot help while the audience holds the name: the create is refused.
    expect(result.steps[0]!.blocked).toBe(
      'namespace cannot be changed in place, and an audience audiencectl did not create is never replaced: make the manifest match it, or give the manifest another spec.name (a create of this one is refused while that audience holds it)',
    );
    expect(renderText(result, { color: false })).toContain(
      '~ namespace: "Other" -> "CustomerAudienceUpload"  # forces replacement',
    );
  });
});

describe('plan: adoption is asked for, and takes the exact name only', () => {
  it('--adopt leaves a manifest with metadata.adopt: false to be created', () => {
    const declined = loadTexts({
      'gold.yaml': manifestYaml('gold', { metadata: { adopt: false }, ingestion: { onCreate: true } }),
    });
    const result = plan(declined, EMPTY, options({ adopt: true, adoptView: view([found('ext-1')]) }));
    expect(kinds(result)).toEqual(['create prod/gold', 'run prod/gold']);
    expect(result.steps[0]!.reason).toBe('new manifest');
  });

  it('does not adopt an audience whose name differs only in case or blanks', () => {
    const result = plan(
      asked,
      EMPTY,
      options({
        adoptView: view([
          found('ext-1', { name: 'audience gold' }),
          found('ext-2', { name: 'Audience gold ' }),
        ]),
      }),
    );
    expect(kinds(result)).toEqual(['adopt prod/gold (blocked)']);
    expect(result.steps[0]!.blocked).toContain(
      'no audience named "Audience gold" that audiencectl may adopt',
    );
    expect(result.steps[0]!.blocked).toContain('named "audience gold"');
  });
});
