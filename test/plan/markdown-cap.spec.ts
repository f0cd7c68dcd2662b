import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { plan } from '../../src/plan/plan.js';
import { renderMarkdown } from '../../src/plan/render/markdown.js';
import { summarise } from '../../src/plan/summary.js';
import type { PendingIntent, Plan, Step } from '../../src/plan/schema.js';
import { loadTexts, manifestYaml } from '../helpers/manifests.js';
import { appliedState, EMPTY, options } from '../helpers/planning.js';
import { runs } from '../helpers/property-runs.js';

/** GitHub's comment limit is 65,536 characters; the document promises to stay under 65,000. */
const CAP = 65_000;

/** A create target with a real normalised spec, for describeCreate to print. */
const TARGET = plan(loadTexts({ 'a.yaml': manifestYaml('base') }), EMPTY, options()).steps[0]!.target!;

const text = (maxLength: number) =>
  fc.oneof(
    fc.string({ maxLength: 40 }),
    fc.string({ unit: 'grapheme', maxLength }),
    fc.constantFrom('```', '|', '<details>', '\n', '&'.repeat(300)),
  );
const longText = fc.oneof({ weight: 3, arbitrary: text(200) }, { weight: 1, arbitrary: text(6000) });
const kind = fc.constantFrom('create', 'update', 'replace', 'delete', 'forget', 'run', 'move' as const);

const step: fc.Arbitrary<Step> = fc
  .record({
    sandbox: fc.constantFrom('prod', 'dev', 'x'.repeat(200)),
    key: fc.oneof(fc.stringMatching(/^[a-z][a-z0-9-]{0,20}$/), text(500)),
    kind,
    reason: longText,
    changes: fc.array(
      fc.record({ path: text(50), before: longText, after: longText, forcesReplacement: fc.boolean() }),
      { maxLength: 5 },
    ),
    description: longText,
    blocked: fc.option(longText, { nil: undefined }),
    deferred: fc.option(longText, { nil: undefined }),
  })
  .map((s) => ({
    id: `${s.sandbox}/${s.key}:${s.kind}`,
    sandbox: s.sandbox,
    key: s.key,
    kind: s.kind,
    reason: s.reason,
    changes: s.changes,
    ...(s.kind === 'create'
      ? { target: { ...TARGET, spec: { ...TARGET.spec, description: s.description } } }
      : {}),
    ...(s.kind === 'run' ? { run: { reason: 'onCreate', dataFilterStartTime: 0 } } : {}),
    ...(s.blocked === undefined ? {} : { blocked: s.blocked }),
    ...(s.deferred === undefined ? {} : { deferred: s.deferred }),
  }));

/** An interrupted call apply settles first (review 24, M2: these were never budgeted). */
const pendingIntent: fc.Arbitrary<PendingIntent> = fc
  .record({
    sandbox: fc.constantFrom('prod', 'dev', 'x'.repeat(200)),
    key: fc.oneof(fc.stringMatching(/^[a-z][a-z0-9-]{0,60}$/), text(500)),
    kind: fc.constantFrom('delete', 'patch', 'run' as const),
    audienceId: fc.option(text(80), { nil: undefined }),
    manifest: fc.boolean(),
    forReplace: fc.boolean(),
    runReason: fc.option(text(300), { nil: undefined }),
  })
  .map(({ forReplace, runReason, audienceId, ...p }) => {
    const common = { ...p, ...(audienceId === undefined ? {} : { audienceId }) };
    if (p.kind === 'delete')
      return { ...common, kind: 'delete', ...(forReplace ? { forReplace: true } : {}) };
    if (p.kind === 'run')
      return { ...common, kind: 'run', ...(runReason === undefined ? {} : { runReason }) };
    return { ...common, kind: 'patch' };
  });

const arbitraryPlan: fc.Arbitrary<Plan> = fc
  .record({
    steps: fc.array(step, { maxLength: 400 }),
    pending: fc.oneof(
      fc.constant([] as PendingIntent[]),
      fc.array(pendingIntent, { maxLength: 40 }),
      fc.array(pendingIntent, { minLength: 200, maxLength: 600 }),
    ),
    held: fc.array(fc.record({ sandbox: text(80), key: text(80), reason: longText }), { maxLength: 150 }),
    diagnostics: fc.array(
      fc.record({
        severity: fc.constantFrom('error', 'warning' as const),
        file: text(300),
        line: fc.nat(),
        column: fc.nat(),
        rule: text(40),
        message: longText,
      }),
      { maxLength: 150 },
    ),
  })
  .map(({ pending, ...p }) => ({
    formatVersion: 1 as const,
    ...(pending.length > 0 ? { pending } : {}),
    state: { serial: 0 },
    summary: summarise([]),
    ...p,
  }));

