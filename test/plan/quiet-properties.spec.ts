import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { stringify } from 'yaml';
import { assembleLoad } from '../../src/manifest/assemble.js';
import type { ParsedFile } from '../../src/manifest/load.js';
import type { ManifestInput } from '../../src/manifest/schema.js';
import { parseManifestFile } from '../../src/manifest/parse.js';
import { plan, type PlanOptions } from '../../src/plan/plan.js';
import { planQuiet, type QuietAudience } from '../../src/plan/quiet.js';
import { renderJson } from '../../src/plan/render/json.js';
import { renderText } from '../../src/plan/render/text.js';
import { recordId } from '../../src/state/record-id.js';
import type { AudienceRecord, RecordedState } from '../../src/state/schema.js';
import type { Plan } from '../../src/plan/schema.js';
import { manifestArb } from '../helpers/arbitraries.js';
import { EMPTY, NOW, options } from '../helpers/planning.js';
import { runs } from '../helpers/property-runs.js';
import { quietPair } from '../helpers/quiet-reference.js';
import { simulateApply } from '../helpers/simulate-apply.js';

const KEYS = ['a', 'b', 'c', 'd', 'e', 'f', 'g', 'h'];

/** What becomes of an audience applied before: kept, edited, renamed in spec, dropped, moved to another file. */
type Fate = 'keep' | 'edit' | 'drop' | 'shared-name' | 'other-file' | 'invalid' | 'joined';
const fateArb = fc.oneof(
  { weight: 30, arbitrary: fc.constant<Fate>('keep') },
  fc.constantFrom<Fate>('edit', 'drop', 'shared-name', 'other-file', 'invalid', 'joined'),
);

/** What is done to a record after the apply: nothing (mostly), or one thing a quiet record may not have. */
type Touch =
  | 'none'
  | 'run'
  | 'failed-run'
  | 'intent'
  | 'blocked'
  | 'unknown'
  | 'policy'
  | 'file'
  | 'no-file'
  | 'root'
  | 'repository'
  | 'no-audience'
  | 'hash'
  | 'drop'
  | 'other-sandbox';
const touchArb = fc.oneof(
  { weight: 40, arbitrary: fc.constant<Touch>('none') },
  fc.constantFrom<Touch>(
    'run',
    'failed-run',
    'intent',
    'blocked',
    'unknown',
    'policy',
    'file',
    'no-file',
    'root',
    'repository',
    'no-audience',
    'hash',
    'drop',
    'other-sandbox',
  ),
);

function touched(record: AudienceRecord, touch: Touch): AudienceRecord | undefined {
  const at = new Date((NOW - 7200) * 1000).toISOString();
  const run = {
    runId: `run-${record.key}`,
    status: 'SUCCESS',
    createdAt: NOW - 7200,
    dataFilterStartTime: 0,
  };
  switch (touch) {
    case 'none':
      return record;
    case 'run':
      return { ...record, runs: [run] };
    case 'failed-run':
      return { ...record, runs: [{ ...run, status: 'FAILED', failureReason: 'bad file' }] };
    case 'intent':
      return { ...record, intent: { id: 'i-1', kind: 'patch', startedAt: at } };
    case 'blocked':
      return { ...record, blocked: { code: 'NAME_TAKEN', message: 'the name is taken', at } };
    case 'unknown':
      return { ...record, unknownAfterPatch: { at, paths: ['description'] } };
    case 'policy':
      return { ...record, deletionPolicy: record.deletionPolicy === 'Delete' ? 'Orphan' : 'Delete' };
    case 'file':
      return { ...record, manifestFile: 'elsewhere.yaml' };
    case 'no-file': {
      const rest = { ...record };
      delete rest.manifestFile;
      return rest;
    }
    case 'root':
      return { ...record, sourceRoot: 'other' };
    case 'repository':
      return { ...record, repository: 'acme/other' };
    case 'no-audience': {
      const rest = { ...record };
      delete rest.audienceId;
      return rest;
    }
    case 'hash':
      return { ...record, applied: { ...record.applied!, hash: '0000000000000000' } };
    case 'drop':
      return undefined;
    case 'other-sandbox':
      return { ...record, sandbox: record.sandbox === 'prod' ? 'dev' : 'prod' };
  }
}

