import { describe, expect, it } from 'vitest';
import { plan } from '../../src/plan/plan.js';
import type { RecordedState } from '../../src/state/schema.js';
import { renderText } from '../../src/plan/render/text.js';
import { loadTexts, manifestObject, manifestYaml } from '../helpers/manifests.js';
import { appliedState, EMPTY, kinds, NOW, options } from '../helpers/planning.js';

/** The files the desired sources below use: a record remembers its manifest's file. */
const FILES: Record<string, string> = { gold: 'g.yaml', silver: 's.yaml' };

function stateWith(...names: string[]): RecordedState {
  return appliedState(
    loadTexts(Object.fromEntries(names.map((n) => [FILES[n] ?? `${n}.yaml`, manifestYaml(n)]))),
  );
}

describe('plan: create', () => {
  it('creates a new audience, then starts its first run', () => {
    const result = plan(loadTexts({ 'g.yaml': manifestYaml('gold') }), EMPTY, options());
    expect(kinds(result)).toEqual(['create prod/gold', 'run prod/gold']);
    const [create, run] = result.steps;
    expect(create!.create).toMatchObject({ name: 'Audience gold', ttlInDays: 30 });
    expect(run!.dependsOn).toBe(create!.id);
    expect(run!.run).toEqual({ reason: 'onCreate', dataFilterStartTime: 0 });
    expect(result.summary).toMatchObject({ create: 1, run: 1, blocked: 0 });
  });

  it('skips the first run with ingestion.onCreate: false', () => {
    const result = plan(
      loadTexts({ 'g.yaml': manifestYaml('gold', { ingestion: { onCreate: false } }) }),
      EMPTY,
      options(),
    );
    expect(kinds(result)).toEqual(['create prod/gold']);
  });

  it('resumes a create whose audience id was never recorded', () => {
    const state = stateWith('gold');
    delete state.audiences[0]!.audienceId;
    state.audiences[0]!.operationId = 'op-1';
    const result = plan(loadTexts({ 'g.yaml': manifestYaml('gold') }), state, options());
    expect(kinds(result)).toEqual(['create prod/gold', 'run prod/gold']);
    expect(result.steps[0]!.reason).toMatch(/resume/);
  });

  it('resumes a create as it was sent when the manifest changed since, and says so', () => {
    const sent = stateWith('gold');
    const record = sent.audiences[0]!;
    delete record.audienceId;
    record.operationId = 'op-1';
    record.pendingCreate = {
      body: { ...manifestObject('gold').spec, ttlInDays: 30 },
      spec: record.applied!.spec,
      hash: record.applied!.hash,
    };
    delete record.applied;
    const renamed = loadTexts({ 'g.yaml': manifestYaml('gold', { spec: { name: 'Gold members' } }) });
    const result = plan(renamed, sent, options());
    expect(kinds(result)).toEqual(['create prod/gold', 'run prod/gold']);
    const [create] = result.steps;
    expect(create!.reason).toBe(
      'resume: an interrupted create sent "Audience gold", an earlier spec than the manifest\'s; its operation op-1 is awaited and recorded as sent; the next plan changes it to the manifest',
    );
    expect(create!.create?.name).toBe('Audience gold');
    expect(create!.target).toMatchObject({
      spec: { name: 'Audience gold' },
      hash: record.pendingCreate.hash,
    });
    expect(renderText(result, { color: false })).toContain('name: "Audience gold"');
  });

  it('blocks the resume of a create intent of an earlier release that sent another spec', () => {
    const state = stateWith('gold');
    delete state.audiences[0]!.audienceId;
    state.audiences[0]!.intent = {
      id: 'i-1',
      kind: 'create',
      startedAt: '2026-11-30T10:00:00.000Z',
      specHash: 'old',
    };
    const result = plan(loadTexts({ 'g.yaml': manifestYaml('gold') }), state, options());
    expect(kinds(result)).toEqual(['create prod/gold (blocked)']);
    expect(result.steps[0]!.blocked).toContain(
      'an interrupted create from 2026-11-30T10:00:00.000Z sent another spec',
    );
    expect(result.steps[0]!.blocked).toContain('audiencectl state import gold MANIFESTS_DIR --sandbox prod');
  });

  it('blocks an audience that exists remotely with an unknown id, naming the import command', () => {
    const state = stateWith('gold');
    delete state.audiences[0]!.audienceId;
    state.audiences[0]!.blocked = { code: '100950-409', message: 'exists remotely, id unknown', at: 'x' };
    const result = plan(loadTexts({ 'g.yaml': manifestYaml('gold') }), state, options());
    expect(kinds(result)).toEqual(['create prod/gold (blocked)']);
    expect(result.steps[0]!.blocked).toContain(
      'audiencectl state import gold MANIFESTS_DIR --sandbox prod --audience-id AUDIENCE_ID',
    );
  });
});