function foldedCount(md: string, what: string): number {
  const match = new RegExp(`_(\\d+) more ${what} folded to stay under GitHub's comment limit`).exec(md);
  return match ? Number(match[1]) : 0;
}

/** Every audience, held audience, diagnostic and pending call is either shown or counted as folded. */
function expectAccountedFor(md: string, p: Plan): void {
  // A block ends at a blank line, or at the document's end (its last line ends with one newline).
  const pendingBlock =
    /\*\*Pending \(settled by apply before it plans\): (\d+)\*\*\n\n([\s\S]*?)\n(?:\n|$)/.exec(md);
  expect(Number(pendingBlock?.[1] ?? 0)).toBe(p.pending?.length ?? 0);
  const pendingShown = pendingBlock?.[2]?.split('\n').filter((line) => line.startsWith('- ')).length ?? 0;
  const pendingFolded = /_(\d+) more pending interrupted call\(s\) not listed/.exec(md)?.[1];
  expect(pendingShown + Number(pendingFolded ?? 0)).toBe(p.pending?.length ?? 0);
  const audiences = new Set(p.steps.map((s) => `${s.sandbox}/${s.key}`)).size;
  expect(md.split('<details><summary>').length - 1 + foldedCount(md, 'audience\\(s\\)')).toBe(audiences);
  const heldBlock = /\*\*Held \(left alone\): \d+\*\*\n\n([\s\S]*?)\n(?:\n|$)/.exec(md)?.[1];
  const heldShown = heldBlock === undefined ? 0 : heldBlock.split('\n').length;
  expect(heldShown + foldedCount(md, 'held audience\\(s\\)')).toBe(p.held.length);
  const diagnosticsBlock = /\*\*Diagnostics:\*\*[^\n]*\n\n```\n([\s\S]*?)\n```\n/.exec(md)?.[1];
  const diagnosticsShown = diagnosticsBlock === undefined ? 0 : diagnosticsBlock.split('\n').length;
  expect(diagnosticsShown + foldedCount(md, 'diagnostic\\(s\\)')).toBe(p.diagnostics.length);
}

/** No section of an audience that is deleted, replaced or forgotten comes after one that is not. */
function expectDestructiveFirst(md: string): void {
  const kinds = [...md.matchAll(/^<details><summary><code>.*?<\/code>: (.*)<\/summary>$/gm)].map(
    (m) => m[1]!,
  );
  const destructive = kinds.map((k) => /\b(delete|replace|forget)\b/.test(k));
  expect(
    destructive.slice(destructive.indexOf(false) === -1 ? destructive.length : destructive.indexOf(false)),
  ).not.toContain(true);
}