/** For the mutation check: a failed run now and then, nothing else (failedRuns reads it). */
const failedRunArb = fc.oneof(
  { weight: 6, arbitrary: fc.constant<Touch>('none') },
  fc.constant<Touch>('failed-run'),
);

const caseOf = (touches: fc.Arbitrary<Touch>) =>
  fc.subarray(KEYS, { minLength: 1 }).chain((keys) =>
    fc.record({
      before: fc.tuple(...keys.map((k) => manifestArb(k))),
      edits: fc.tuple(...keys.map((k) => manifestArb(k))),
      fates: fc.array(fateArb, { minLength: keys.length, maxLength: keys.length }),
      touches: fc.array(touches, { minLength: keys.length, maxLength: keys.length }),
      // A manifest no record holds: a create (the fast path's fallback).
      added: fc.option(manifestArb('z'), { nil: undefined, freq: 6 }),
      sourceRoot: fc.constantFrom(undefined, 'src', '/abs/src'),
      repository: fc.constantFrom(undefined, 'acme/audiences'),
      // Mostly what the plan gives (else every record gets a record-only update).
      recordedRoot: fc.constantFrom('planned', 'planned', 'planned', undefined, 'src'),
      recordedRepository: fc.constantFrom('planned', 'planned', 'planned', undefined, 'acme/audiences'),
    }),
  );

/** Most audiences quiet: ingestion off, as most manifests of a large repository. */
function quietly(m: ManifestInput, loud: boolean): ManifestInput {
  return loud ? m : { ...m, ingestion: { onCreate: false } };
}

const caseArb = caseOf(touchArb);
type Case = typeof caseArb extends fc.Arbitrary<infer T> ? T : never;

/** The files of the case, and the state of having applied `before` (then touched). */
function build(c: Case) {
  const before = c.before.map((m, i) => quietly(m, i % 3 === 2));
  const files = (ms: ManifestInput[]) =>
    ms.map((m) => ({ path: `${m.metadata.name}.yaml`, text: stringify(m) }));
  const appliedLoad = assembleLoad(
    files(before).map((f) => ({ path: f.path, parsed: parseManifestFile(f.path, f.text) })),
    { defaultSandbox: 'prod' },
  );
  const permissive = options({ allowReplace: true, allowMassDelete: true, allowEmptySource: true });
  const applied = simulateApply(plan(appliedLoad, EMPTY, permissive), EMPTY, NOW - 3600);
  const audiences: AudienceRecord[] = [];
  for (const record of applied.audiences) {
    const i = before.findIndex((m) => m.metadata.name === record.key);
    const root = c.recordedRoot === 'planned' ? c.sourceRoot : c.recordedRoot;
    const repository = c.recordedRepository === 'planned' ? c.repository : c.recordedRepository;
    const withPlace = {
      ...record,
      ...(root === undefined ? {} : { sourceRoot: root }),
      ...(repository === undefined ? {} : { repository }),
    };
    const kept = touched(withPlace, c.touches[i] ?? 'none');
    if (kept) audiences.push(kept);
  }
  const state: RecordedState = { meta: applied.meta, audiences };
  const texts: Array<{ path: string; text: string }> = [];
  let joined = '';
  before.forEach((m, i) => {
    const fate = c.fates[i]!;
    const path = `${m.metadata.name}.yaml`;
    if (fate === 'keep') texts.push({ path, text: stringify(m) });
    else if (fate === 'edit') texts.push({ path, text: stringify(quietly(c.edits[i]!, false)) });
    else if (fate === 'shared-name')
      texts.push({ path, text: stringify({ ...m, spec: { ...m.spec, name: ' Shared ' } }) });
    else if (fate === 'other-file') texts.push({ path: `moved/${path}`, text: stringify(m) });
    else if (fate === 'invalid')
      texts.push({
        path,
        text: `apiVersion: audiencectl/v1\nkind: ExternalAudience\nmetadata: {name: ${m.metadata.name}\n`,
      });
    else if (fate === 'joined') joined += `---\n${stringify(m)}`;
  });
  if (joined !== '') texts.push({ path: 'joined.yaml', text: joined });
  if (c.added) texts.push({ path: 'z.yaml', text: stringify(quietly(c.added, false)) });
  const parsed: ParsedFile[] = texts.map((f) => ({
    path: f.path,
    parsed: parseManifestFile(f.path, f.text),
  }));
  return { parsed, state };
}

