import { describe, expect, it } from 'vitest';
import { loadTexts, manifestYaml } from '../../test/helpers/manifests.js';
import { appliedState, options } from '../../test/helpers/planning.js';
import type { RecordedState } from '../state/schema.js';
import { rememberSpec } from '../manifest/spec-hash-memo.js';
import { normaliseSpec, specHash } from './normalise.js';
import { plan } from './plan.js';
import { renderJson } from './render/json.js';
import { renderMarkdown } from './render/markdown.js';
import { renderText } from './render/text.js';
import { Plan } from './schema.js';

const gold = (tier: string[]) =>
  loadTexts({
    'gold.yaml': manifestYaml('gold', {
      ingestion: { onCreate: false },
      spec: {
        fields: [
          { name: 'email', type: 'string', identityNs: 'email' },
          { name: 'tier', type: 'string', labels: tier },
        ],
      },
    }),
  });
const AT = '2026-12-03T14:00:00.000Z';

/** gold applied with tier labelled core/C2, then a PATCH of its labels of unknown outcome. */
function marked(paths = ['fields.tier.labels']): RecordedState {
  const state = appliedState(gold(['core/C2']));
  return {
    ...state,
    audiences: state.audiences.map((r) => ({ ...r, unknownAfterPatch: { at: AT, paths } })),
  };
}

describe('the plan of a record with properties unknown since an interrupted PATCH', () => {
  it('PATCHes them to the manifest even when it equals the recorded spec, and says why', () => {
    const result = plan(gold(['core/C2']), marked(), options());
    expect(result.steps).toHaveLength(1);
    const [step] = result.steps;
    expect(step?.kind).toBe('update');
    expect(step?.changes).toEqual([
      {
        path: 'fields.tier.labels',
        before: ['core/C2'],
        after: ['core/C2'],
        forcesReplacement: false,
        unknownSince: AT,
      },
    ]);
    expect(step?.patch).toEqual({ fields: [{ name: 'tier', labels: ['core/C2'] }] });
    expect(step?.reason).toBe(
      'fields.tier.labels unknown since an interrupted PATCH (the service never shows them): PATCH to the manifest',
    );
    const line = `~ fields.tier.labels: (unknown) -> [core/C2]  # the service's value is unknown since an interrupted PATCH at ${AT}`;
    expect(renderText(result, { color: false })).toContain(`        ${line}\n`);
    expect(renderMarkdown(result)).toContain(`    ${line}\n`);
    expect(Plan.parse(JSON.parse(renderJson(result))).steps[0]?.changes[0]?.unknownSince).toBe(AT);
  });

  // The CLI's loader and the controller's cache know each spec's hash (spec-hash-memo.ts): the
  // plan then takes an audience as recorded, nothing due, without building its step (inSync).
  it('PATCHes them too when the loader knows the spec hashes, as the CLI and the controller do', () => {
    const loaded = gold(['core/C2']);
    for (const { manifest } of loaded.manifests)
      rememberSpec(manifest, { hash: specHash(normaliseSpec(manifest.spec)), name: manifest.spec.name });
    expect(plan(loaded, appliedState(gold(['core/C2'])), options()).steps).toEqual([]);
    const result = plan(loaded, marked(), options());
    expect(result.steps.map((s) => [s.kind, s.patch])).toEqual([
      ['update', { fields: [{ name: 'tier', labels: ['core/C2'] }] }],
    ]);
  });

  // A plan saved before apply's resume settles the intent must be the one apply makes after it
  // (else PLAN_SETTLED refuses the saved plan): the same change, dated as the PATCH began.
  it('PATCHes them over a pending PATCH intent that sent them, as once its resume has marked them', () => {
    const state = appliedState(gold(['core/C2']));
    const pending: RecordedState = {
      ...state,
      audiences: state.audiences.map((r) => ({
        ...r,
        intent: { id: 'i-1', kind: 'patch' as const, startedAt: AT, unseenChanged: ['fields.tier.labels'] },
      })),
    };
    const result = plan(gold(['core/C2']), pending, options());
    expect(result.steps.map((s) => [s.kind, s.changes, s.patch])).toEqual([
      [
        'update',
        [
          {
            path: 'fields.tier.labels',
            before: ['core/C2'],
            after: ['core/C2'],
            forcesReplacement: false,
            unknownSince: AT,
          },
        ],
        { fields: [{ name: 'tier', labels: ['core/C2'] }] },
      ],
    ]);
  });

  it('one change per path when the manifest changed it too, to the manifest', () => {
    const result = plan(gold(['core/C3']), marked(), options());
    expect(result.steps.map((s) => s.changes)).toEqual([
      [
        {
          path: 'fields.tier.labels',
          before: ['core/C2'],
          after: ['core/C3'],
          forcesReplacement: false,
          unknownSince: AT,
        },
      ],
    ]);
  });

  it('without the mark, the same record and manifest plan no step', () => {
    expect(plan(gold(['core/C2']), appliedState(gold(['core/C2'])), options()).steps).toEqual([]);
  });

  it('a marked field the manifest no longer has is left to the change that removes it', () => {
    const result = plan(gold(['core/C2']), marked(['fields.gone.labels']), options());
    expect(result.steps).toEqual([]);
  });
});