describe('the Markdown plan never exceeds its cap', () => {
  it('stays under 65,000 characters for arbitrary plans, counting everything it folded', () => {
    fc.assert(
      fc.property(arbitraryPlan, (p) => {
        const md = renderMarkdown(p);
        expect(md.length).toBeLessThan(CAP);
        expectAccountedFor(md, p);
        expectDestructiveFirst(md);
      }),
      { numRuns: runs(60) },
    );
  });

  it('a plan whose only content is one pending delete: its Pending list ends the document, and is counted', () => {
    // fast-check seed 1674 (the property above, 60 runs) shrank to this plan: the Pending list
    // last in the document, with no blank line after it, was read by expectAccountedFor as no list.
    const only: Plan = {
      formatVersion: 1,
      pending: [{ sandbox: 'prod', key: 'a', kind: 'delete', manifest: false }],
      state: { serial: 0 },
      summary: summarise([]),
      steps: [],
      held: [],
      diagnostics: [],
    };
    const md = renderMarkdown(only);
    expect(md.slice(md.indexOf('**Pending'))).toBe(
      '**Pending (settled by apply before it plans): 1**\n\n' +
        "- prod/a: an interrupted delete of the audience its create's operation names (its outcome unknown): " +
        'apply reads the service first; if the audience is gone, the delete is finished; if it is still there, ' +
        'it is deleted only by a delete step of this plan\n',
    );
    expectAccountedFor(md, only);
  });

  it('60 held audiences whose manifests carry a 5,000-character value: under the cap, saying what it folded', () => {
    const names = Array.from({ length: 60 }, (_, i) => `bad-${i}`);
    const state = appliedState(
      loadTexts(Object.fromEntries(names.map((n) => [`${n}.yaml`, manifestYaml(n)]))),
    );
    const value = 'v'.repeat(5000);
    const broken = Object.fromEntries(
      names.map((n) => [`${n}.yaml`, manifestYaml(n, { spec: { ttlInDays: value } })]),
    );
    const result = plan(loadTexts(broken), state, options());
    expect(result.held).toHaveLength(60);
    expect(result.diagnostics.length).toBeGreaterThanOrEqual(60);
    const md = renderMarkdown(result);
    expect(md.length).toBeLessThan(CAP);
    expect(md).toMatch(/_\d+ long line\(s\) shortened; the JSON plan has them whole\._/);
    expect(md).toMatch(/_\d+ more diagnostic\(s\) folded to stay under GitHub's comment limit/);
    expectAccountedFor(md, result);
  });
});

/** A plan of hand-made steps, in the order plan() gives them (removals last). */
function planOf(steps: Step[]): Plan {
  const count = (kind: string) => steps.filter((s) => s.kind === kind).length;
  return {
    formatVersion: 1,
    state: { serial: 0 },
    summary: {
      create: count('create'),
      adopt: 0,
      update: count('update'),
      replace: count('replace'),
      delete: count('delete'),
      forget: count('forget'),
      run: 0,
      move: 0,
      blocked: 0,
      deferred: 0,
    },
    steps,
    held: [],
    diagnostics: [],
  };
}

function handStep(key: string, kind: 'update' | 'replace' | 'delete' | 'forget', size: number): Step {
  return {
    id: `prod/${key}:${kind}`,
    sandbox: 'prod',
    key,
    kind,
    reason: kind === 'delete' ? 'manifest removed' : 'spec changed',
    changes: Array.from({ length: size }, (_, i) => ({
      path: `description${i}`,
      before: 'd',
      after: 'x'.repeat(380),
      forcesReplacement: kind === 'replace',
    })),
  };
}

const SUMMARY = (key: string) => `<details><summary><code>prod/${key}</code>`;

describe('destructive steps are never the ones folded away', () => {
  it('150 updates and 1 delete over the cap: the delete is shown first, updates are folded and counted', () => {
    const updates = Array.from({ length: 150 }, (_, i) => handStep(`tier-${i}`, 'update', 1));
    const md = renderMarkdown(planOf([...updates, handStep('aaa-legacy', 'delete', 0)]));
    expect(md.length).toBeLessThan(CAP);
    expect(md).toContain(`${SUMMARY('aaa-legacy')}: - delete</summary>`);
    expect(md.indexOf(SUMMARY('aaa-legacy'))).toBeLessThan(md.indexOf(SUMMARY('tier-0')));
    const shown = md.split('<details><summary>').length - 1;
    expect(shown).toBeLessThan(151);
    expect(foldedCount(md, 'audience\\(s\\)')).toBe(151 - shown);
    expect(md).toContain('None of them deletes, replaces or forgets an audience');
  });

  it('more deletes, replaces and forgets than fit: every one is named, before any update, and the note counts them', () => {
    const destructive = [
      ...Array.from({ length: 150 }, (_, i) => handStep(`gone-${i}`, 'delete', 2)),
      ...Array.from({ length: 20 }, (_, i) => handStep(`new-name-${i}`, 'replace', 2)),
      ...Array.from({ length: 20 }, (_, i) => handStep(`left-${i}`, 'forget', 2)),
    ];
    const updates = Array.from({ length: 30 }, (_, i) => handStep(`tier-${i}`, 'update', 1));
    const md = renderMarkdown(
      planOf([
        ...updates.slice(0, 15),
        ...destructive.slice(150),
        ...updates.slice(15),
        ...destructive.slice(0, 150),
      ]),
    );
    expect(md.length).toBeLessThan(CAP);
    for (const step of destructive) expect(md).toContain(`prod/${step.key}</code>`);
    expect(md).not.toContain(SUMMARY('tier-0'));
    const shown = md.split('<details><summary>').length - 1;
    expect(shown).toBeGreaterThan(0);
    expect(foldedCount(md, 'audience\\(s\\)')).toBe(220 - shown);
    expect(md).toContain(
      `${190 - shown} of them delete, replace or forget an audience: listed by name above`,
    );
  });
});