/** The pairs quietPair finds (each record once), and the rest as the load and state would hold it. */
function split(parsed: readonly ParsedFile[], state: RecordedState, acceptRuns = false) {
  const byId = new Map(state.audiences.map((r) => [recordId(r.sandbox, r.key), r]));
  const quiet: QuietAudience[] = [];
  const taken = new Set<AudienceRecord>();
  const restFiles: ParsedFile[] = [];
  for (const file of parsed) {
    const entry = file.parsed.manifests[0];
    const sandbox = entry?.manifest.metadata.sandbox ?? 'prod';
    const record = entry ? byId.get(recordId(sandbox, entry.manifest.metadata.name)) : undefined;
    const q = quietPair(file, record, 'prod', acceptRuns);
    if (q && record) {
      quiet.push(q);
      taken.add(record);
    } else restFiles.push(file);
  }
  return {
    quiet,
    rest: assembleLoad(restFiles, { defaultSandbox: 'prod' }),
    restState: { meta: state.meta, audiences: state.audiences.filter((r) => !taken.has(r)) },
  };
}

function planOptions(c: { sourceRoot?: string | undefined; repository?: string | undefined }): PlanOptions {
  return options({
    ...(c.sourceRoot === undefined ? {} : { sourceRoot: c.sourceRoot }),
    ...(c.repository === undefined ? {} : { repository: c.repository }),
  });
}

/** The kinds of step a plan of quiet pairs was made with, counted by the property (not vacuous for them). */
type Counted = 'create' | 'replace' | 'removal' | 'over the limit';

/** The kinds of `result`'s steps that count (Counted), each once. */
function countedKinds(result: Plan): Set<Counted> {
  const kinds = new Set<Counted>();
  for (const step of result.steps) {
    if (step.kind === 'create' || step.kind === 'replace') kinds.add(step.kind);
    if (step.kind === 'delete' || step.kind === 'forget') kinds.add('removal');
    // The deletion guard's limit, which counts the managed audiences (the quiet ones too).
    if (step.blocked?.includes('over the limit') === true) kinds.add('over the limit');
  }
  return kinds;
}

/**
 * Counterexamples of `planQuiet` against `plan` over random cases; how many took the quiet path,
 * and how many of those planned each kind of step that counts.
 */
function check<T>(
  numRuns: number,
  cases: fc.Arbitrary<T>,
  made: (c: T) => { parsed: ParsedFile[]; state: RecordedState; opts: PlanOptions },
  acceptRuns = false,
  seed?: number,
  examples: T[] = [],
): { fast: number; kinds: Map<Counted, number>; failure?: unknown } {
  let fast = 0;
  const kinds = new Map<Counted, number>();
  try {
    fc.assert(
      fc.property(cases, (c) => {
        const { parsed, state, opts } = made(c);
        const full = plan(assembleLoad(parsed, { defaultSandbox: 'prod' }), state, opts);
        const { quiet, rest, restState } = split(parsed, state, acceptRuns);
        const quick = planQuiet(rest, restState, quiet, opts);
        if (quick === undefined) return;
        if (quiet.length > 0) {
          fast += 1;
          for (const kind of countedKinds(full)) kinds.set(kind, (kinds.get(kind) ?? 0) + 1);
        }
        expect(quick).toEqual(full);
        expect(renderText(quick, { color: false })).toBe(renderText(full, { color: false }));
        expect(renderJson(quick)).toBe(renderJson(full));
      }),
      { numRuns, examples: examples.map((e) => [e] as [T]), ...(seed === undefined ? {} : { seed }) },
    );
  } catch (failure) {
    return { fast, kinds, failure };
  }
  return { fast, kinds };
}

/** A random case of edits and touches, as `check` plans it. */
const randomCase = (c: Case) => ({ ...build(c), opts: planOptions(c) });