describe('plan: update', () => {
  const state = stateWith('gold');

  it('PATCHes only what changed, each property whole', () => {
    const desired = loadTexts({
      'g.yaml': manifestYaml('gold', {
        spec: {
          description: 'new words',
          ttlInDays: 60,
          labels: ['core/C1', 'core/C9'],
          fields: [
            { name: 'email', type: 'string', identityNs: 'email' },
            { name: 'tier', type: 'string', labels: ['core/C3'] },
          ],
        },
      }),
    });
    const result = plan(desired, state, options());
    expect(kinds(result)).toEqual(['update prod/gold']);
    expect(result.steps[0]!.patch).toEqual({
      description: 'new words',
      ttlInDays: 60,
      labels: ['core/C1', 'core/C9'],
      fields: [{ name: 'tier', labels: ['core/C3'] }],
    });
    expect(result.steps[0]!.changes.map((c) => c.path)).toEqual([
      'description',
      'ttlInDays',
      'labels',
      'fields.tier.labels',
    ]);
    expect(result.steps[0]!.audienceId).toBe(state.audiences[0]!.audienceId);
  });

  it('PATCHes every changeable property of an imported audience whose spec is unknown', () => {
    const imported = structuredClone(state);
    delete imported.audiences[0]!.applied;
    const result = plan(loadTexts({ 'g.yaml': manifestYaml('gold') }), imported, options());
    expect(kinds(result)).toEqual(['update prod/gold']);
    expect(Object.keys(result.steps[0]!.patch!).sort()).toEqual([
      'description',
      'fields',
      'labels',
      'ttlInDays',
    ]);
  });
});

describe('plan: deletionPolicy', () => {
  it('records a change of deletionPolicy with an empty PATCH (no API call), so a later removal obeys it', () => {
    const state = stateWith('gold');
    const desired = loadTexts({ 'g.yaml': manifestYaml('gold', { metadata: { deletionPolicy: 'Orphan' } }) });
    const result = plan(desired, state, options());
    expect(kinds(result)).toEqual(['update prod/gold']);
    expect(result.steps[0]!.patch).toEqual({});
    expect(result.steps[0]!.changes).toEqual([
      { path: 'metadata.deletionPolicy', before: 'Delete', after: 'Orphan', forcesReplacement: false },
    ]);
    // That a later removal then forgets is checked after a real apply (test/apply/replan-cases.spec.ts).
  });
});

