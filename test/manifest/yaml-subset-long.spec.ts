import { describe, expect, it } from 'vitest';
import { parseAllDocuments, stringify } from 'yaml';
import { benchManifest } from '../../bench/lib/generate.js';
import { readYamlSubset } from '../../src/manifest/yaml-subset.js';

/**
 * Manifests longer than the generated ones of the subset reader's property tests (yaml-subset.spec:
 * a few dozen content lines): a schema of many fields is hundreds of lines. The reader keeps
 * its lines' places in storage it grows as a file needs (and reuses for the next file), so a
 * long file, and a short one after it, must read as the full parser reads them.
 */

/** What `yaml` reads of the one document: the expectation, from outside the reader. */
function fullParser(text: string): unknown {
  const docs = parseAllDocuments(text, { uniqueKeys: true });
  expect(Array.isArray(docs) && docs.length === 1 && docs[0]!.errors.length === 0).toBe(true);
  return (docs as Array<{ toJS(): unknown }>)[0]!.toJS();
}

/** The bench's manifest `i` with `count` fields (four lines each), as YAML: 22 + 4 * count content lines. */
function withFields(i: number, count: number): string {
  const manifest = benchManifest(i) as { spec: { fields: unknown[] } };
  manifest.spec.fields = Array.from({ length: count }, (_, n) => ({
    name: `field_${n}`,
    type: n % 2 === 0 ? 'string' : 'number',
    labels: [`core/C${n % 9}`],
  }));
  return stringify(manifest);
}

describe('the YAML subset reader on long manifests', () => {
  it.each([
    ['142 content lines', 30],
    ['422', 100],
    ['4,022', 1_000],
  ])('reads one of %s as the full parser does, and the bench manifest after it', (_what, fields) => {
    const long = withFields(1, fields);
    const short = stringify(benchManifest(2));
    for (const text of [long, short, long]) {
      const read = readYamlSubset(text);
      // Read by the subset reader itself (left to the full parser, the case would prove nothing).
      expect(read).toBeDefined();
      expect(JSON.stringify(read!.value)).toBe(JSON.stringify(fullParser(text)));
    }
  });
});