/** A quiet manifest of `key` (ingestion off, one file each), its source path `path`. */
function bulkManifest(key: string, path = `${key}.csv`, allowReplace = false): ManifestInput {
  return {
    apiVersion: 'audiencectl/v1',
    kind: 'ExternalAudience',
    metadata: { name: key, sandbox: 'prod', deletionPolicy: 'Delete', allowReplace },
    spec: {
      name: `Audience ${key}`,
      description: 'x',
      fields: [{ name: 'id', type: 'string', identityNs: 'email' }],
      sourceSpec: { path, type: 'file', cloudType: 'DLZ' },
      ttlInDays: 30,
      originName: 'CUSTOM_UPLOAD',
    },
    ingestion: { onCreate: false },
  };
}

/**
 * Many applied audiences, most left as they are (quiet), a few replaced (a new source path,
 * allowed), removed or new: around the default deletion limit (the larger of 5 and 10% of the
 * managed audiences), which the quiet ones' count moves.
 */
const bulkArb = fc.record({
  count: fc.integer({ min: 20, max: 90 }),
  replaced: fc.integer({ min: 0, max: 9 }),
  removed: fc.oneof({ weight: 2, arbitrary: fc.constant(0) }, fc.integer({ min: 1, max: 9 })),
  created: fc.integer({ min: 0, max: 2 }),
  maxDeletes: fc.option(fc.integer({ min: 0, max: 8 }), { nil: undefined, freq: 4 }),
  // The search elsewhere found which commit removed each removed file (its step says so).
  removedIn: fc.boolean(),
});

/** Always tried: guards the rest alone would trip (a limit of 5) where the whole set's is 6. */
const BULK_EXAMPLES = [
  { count: 60, replaced: 6, removed: 0, created: 1, maxDeletes: undefined, removedIn: false },
  { count: 60, replaced: 0, removed: 6, created: 0, maxDeletes: undefined, removedIn: true },
  { count: 60, replaced: 3, removed: 3, created: 1, maxDeletes: undefined, removedIn: false },
];

function bulkCase(c: typeof bulkArb extends fc.Arbitrary<infer T> ? T : never) {
  const keys = Array.from({ length: c.count }, (_, i) => `k${i}`);
  const text = (m: ManifestInput) => ({ path: `${m.metadata.name}.yaml`, text: stringify(m) });
  const parse = (f: { path: string; text: string }): ParsedFile => ({
    path: f.path,
    parsed: parseManifestFile(f.path, f.text),
  });
  const applied = assembleLoad(
    keys.map((k) => parse(text(bulkManifest(k)))),
    { defaultSandbox: 'prod' },
  );
  const permissive = options({ allowReplace: true, allowMassDelete: true, allowEmptySource: true });
  const state = simulateApply(plan(applied, EMPTY, permissive), EMPTY, NOW - 3600);
  const parsed: ParsedFile[] = [];
  keys.forEach((k, i) => {
    if (i < c.removed) return;
    const replaced = i >= c.removed && i < c.removed + c.replaced;
    parsed.push(parse(text(replaced ? bulkManifest(k, `${k}-b.csv`, true) : bulkManifest(k))));
  });
  for (let i = 0; i < c.created; i++) parsed.push(parse(text(bulkManifest(`new${i}`))));
  const elsewhere = keys
    .slice(0, c.removed)
    .map((key) => ({ kind: 'removed-in' as const, sandbox: 'prod', key, commit: 'c0ffee'.padEnd(40, '0') }));
  const opts = options({
    ...(c.maxDeletes === undefined ? {} : { maxDeletes: c.maxDeletes }),
    ...(c.removedIn && elsewhere.length > 0 ? { elsewhere } : {}),
  });
  return { parsed, state, opts };
}