describe('plan: replacement', () => {
  const state = stateWith('gold');
  const forcing: Array<[string, Parameters<typeof manifestYaml>[1]]> = [
    ['name', { spec: { name: 'Renamed' } }],
    [
      'fields.extra',
      {
        spec: {
          fields: [
            { name: 'email', type: 'string', identityNs: 'email' },
            { name: 'tier', type: 'string', labels: ['core/C2'] },
            { name: 'extra', type: 'boolean' },
          ],
        },
      },
    ],
    ['fields.tier', { spec: { fields: [{ name: 'email', type: 'string', identityNs: 'email' }] } }],
    [
      'fields.tier.type',
      {
        spec: {
          fields: [
            { name: 'email', type: 'string', identityNs: 'email' },
            { name: 'tier', type: 'integer', labels: ['core/C2'] },
          ],
        },
      },
    ],
    [
      'fields.email.identityNs',
      {
        spec: {
          fields: [
            { name: 'email', type: 'string', identityNs: 'phone' },
            { name: 'tier', type: 'string', labels: ['core/C2'] },
          ],
        },
      },
    ],
    [
      'sourceSpec.path',
      {
        spec: {
          sourceSpec: { path: 'other.csv', type: 'file', sourceType: 'Cloud Storage', cloudType: 'DLZ' },
        },
      },
    ],
    ['audienceType', { spec: {} }],
    ['originName', { spec: { originName: 'OTHER' } }],
    ['namespace', { spec: { namespace: 'Other' } }],
    ['customAudienceId', { spec: { customAudienceId: 'crm-1' } }],
    ['tags', { spec: { tags: ['new'] } }],
  ];

  it.each(forcing.filter(([path]) => path !== 'audienceType'))(
    'a change of %s forces replacement, blocked by default',
    (path, overrides) => {
      const result = plan(loadTexts({ 'g.yaml': manifestYaml('gold', overrides) }), state, options());
      expect(kinds(result)).toEqual(['replace prod/gold (blocked)']);
      const step = result.steps[0]!;
      expect(step.changes.find((c) => c.path === path)?.forcesReplacement).toBe(true);
      expect(step.blocked).toMatch(/allowReplace/);
      expect(result.summary.blocked).toBe(1);
    },
  );

  it('replaces (then runs) with --allow-replace', () => {
    const result = plan(
      loadTexts({ 'g.yaml': manifestYaml('gold', { spec: { name: 'Renamed' } }) }),
      state,
      options({ allowReplace: true }),
    );
    expect(kinds(result)).toEqual(['replace prod/gold', 'run prod/gold']);
    expect(result.steps[0]!.audienceId).toBe(state.audiences[0]!.audienceId);
  });

  it('replaces with metadata.allowReplace', () => {
    const desired = loadTexts({
      'g.yaml': manifestYaml('gold', { metadata: { allowReplace: true }, spec: { name: 'Renamed' } }),
    });
    expect(kinds(plan(desired, state, options()))).toEqual(['replace prod/gold', 'run prod/gold']);
  });

  it('a blocked replacement does not stop the other audiences', () => {
    const two = stateWith('gold', 'silver');
    const desired = loadTexts({
      'g.yaml': manifestYaml('gold', { spec: { name: 'Renamed' } }),
      's.yaml': manifestYaml('silver', { spec: { description: 'changed' } }),
    });
    expect(kinds(plan(desired, two, options()))).toEqual([
      'replace prod/gold (blocked)',
      'update prod/silver',
    ]);
  });
});

