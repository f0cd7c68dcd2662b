import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { stringify } from 'yaml';
import { specNamePositionInText } from '../../src/manifest/duplicates.js';
import { decodeBody, encodeBody } from '../../src/manifest/file-line.js';
import type { ParsedFile } from '../../src/manifest/load.js';
import { parseManifestFile } from '../../src/manifest/parse.js';
import { quietManifestLine } from '../../src/manifest/quiet-line.js';
import { knownSpecHash } from '../../src/manifest/spec-hash-memo.js';
import type { ManifestInput } from '../../src/manifest/schema.js';
import { manifestArb } from '../helpers/arbitraries.js';
import { runs } from '../helpers/property-runs.js';
import { quietManifest } from '../helpers/quiet-reference.js';

/** What a file may hold besides a plain manifest: an adoption, a schedule, names of every kind, two documents, errors. */
const twistArb = fc.constantFrom(
  'none',
  'none',
  'none',
  'quiet',
  'quiet',
  'quiet',
  'no-sandbox',
  'adopt',
  'every',
  'allow-replace',
  'unicode-name',
  'doubled-space',
  'quoted-name',
  'two-documents',
  'invalid',
  'unknown-key',
);

function textOf(twist: string, m: ManifestInput): string {
  const quiet: ManifestInput = { ...m, ingestion: { onCreate: false } };
  switch (twist) {
    case 'quiet':
      return stringify(quiet);
    case 'no-sandbox': {
      const metadata = { ...quiet.metadata };
      delete metadata.sandbox;
      return stringify({ ...quiet, metadata });
    }
    case 'adopt':
      return stringify({ ...quiet, metadata: { ...quiet.metadata, adopt: false } });
    case 'every':
      return stringify({ ...m, ingestion: { onCreate: false, every: '1d' } });
    case 'allow-replace':
      return stringify({ ...quiet, metadata: { ...quiet.metadata, allowReplace: true } });
    case 'unicode-name':
      return stringify({ ...quiet, spec: { ...quiet.spec, name: 'Café A' } });
    case 'doubled-space':
      return stringify({ ...quiet, spec: { ...quiet.spec, name: 'A  b' } });
    case 'quoted-name':
      return stringify({ ...quiet, spec: { ...quiet.spec, name: 'say "A"' } });
    case 'two-documents':
      return `${stringify(quiet)}---\n${stringify({ ...quiet, metadata: { ...quiet.metadata, name: 'other' } })}`;
    case 'invalid':
      return stringify({ ...quiet, spec: { ...quiet.spec, ttlInDays: 'x' } });
    case 'unknown-key':
      return stringify({ ...quiet, metadata: { ...quiet.metadata, labels: { a: 'b' } } });
    default:
      return stringify(m);
  }
}

/** The cache line's content of `text` as a parser thread writes it (file-line.ts fileLine). */
function contentOf(path: string, text: string): string {
  const parsed = parseManifestFile(path, text);
  const names = parsed.manifests.map((m) => specNamePositionInText(m.line, text));
  return encodeBody({ r: parsed, n: names });
}

describe('quietManifestLine', () => {
  it('finds a cache line quiet only when its file is a quiet manifest, and reads what decodeBody reads', () => {
    fc.assert(
      fc.property(manifestArb('k1'), twistArb, (m, twist) => {
        const path = 'sub/k1.yaml';
        const content = contentOf(path, textOf(twist, m));
        const decoded = decodeBody(path, content);
        const file: ParsedFile | undefined = 'parsed' in decoded ? decoded : undefined;
        const reference = file === undefined ? undefined : quietManifest(file);
        const found = quietManifestLine(content);
        if (found === undefined) {
          // Only a name JSON escapes (a quote) is left to the long way.
          if (reference !== undefined) expect(reference.name).toMatch(/["\\]/);
          return;
        }
        expect(reference).toBeDefined();
        const manifest = file!.parsed.manifests[0]!.manifest;
        expect(found).toEqual({ ...reference, hash: knownSpecHash(manifest) });
      }),
      { numRuns: runs(300) },
    );
  });

  it("takes the bench repository's line as quiet, and not with a run on create", () => {
    const m = {
      apiVersion: 'audiencectl/v1',
      kind: 'ExternalAudience',
      metadata: { name: 'audience-0', sandbox: 'dev' },
      spec: {
        name: 'Audience 0',
        description: 'd',
        fields: [{ name: 'email', type: 'string', identityNs: 'email' }],
        sourceSpec: { path: 'exports/0.csv', type: 'file', cloudType: 'DLZ' },
        ttlInDays: 30,
        originName: 'CUSTOM_UPLOAD',
      },
      ingestion: { onCreate: false },
    };
    expect(quietManifestLine(contentOf('a.yaml', stringify(m)))).toMatchObject({
      key: 'audience-0',
      sandbox: 'dev',
      name: 'Audience 0',
      deletionPolicy: 'Delete',
      file: 'a.yaml',
    });
    expect(
      quietManifestLine(contentOf('a.yaml', stringify({ ...m, ingestion: { onCreate: true } }))),
    ).toBeUndefined();
  });
});