describe('the plan of quiet pairs (planQuiet)', () => {
  it('equals the plan of every audience made into objects, when it is made', () => {
    const { fast, failure } = check(runs(400), caseArb, randomCase);
    expect(failure).toBeUndefined();
    // Not vacuous: many cases are planned the fast way. Which kinds of step among them is the
    // next property's to show: on a fifth of these cases (CI's Node 20 pass) a replace on the
    // fast path was sometimes among none of them (CI of 8e72a3cd); its examples always are.
    expect(fast).toBeGreaterThan(runs(400) / 20);
  });

  it('equals it for many quiet audiences and a few replaced, removed or new: the guards count them all', () => {
    const { fast, kinds, failure } = check(runs(150), bulkArb, bulkCase, false, undefined, BULK_EXAMPLES);
    expect(failure).toBeUndefined();
    expect(fast).toBeGreaterThan(runs(150) / 4);
    // Plans whose guard limit only the quiet audiences' count decides, on the quiet path.
    expect(kinds.get('over the limit') ?? 0).toBeGreaterThan(0);
    // Creates, replaces and removals on the fast path (BULK_EXAMPLES, always tried, hold each).
    expect(kinds.get('create') ?? 0).toBeGreaterThan(0);
    expect(kinds.get('replace') ?? 0).toBeGreaterThan(0);
    expect(kinds.get('removal') ?? 0).toBeGreaterThan(0);
  });

  // A check that the property above can fail, not a property: its cases are not scaled down
  // (runs()), and its seed is fixed, so that it finds a counterexample every time (on a fifth
  // of 400 random cases, as CI's Node 20 pass ran it, it sometimes found none).
  it('differs when a record with runs is taken as quiet (the mutation check)', () => {
    const { failure } = check(400, caseOf(failedRunArb), randomCase, true, 56);
    expect(failure).toBeDefined();
  });
});