describe('plan: deletion and its guards', () => {
  it('deletes an audience whose manifest was removed, after the other steps', () => {
    const state = stateWith('gold', 'silver');
    const desired = loadTexts({ 'g.yaml': manifestYaml('gold', { spec: { description: 'x' } }) });
    expect(kinds(plan(desired, state, options()))).toEqual(['update prod/gold', 'delete prod/silver']);
  });

  it('forgets instead with deletionPolicy Orphan', () => {
    const state = appliedState(
      loadTexts({
        'g.yaml': manifestYaml('gold'),
        's.yaml': manifestYaml('silver', { metadata: { deletionPolicy: 'Orphan' } }),
      }),
    );
    expect(kinds(plan(loadTexts({ 'g.yaml': manifestYaml('gold') }), state, options()))).toEqual([
      'forget prod/silver',
    ]);
  });

  it('never reads a file that fails validation as a deletion', () => {
    const state = stateWith('gold', 'silver');
    const broken = manifestYaml('silver').replace('type: file', 'type: nonsense');
    const result = plan(loadTexts({ 'g.yaml': manifestYaml('gold'), 's.yaml': broken }), state, options());
    expect(result.steps).toEqual([]);
    expect(result.held).toEqual([
      { sandbox: 'prod', key: 'silver', reason: 's.yaml has errors; the audience is left as it is' },
    ]);
  });

  it('never applies a valid document of a file that has errors', () => {
    const state = stateWith('gold', 'silver');
    const changed = manifestYaml('gold', { spec: { description: 'changed' } });
    const broken = manifestYaml('silver').replace('type: file', 'type: nonsense');
    const result = plan(loadTexts({ 'both.yaml': `${changed}---\n${broken}` }), state, options());
    expect(result.steps).toEqual([]);
    expect(result.held.map((h) => [h.key, h.reason])).toEqual([
      ['gold', 'both.yaml has errors; the audience is left as it is'],
      ['silver', 'both.yaml has errors; the audience is left as it is'],
    ]);
  });

  it('holds every deletion when a file cannot even be parsed', () => {
    const state = stateWith('gold', 'silver');
    const result = plan(
      loadTexts({
        'g.yaml': manifestYaml('gold'),
        's.yaml': 'apiVersion: audiencectl/v1\nspec: [unclosed\n',
      }),
      state,
      options(),
    );
    expect(result.steps).toEqual([]);
    expect(result.held.map((h) => h.key)).toEqual(['silver']);
  });

  it('refuses to empty the state when the source yields no manifests', () => {
    const state = stateWith('gold', 'silver');
    const result = plan(loadTexts({}), state, options());
    expect(kinds(result)).toEqual(['delete prod/gold (blocked)', 'delete prod/silver (blocked)']);
    expect(result.steps[0]!.blocked).toMatch(/--allow-empty-source/);
    expect(kinds(plan(loadTexts({}), state, options({ allowEmptySource: true })))).toEqual([
      'delete prod/gold',
      'delete prod/silver',
    ]);
  });

  it('blocks deletions above the threshold: max(5, 10% of managed)', () => {
    const names = Array.from({ length: 80 }, (_, i) => `a${String(i).padStart(2, '0')}`);
    const state = stateWith(...names);
    const keep = (n: number) =>
      loadTexts(Object.fromEntries(names.slice(n).map((k) => [`${k}.yaml`, manifestYaml(k)])));
    expect(plan(keep(8), state, options()).summary).toMatchObject({ delete: 8, blocked: 0 });
    const nine = plan(keep(9), state, options());
    expect(nine.summary).toMatchObject({ delete: 0, blocked: 9 });
    expect(nine.steps[0]!.blocked).toMatch(/deletes 9 audiences, over the limit of 8/);
    expect(plan(keep(9), state, options({ allowMassDelete: true })).summary).toMatchObject({
      delete: 9,
      blocked: 0,
    });
    expect(plan(keep(9), state, options({ maxDeletes: 9 })).summary).toMatchObject({ delete: 9 });
  });
});

