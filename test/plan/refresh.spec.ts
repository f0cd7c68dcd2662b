import { describe, expect, it } from 'vitest';
import { plan } from '../../src/plan/plan.js';
import { renderMarkdown } from '../../src/plan/render/markdown.js';
import { renderText } from '../../src/plan/render/text.js';
import type { LiveState, RefreshView } from '../../src/plan/schema.js';
import type { RecordedState } from '../../src/state/schema.js';
import { loadTexts, manifestYaml } from '../helpers/manifests.js';
import { appliedState, kinds, options } from '../helpers/planning.js';
import { simulateApply } from '../helpers/simulate-apply.js';

const AT = '2026-11-30T12:00:00.000Z';
const desired = loadTexts({
  'gold.yaml': manifestYaml('gold', { ingestion: { onCreate: true } }),
  'silver.yaml': manifestYaml('silver', { ingestion: { onCreate: false } }),
});
const converged = appliedState(desired);
const idOf = (state: RecordedState, key: string) => state.audiences.find((r) => r.key === key)!.audienceId!;

/** As the service shows the audience manifestYaml(key) describes, with `overrides`. */
type Found = Extract<LiveState, { status: 'found' }>;

function shown(key: string, overrides: Partial<Found> = {}): Found {
  return {
    status: 'found',
    audienceId: idOf(converged, key),
    name: `Audience ${key}`,
    description: `About ${key}`,
    labels: ['core/C1'],
    ttlInDays: 30,
    external: true,
    ...overrides,
  };
}

function view(audiences: Record<string, LiveState>): RefreshView {
  return {
    at: AT,
    audiences: Object.fromEntries(Object.entries(audiences).map(([k, v]) => [`prod/${k}`, v])),
  };
}