describe('when the quiet pairs matter to the plan of the rest, planQuiet makes none', () => {
  const opts = options();
  const file = (key: string, name = `Audience ${key}`, sandbox = 'prod'): ParsedFile => {
    const path = sandbox === 'prod' ? `${key}.yaml` : `${sandbox}-${key}.yaml`;
    const text = stringify({
      apiVersion: 'audiencectl/v1',
      kind: 'ExternalAudience',
      metadata: { name: key, sandbox, deletionPolicy: 'Delete' },
      spec: {
        name,
        description: 'x',
        fields: [{ name: 'id', type: 'string', identityNs: 'email' }],
        sourceSpec: { path: 'a.csv', type: 'file', cloudType: 'DLZ' },
        ttlInDays: 30,
        originName: 'CUSTOM_UPLOAD',
      },
      ingestion: { onCreate: false },
    });
    return { path, parsed: parseManifestFile(path, text) };
  };
  /** The state of having applied `files`. */
  const appliedOf = (files: ParsedFile[]): RecordedState =>
    simulateApply(plan(assembleLoad(files, { defaultSandbox: 'prod' }), EMPTY, opts), EMPTY, NOW - 3600);

  it('a removal while the only manifests left are quiet: the empty-source guard counts them', () => {
    const state = appliedOf([file('a'), file('b')]);
    const parsed = [file('a')];
    const full = plan(assembleLoad(parsed, { defaultSandbox: 'prod' }), state, opts);
    const { quiet, rest, restState } = split(parsed, state);
    expect(quiet.map((q) => q.key)).toEqual(['a']);
    // What planning the rest alone would say: the source yielded nothing, the delete blocked.
    expect(plan(rest, restState, opts).steps[0]!.blocked).toMatch(/yielded no manifests/);
    expect(full.steps[0]!.blocked).toBeUndefined();
    expect(planQuiet(rest, restState, quiet, opts)).toEqual(full);
  });

  it('a removal of an audience a quiet record shares: the shared-audience hold reads the quiet record', () => {
    const applied = appliedOf([file('a'), file('b')]);
    const a = applied.audiences.find((r) => r.key === 'a')!;
    // b's record names a's audience (a state edited outside audiencectl).
    const state = {
      ...applied,
      audiences: applied.audiences.map((r) => (r.key === 'b' ? { ...r, audienceId: a.audienceId } : r)),
    };
    const parsed = [file('a')];
    const full = plan(assembleLoad(parsed, { defaultSandbox: 'prod' }), state, opts);
    const { quiet, rest, restState } = split(parsed, state);
    expect(quiet.map((q) => q.key)).toEqual(['a']);
    expect(full.held.map((h) => h.key)).toEqual(['b']);
    expect(plan(rest, restState, opts).held).toEqual([]);
    expect(planQuiet(rest, restState, quiet, opts)).toBeUndefined();
  });

  it("a manifest of the rest with a quiet pair's spec.name: the duplicate names both files", () => {
    const state = appliedOf([file('a')]);
    const parsed = [file('a'), file('c', 'AUDIENCE a')];
    const full = plan(assembleLoad(parsed, { defaultSandbox: 'prod' }), state, opts);
    const { quiet, rest, restState } = split(parsed, state);
    expect(quiet.map((q) => q.key)).toEqual(['a']);
    expect(full.diagnostics.length).toBeGreaterThan(0);
    expect(plan(rest, restState, opts).diagnostics).toEqual([]);
    expect(planQuiet(rest, restState, quiet, opts)).toBeUndefined();
  });
  it("a removed record that names no file, of a quiet pair's key in another sandbox: held, that file still names it", () => {
    const applied = appliedOf([file('a'), file('a', 'Audience a in dev', 'dev')]);
    const state = {
      ...applied,
      audiences: applied.audiences.map((r) => {
        if (r.sandbox !== 'prod') return r;
        const rest = { ...r };
        delete rest.manifestFile;
        return rest;
      }),
    };
    const parsed = [file('a', 'Audience a in dev', 'dev')];
    const full = plan(assembleLoad(parsed, { defaultSandbox: 'prod' }), state, opts);
    const { quiet, rest, restState } = split(parsed, state);
    expect(quiet.map((q) => `${q.sandbox}/${q.key}`)).toEqual(['dev/a']);
    expect(full.held.map((h) => `${h.sandbox}/${h.key}`)).toEqual(['prod/a']);
    expect(plan(rest, restState, { ...opts, quietPairs: 1 }).steps.map((s) => s.kind)).toEqual(['delete']);
    expect(planQuiet(rest, restState, quiet, opts)).toBeUndefined();
  });

  it("a removed record waiting for its create, of a quiet record's operation: forgotten as moved there", () => {
    const applied = appliedOf([file('a'), file('w')]);
    // a's create answered (operation op-1); w's record a copy of it not yet removed, as a carried
    // create leaves it when killed between writing a and removing w (waiting-move.ts).
    const state = {
      ...applied,
      audiences: applied.audiences.map((r) => {
        if (r.key === 'a') return { ...r, operationId: 'op-1' };
        const rest = { ...r, operationId: 'op-1' };
        delete rest.audienceId;
        return rest;
      }),
    };
    const parsed = [file('a')];
    const full = plan(assembleLoad(parsed, { defaultSandbox: 'prod' }), state, opts);
    const { quiet, rest, restState } = split(parsed, state);
    expect(quiet.map((q) => q.key)).toEqual(['a']);
    expect(full.steps.map((s) => s.reason)).toEqual([expect.stringContaining('its record was moved to a')]);
    expect(plan(rest, restState, { ...opts, quietPairs: 1 })).not.toEqual(full);
    expect(planQuiet(rest, restState, quiet, opts)).toBeUndefined();
  });

  it('what is found elsewhere for a removal: only which commit removed its file leaves the pairs as lines', () => {
    const state = appliedOf([file('a'), file('b')]);
    const parsed = [file('a')];
    // The directory the records were applied from is above: every file as they name it (applied-from.ts).
    const elsewhere = [{ kind: 'applied-from' as const, dir: '..', under: 'audiences' }];
    expect(
      plan(assembleLoad(parsed, { defaultSandbox: 'prod' }), state, { ...opts, elsewhere }).steps.map(
        (s) => s.key,
      ),
    ).toContain('a');
    const { quiet, rest, restState } = split(parsed, state);
    expect(planQuiet(rest, restState, quiet, { ...opts, elsewhere })).toBeUndefined();
    // Which commit removed it, its removal step says: planned the quiet way.
    const removedIn = [{ kind: 'removed-in' as const, sandbox: 'prod', key: 'b', commit: 'a'.repeat(40) }];
    const full = plan(assembleLoad(parsed, { defaultSandbox: 'prod' }), state, {
      ...opts,
      elsewhere: removedIn,
    });
    expect(full.steps.map((s) => s.reason)).toEqual([expect.stringContaining('in commit aaaaaaa')]);
    expect(planQuiet(rest, restState, quiet, { ...opts, elsewhere: removedIn })).toEqual(full);
  });
});