describe('plan: runs', () => {
  const withRequest = (request: string) =>
    loadTexts({ 'g.yaml': manifestYaml('gold', { ingestion: { request } }) });

  it('starts one run when ingestion.request changes, from the end of the last success', () => {
    const state = appliedState(withRequest('2026-11-01'));
    expect(plan(withRequest('2026-11-01'), state, options()).steps).toEqual([]);
    const result = plan(withRequest('2026-11-02'), state, options());
    expect(kinds(result)).toEqual(['run prod/gold']);
    expect(result.steps[0]!.run).toEqual({ reason: 'request:2026-11-02', dataFilterStartTime: NOW });
  });

  it('waits for a run in progress instead of starting a second one blindly', () => {
    const state = appliedState(withRequest('a'));
    state.audiences[0]!.runs.unshift({
      runId: 'r-busy',
      status: 'PROCESSING',
      createdAt: NOW,
      dataFilterStartTime: 0,
    });
    expect(plan(withRequest('b'), state, options()).steps[0]!.run?.waitsForRunId).toBe('r-busy');
  });

  it('still starts the first run of an audience created by an apply that stopped before its run', () => {
    const desired = loadTexts({ 'g.yaml': manifestYaml('gold') });
    const state = appliedState(desired);
    state.audiences[0]!.runs = [];
    const result = plan(desired, state, options());
    expect(kinds(result)).toEqual(['run prod/gold']);
    expect(result.steps[0]!.run?.reason).toBe('onCreate');
  });

  // apply clears a PATCH's intent before it plans, reading nothing (apply/resume.ts): the first
  // run it then finds owed is shown by `plan` too, beside the pending PATCH.
  it('still starts that first run over an interrupted PATCH, which apply clears before it plans', () => {
    const desired = loadTexts({ 'g.yaml': manifestYaml('gold') });
    const state = appliedState(desired);
    state.audiences[0]!.runs = [];
    state.audiences[0]!.intent = { id: 'i-patch', kind: 'patch', startedAt: '2026-11-22T10:00:00.000Z' };
    const result = plan(desired, state, options());
    expect(kinds(result)).toEqual(['run prod/gold']);
    expect(result.steps[0]!.run?.reason).toBe('onCreate');
    expect(result.pending?.map((p) => p.kind)).toEqual(['patch']);
  });

  it("reads no run of an audience deleted outside as the re-created one's: its first run is still owed, from time 0", () => {
    const desired = loadTexts({ 'g.yaml': manifestYaml('gold', { ingestion: { every: '1h' } }) });
    const state = appliedState(desired);
    // Re-created after a refresh found the old audience gone; the apply stopped before the first run.
    state.audiences[0]!.runs = [
      {
        runId: 'r-old',
        status: 'SUCCESS',
        createdAt: NOW - 7_200,
        dataFilterStartTime: 0,
        dataFilterEndTime: NOW - 7_000,
        formerAudienceId: 'deleted-in-the-ui',
      },
    ];
    const result = plan(desired, state, options());
    expect(kinds(result)).toEqual(['run prod/gold']);
    expect(result.steps[0]!.run).toEqual({ reason: 'onCreate', dataFilterStartTime: 0 });
  });

  it('starts a periodic run once the period has passed, not before', () => {
    const desired = loadTexts({ 'g.yaml': manifestYaml('gold', { ingestion: { every: '24h' } }) });
    const state = appliedState(desired);
    expect(plan(desired, state, options({ now: NOW + 86_399 })).steps).toEqual([]);
    const due = plan(desired, state, options({ now: NOW + 86_400 }));
    expect(kinds(due)).toEqual(['run prod/gold']);
    expect(due.steps[0]!.run?.reason).toBe('every');
  });

  it('defers runs beyond the sandbox daily budget, and says so', () => {
    const desired = loadTexts(Object.fromEntries(['a', 'b', 'c'].map((n) => [`${n}.yaml`, manifestYaml(n)])));
    const result = plan(
      desired,
      EMPTY,
      options({ runBudget: { perSandboxPerDay: 2, perAudiencePerDay: 10 } }),
    );
    expect(kinds(result)).toEqual([
      'create prod/a',
      'run prod/a',
      'create prod/b',
      'run prod/b',
      'create prod/c',
      'run prod/c (deferred)',
    ]);
    expect(result.steps[5]!.deferred).toMatch(/used its 2 runs/);
    expect(result.summary).toMatchObject({ run: 2, deferred: 1, blocked: 0 });
  });

  it('counts the runs recorded in the last 24 hours against the per-audience budget', () => {
    const state = appliedState(withRequest('a'));
    for (let i = 0; i < 10; i += 1) {
      state.audiences[0]!.runs.push({
        runId: `r${i}`,
        status: 'SUCCESS',
        createdAt: NOW - 100 - i,
        dataFilterStartTime: 0,
      });
    }
    expect(kinds(plan(withRequest('b'), state, options()))).toEqual(['run prod/gold (deferred)']);
    expect(kinds(plan(withRequest('b'), state, options({ now: NOW + 86_400 })))).toEqual(['run prod/gold']);
  });
});

describe('plan: sandboxes', () => {
  it('keys audiences by sandbox: the same name in two sandboxes is two audiences', () => {
    const desired = loadTexts({
      'a.yaml': manifestYaml('gold'),
      'b.yaml': manifestYaml('gold', { metadata: { sandbox: 'dev' } }),
    });
    expect(kinds(plan(desired, EMPTY, options()))).toEqual([
      'create dev/gold',
      'run dev/gold',
      'create prod/gold',
      'run prod/gold',
    ]);
  });
});
