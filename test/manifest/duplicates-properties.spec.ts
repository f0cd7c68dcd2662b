import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { findDuplicates } from '../../src/manifest/duplicates.js';
import type { DesiredManifest } from '../../src/manifest/load.js';
import type { Manifest } from '../../src/manifest/schema.js';
import { rememberSpec } from '../../src/manifest/spec-hash-memo.js';
import { referenceFindDuplicates } from '../helpers/duplicates-reference.js';
import { runs } from '../helpers/property-runs.js';

// Names that are the same as the service compares them (case, surrounding blanks), that only
// look the same (another Unicode form, a no-break or doubled space, an invisible character),
// and names that look as written (printable ASCII, no doubled space), mixed.
const NAMES = [
  'Gold',
  'gold',
  ' GOLD ',
  'Gold\u00A0members',
  'Gold members',
  'Gold  members',
  'gold  MEMBERS',
  'Caf\u00E9 club',
  'Cafe\u0301 club',
  'caf\u00C9 club',
  'Sil\u200Bver',
  'Silver',
  'Bronze',
] as const;

type Drawn = { key: string; sandbox: string; name: string; file: number; remembered: boolean };

const drawn = fc.record({
  key: fc.constantFrom('a', 'b', 'c', 'd', 'e', 'f'),
  sandbox: fc.constantFrom('prod', 'dev'),
  name: fc.constantFrom(...NAMES),
  // Two manifests may share a file (documents of one file).
  file: fc.integer({ min: 0, max: 7 }),
  // As the manifest cache serves it (spec.name known without reading the spec), or not.
  remembered: fc.boolean(),
});

function candidatesOf(list: readonly Drawn[]): DesiredManifest[] {
  return list.map((d, line) => {
    const manifest = {
      apiVersion: 'audiencectl/v1',
      kind: 'ExternalAudience',
      metadata: { name: d.key, sandbox: d.sandbox },
      spec: { name: d.name },
    } as unknown as Manifest;
    if (d.remembered) rememberSpec(manifest, { hash: `h${line}`, name: d.name });
    return { manifest, file: `f${d.file}.yaml`, line: line + 1, sandbox: d.sandbox, key: d.key };
  });
}

describe('findDuplicates', () => {
  it('finds the same duplicates, same-name and look-alike errors as the three passes over every manifest', () => {
    fc.assert(
      fc.property(fc.array(drawn, { maxLength: 12 }), (list) => {
        const position = (m: DesiredManifest) => ({ line: m.line, column: 3 });
        const found = findDuplicates(candidatesOf(list), position);
        const reference = referenceFindDuplicates(candidatesOf(list), position);
        expect(found.diagnostics).toEqual(reference.diagnostics);
        expect([...found.files]).toEqual([...reference.files]);
      }),
      { numRuns: runs(2000) },
    );
  });
});