describe('plan --refresh (the refresh read arrives as data)', () => {
  it('plans nothing when the service shows what was applied, and says what it cannot see', () => {
    const result = plan(
      desired,
      converged,
      options({ refresh: view({ gold: shown('gold'), silver: shown('silver') }) }),
    );
    expect(result.steps).toEqual([]);
    expect(result.refresh).toEqual({
      at: AT,
      read: 2,
      drifted: [],
      unseen: ['fields (types, identity namespaces, field labels)', 'sourceSpec', 'tags'],
    });
    const text = renderText(result, { color: false });
    expect(text).toContain('No changes.');
    expect(text).toContain(
      `Refreshed 2 recorded audience(s) from AEP at ${AT}: 0 deleted, 0 changed, 0 renamed`,
    );
    expect(text).toContain('Not compared (the Audiences API does not show them): fields');
    expect(renderMarkdown(result)).toContain('Not compared (the Audiences API does not show them)');
  });

  it('re-creates an audience deleted outside audiencectl, with its first run, naming the gone id', () => {
    const gone = idOf(converged, 'gold');
    const result = plan(
      desired,
      converged,
      options({ refresh: view({ gold: { status: 'missing', audienceId: gone }, silver: shown('silver') }) }),
    );
    expect(kinds(result)).toEqual(['create prod/gold', 'run prod/gold']);
    expect(result.steps[0]).toMatchObject({
      goneAudienceId: gone,
      reason: `audience ${gone} was deleted outside audiencectl (refresh): create it again`,
    });
    expect(result.steps[1]!.dependsOn).toBe(result.steps[0]!.id);
    expect(result.refresh?.drifted).toEqual([
      {
        sandbox: 'prod',
        key: 'gold',
        kind: 'deleted',
        detail: `audience ${gone} was deleted outside audiencectl`,
      },
    ]);
    expect(renderText(result, { color: false })).toContain('1 deleted, 0 changed, 0 renamed');
  });

  it('PATCHes description, labels and ttlInDays changed outside back to the manifest, and only them', () => {
    const live = shown('silver', {
      description: 'edited in the UI',
      labels: ['core/C5', 'core/C1'],
      ttlInDays: 60,
    });
    const result = plan(
      desired,
      converged,
      options({ refresh: view({ gold: shown('gold'), silver: live }) }),
    );
    expect(kinds(result)).toEqual(['update prod/silver']);
    const step = result.steps[0]!;
    expect(step.reason).toBe(
      'description, labels, ttlInDays changed outside audiencectl (refresh): PATCH back to the manifest',
    );
    expect(step.patch).toEqual({ description: 'About silver', labels: ['core/C1'], ttlInDays: 30 });
    expect(step.changes).toEqual([
      {
        path: 'description',
        before: 'edited in the UI',
        after: 'About silver',
        forcesReplacement: false,
        outside: true,
      },
      {
        path: 'labels',
        before: ['core/C1', 'core/C5'],
        after: ['core/C1'],
        forcesReplacement: false,
        outside: true,
      },
      { path: 'ttlInDays', before: 60, after: 30, forcesReplacement: false, outside: true },
    ]);
    expect(renderText(result, { color: false })).toContain(
      '~ description: "edited in the UI" -> "About silver"  # changed outside audiencectl',
    );
    // Once PATCHed, the same view of the service is no longer drift from what was applied.
    const after = simulateApply(result, converged, 1_790_000_100);
    expect(
      plan(
        desired,
        after,
        options({
          refresh: view({
            silver: { ...live, description: 'About silver', labels: ['core/C1'], ttlInDays: 30 },
          }),
        }),
      ).steps,
    ).toEqual([]);
  });

  it('a manifest edit and a drift of another property make one PATCH with both reasons', () => {
    const edited = loadTexts({
      'gold.yaml': manifestYaml('gold', { ingestion: { onCreate: true } }),
      'silver.yaml': manifestYaml('silver', { spec: { ttlInDays: 45 }, ingestion: { onCreate: false } }),
    });
    const result = plan(
      edited,
      converged,
      options({ refresh: view({ silver: shown('silver', { description: 'x' }) }) }),
    );
    expect(kinds(result)).toEqual(['update prod/silver']);
    expect(result.steps[0]!.reason).toBe(
      'description changed outside audiencectl (refresh): PATCH back to the manifest; ttlInDays changed',
    );
    expect(result.steps[0]!.patch).toEqual({ description: 'About silver', ttlInDays: 45 });
  });

  it('an outside change the manifest now asks for anyway is no drift; an unshown TTL is not guessed', () => {
    const edited = loadTexts({
      'silver.yaml': manifestYaml('silver', { spec: { description: 'new' }, ingestion: { onCreate: false } }),
    });
    const live = shown('silver', { description: 'new' });
    delete (live as { ttlInDays?: number }).ttlInDays;
    const result = plan(
      edited,
      converged,
      options({ refresh: view({ silver: live }), allowMassDelete: true }),
    );
    expect(result.refresh?.drifted).toEqual([]);
    expect(result.steps.find((s) => s.key === 'silver')?.reason).toBe('description changed');
  });

  it('blocks an audience renamed outside, or whose id now names a non-external audience, and says what to do', () => {
    const result = plan(
      desired,
      converged,
      options({
        refresh: view({
          gold: shown('gold', { name: 'Gold (renamed in the UI)' }),
          silver: shown('silver', { external: false }),
        }),
      }),
    );
    expect(kinds(result)).toEqual(['update prod/gold (blocked)', 'update prod/silver (blocked)']);
    expect(result.steps[0]!.blocked).toContain(
      `is now named "Gold (renamed in the UI)" (recorded as "Audience gold"): renamed outside audiencectl, and a name cannot be PATCHed; rename it back in AEP, or run \`audiencectl state forget gold --sandbox prod\``,
    );
    expect(result.steps[1]!.blocked).toContain('"Audience silver", not an external audience');
    expect(result.refresh?.drifted.map((d) => d.kind)).toEqual(['renamed', 'renamed']);
  });

  it('ignores a view of another id (the record changed since the read) and plans as without refresh', () => {
    const result = plan(
      desired,
      converged,
      options({ refresh: view({ gold: { status: 'missing', audienceId: 'other-id' } }) }),
    );
    expect(result.steps).toEqual([]);
  });

  it('an imported audience found under its id keeps its full PATCH; found deleted, it is created again', () => {
    const imported: RecordedState = {
      meta: undefined,
      audiences: [
        {
          schemaVersion: 1,
          sandbox: 'prod',
          key: 'silver',
          audienceId: 'imp-1',
          deletionPolicy: 'Delete',
          runs: [],
          imported: { at: AT },
        },
      ],
    };
    const only = loadTexts({ 'silver.yaml': manifestYaml('silver', { ingestion: { onCreate: false } }) });
    const found = plan(
      only,
      imported,
      options({ refresh: view({ silver: { ...shown('silver'), audienceId: 'imp-1', description: 'x' } }) }),
    );
    expect(kinds(found)).toEqual(['update prod/silver']);
    expect(found.steps[0]!.reason).toContain('imported audience');
    const missing = plan(
      only,
      imported,
      options({ refresh: view({ silver: { status: 'missing', audienceId: 'imp-1' } }) }),
    );
    expect(kinds(missing)).toEqual(['create prod/silver']);
  });

  it('blocks every re-create when more recorded audiences are missing than max(5, 10%): another org looks like that', () => {
    const names = Array.from({ length: 12 }, (_, i) => `a${String(i).padStart(2, '0')}`);
    const many = loadTexts(
      Object.fromEntries(
        names.map((name) => [`${name}.yaml`, manifestYaml(name, { ingestion: { onCreate: false } })]),
      ),
    );
    const state = appliedState(many);
    const missing = (count: number): RefreshView => ({
      at: AT,
      audiences: Object.fromEntries(
        state.audiences
          .slice(0, count)
          .map((r): [string, LiveState] => [
            `prod/${r.key}`,
            { status: 'missing', audienceId: r.audienceId! },
          ]),
      ),
    });
    // 5 of 12 (the limit: max(5, 2)): re-created, as before.
    const five = plan(many, state, options({ refresh: missing(5) }));
    expect(five.steps.filter((s) => s.kind === 'create' && !s.blocked)).toHaveLength(5);
    // 6: every one blocked, saying why and what to pass; --max-deletes 0 changes nothing here.
    const six = plan(many, state, options({ refresh: missing(6), maxDeletes: 0 }));
    expect(six.steps.map((s) => [s.kind, s.blocked])).toEqual(
      Array.from({ length: 6 }, () => [
        'create',
        'the refresh found 6 recorded audiences missing from AEP, more than 5 (the larger of 5 and 10% of the managed audiences); credentials of another IMS org, or of another sandbox, look exactly like this: check them, and pass --allow-mass-recreate if the audiences really were deleted outside audiencectl',
      ]),
    );
    expect(six.summary.blocked).toBe(6);
    const allowed = plan(many, state, options({ refresh: missing(6), allowMassRecreate: true }));
    expect(allowed.steps.filter((s) => s.kind === 'create' && !s.blocked)).toHaveLength(6);
  });
});
