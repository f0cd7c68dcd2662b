import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import fc from 'fast-check';
import { afterAll, afterEach, describe, expect, it, vi } from 'vitest';
import { loadTexts, manifestYaml } from '../../test/helpers/manifests.js';
import { appliedState, options } from '../../test/helpers/planning.js';
import type { AudienceRecord, RecordedState } from '../state/schema.js';
import { readSnapshot, writeSnapshot } from '../state/snapshot.js';
import { loadSnapshotBytesSync, SpecsSection } from '../state/snapshot-specs.js';
import { plan } from './plan.js';

// The recorded names guard (name-holders.ts) of a create or replace reads the name every record's
// audience holds. The state snapshot (read by `plan` alone) serves each applied spec as JSON text
// in its specs section, parsed when first read: the guard parsed all of them (10,000 records:
// 0.17-0.2 s and their garbage, in a plan that does not take the quiet path: --include/--exclude,
// credentials, --refresh, --adopt, --base), where it reads only the name.

const dir = mkdtempSync(path.join(os.tmpdir(), 'audiencectl-name-holders-snapshot-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));
afterEach(() => vi.restoreAllMocks());

let written = 0;

/** `records` as the state snapshot serves them (written, then read back), in their order. */
function served(records: readonly AudienceRecord[]): { audiences: AudienceRecord[]; file: string } {
  const file = path.join(dir, `snapshot-${(written += 1)}.jsonl`);
  const facts = { size: 1, mtimeMs: 1, ctimeMs: 1, ino: 1 };
  const entries = records.map((record) => ({ facts, record }));
  expect(writeSnapshot(file, dir, 'schema', 10_000, entries)).toBe(true);
  const snapshot = readSnapshot(loadSnapshotBytesSync(file), dir, 'schema', file)!;
  expect(snapshot.size).toBe(records.length);
  const audiences = records.map((r) => snapshot.records.get(r.sandbox)!.get(r.key)![4]);
  return { audiences, file };
}

const noRun = { ingestion: { onCreate: false } } as const;
const named = (key: string, name: string, more: Record<string, unknown> = {}) =>
  manifestYaml(key, { ...noRun, ...more, spec: { name } });

/** The state an apply of `files` leaves, each audience given an id. */
function applied(files: Record<string, string>): RecordedState {
  const state = appliedState(loadTexts(files));
  return {
    ...state,
    audiences: state.audiences.map((record, n) => ({
      ...record,
      audienceId: `aud-${String(n).padStart(4, '0')}`,
    })),
  };
}

/** Plan options of a plan whose --include reads only the manifests under `dir`. */
const readingOnly = (under: string) =>
  options({
    scope: { include: [`${under}/**`], exclude: [], covers: (file: string) => file.startsWith(`${under}/`) },
  });

describe('the recorded names guard of records the state snapshot serves', () => {
  it('a create among 40 records parses none of their applied specs, and plans as with plain records', () => {
    const files: Record<string, string> = {};
    for (let n = 0; n < 40; n += 1) files[`m/a${n}.yaml`] = named(`a${n}`, `Name ${n}`);
    const state = applied(files);
    const { audiences } = served(state.audiences);
    const parse = vi.spyOn(SpecsSection.prototype, 'parse');
    // As a plan with --include reads them: the records out of scope, the new manifest in it.
    const desired = loadTexts({ 'n/new.yaml': named('new', 'Name New') });
    const result = plan(desired, { ...state, audiences }, readingOnly('n'));
    expect(result.steps.map((s) => s.id)).toEqual(['prod/new:create']);
    // Before: 40, one parse of each record's applied spec to learn its name.
    expect(parse).toHaveBeenCalledTimes(0);
    expect(result).toEqual(plan(desired, structuredClone(state), readingOnly('n')));
  });

  it('a spec section edited since its lines were read fails the plan as parsing it did (the snapshot is stale)', () => {
    const state = applied({ 'a.yaml': named('a', 'Gold'), 'b.yaml': named('b', 'Silver') });
    const { audiences, file } = served(state.audiences);
    // The same length, one byte of the first spec's name changed: its digest no longer matches.
    const bytes = readFileSync(file);
    const at = bytes.lastIndexOf('"name":"Gold"');
    bytes[at + 8] = 'H'.charCodeAt(0);
    writeFileSync(file, bytes);
    // A create whose manifest alone is read: the guard is the only reader of the records' specs
    // (with a.yaml read too, the plan's own comparison of a's spec threw first, whatever the guard did).
    const desired = loadTexts({ 'n/c.yaml': named('c', 'Bronze') });
    expect(() => plan(desired, { ...state, audiences }, readingOnly('n'))).toThrow(
      expect.objectContaining({ code: 'STATE_SNAPSHOT_STALE' }) as Error,
    );
  });
});

/**
 * Names a record may hold: as the service compares them (case, blanks around), as they look
 * (Unicode forms, a Kelvin sign), and JSON text with escapes (a quote, a backslash, a control
 * character, a line separator, characters past ASCII and past the BMP).
 */
const NAMES = [
  'Gold',
  'gold',
  ' GOLD ',
  'Café',
  'Cafe\u0301',
  'caf\u00c9',
  '\u212Aelvin',
  'Kelvin',
  'Stra\u00dfe',
  'say "hi"',
  'back\\slash',
  'tab\there',
  'line\u2028sep',
  '\u65e5\u672c',
  'smile \u{1F600}',
  'Silver',
];

/** A record of the pool's shapes: its name, sandbox, audience, an import, its spec's key order. */
const aRecordShape = fc.record({
  name: fc.constantFrom(...NAMES),
  sandbox: fc.constantFrom('prod', 'dev'),
  audience: fc.boolean(),
  imported: fc.option(fc.constantFrom(...NAMES), { nil: undefined }),
  // The spec's keys as a record file written by hand may hold them: its name not the first.
  nameLast: fc.boolean(),
  // No applied spec at all (an imported or waiting record).
  bare: fc.boolean(),
});

/** A manifest of the plan: a record's key (kept, renamed: a replace) or a new one (a create). */
const aManifest = fc.record({
  of: fc.nat({ max: 7 }),
  fresh: fc.boolean(),
  name: fc.constantFrom(...NAMES),
});

function shaped(
  base: AudienceRecord,
  shape: {
    name: string;
    sandbox: string;
    audience: boolean;
    imported: string | undefined;
    nameLast: boolean;
    bare: boolean;
  },
): AudienceRecord {
  const record: AudienceRecord = { ...base, sandbox: shape.sandbox };
  if (!shape.audience) delete record.audienceId;
  if (shape.imported !== undefined) record.imported = { at: '2026-01-01T00:00:00Z', name: shape.imported };
  delete record.applied;
  if (!shape.bare && base.applied) {
    // Its name in its place (the first key), or moved to the end.
    const spec = { ...base.applied.spec, name: shape.name };
    const { name, ...others } = spec;
    record.applied = { ...base.applied, spec: shape.nameLast ? { ...others, name } : spec };
  }
  return record;
}

describe('the recorded names guard, snapshot-served against plain records (property)', () => {
  it('plans the same: blocked, freed, the same reasons, or the same error', () => {
    const files: Record<string, string> = {};
    for (let n = 0; n < 8; n += 1) files[`m/k${n}.yaml`] = named(`k${n}`, `Key ${n}`);
    const base = applied(files).audiences;
    fc.assert(
      fc.property(
        fc.array(aRecordShape, { minLength: 8, maxLength: 8 }),
        fc.array(aManifest, { minLength: 1, maxLength: 6 }),
        fc.boolean(),
        fc.boolean(),
        (shapes, manifests, allowReplace, withInclude) => {
          const records = shapes.map((shape, n) => shaped(base[n]!, shape));
          const texts: Record<string, string> = {};
          for (const [n, m] of manifests.entries()) {
            const key = m.fresh ? `new${n}` : `k${m.of}`;
            const sandbox = m.fresh ? 'prod' : records[m.of]!.sandbox;
            texts[`${withInclude ? 'n' : 'm'}/${key}.yaml`] = named(key, m.name, { metadata: { sandbox } });
          }
          const desired = () => loadTexts(texts);
          // Read with --include n/**: the records whose manifest is not read are out of scope, neither
          // compared nor removed, so the guard alone reads their specs (from the section's bytes).
          // Without it every record's spec is parsed by the plan before the guard reads its name.
          const opts = { ...(withInclude ? readingOnly('n') : options()), allowReplace };
          const reference = attempt(() =>
            plan(desired(), { meta: undefined, audiences: structuredClone(records) }, opts),
          );
          const { audiences } = served(records);
          const snapshotted = attempt(() => plan(desired(), { meta: undefined, audiences }, opts));
          expect(snapshotted).toEqual(reference);
        },
      ),
      { numRuns: 200 },
    );
  });
});

function attempt<T>(run: () => T): { value: T } | { error: string } {
  try {
    return { value: run() };
  } catch (error) {
    return { error: String(error) };
  }
}
