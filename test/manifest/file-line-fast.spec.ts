import { createHash } from 'node:crypto';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { stringify } from 'yaml';
import { specNamePositionInText } from '../../src/manifest/duplicates.js';
import { blobHash, encodeBody, formatLine, lineKey, type LineBody } from '../../src/manifest/file-line.js';
import { DEFAULT_PARSE_LIMITS } from '../../src/manifest/limits.js';
import { parseManifestFile } from '../../src/manifest/parse.js';
import { specHash } from '../../src/plan/normalise.js';
import { manifestArb } from '../helpers/arbitraries.js';
import { referenceNormalise } from '../helpers/normalise-reference.js';
import { runs } from '../helpers/property-runs.js';
import { referenceSpecNamePosition } from '../helpers/spec-name-reference.js';

// The per-file work of a parser thread (file-line.ts) done without the intermediate
// strings and objects it used to make: each fast path is compared with the slow one.

/** Lines as manifests (and other YAML) are written, and some that are not. */
const lineArb = fc.constantFrom(
  ...['spec:', 'spec: # c', 'spec: {}', 'spec :', 'metadata:', 'name: top', '---', '--- x', '...', '---x'],
  ...['  name: A', '  name:  B ', '  name:', '    name: deep', '  names: x', '  name : C', '\tname: t'],
  ...['  # name: no', '', '   ', '  description: d', '  fields:', '    - name: f', ' name: one'],
  ...['  name: A\r', 'spec:\r', '\r', '# comment', 'kind: ExternalAudience', '  name: "q"', 'Spec:', '@x'],
  ...['\u00a0name: nbsp', 'spec:\u00a0', 'spec:x', 'Zspec:', '[a]', '- name: item', '.. x', '... y'],
);

describe('specNamePositionInText', () => {
  it('finds what the reference finds in the split lines, from any start', () => {
    fc.assert(
      fc.property(fc.array(lineArb, { maxLength: 14 }), fc.integer({ min: -1, max: 16 }), (lines, start) => {
        const text = lines.join('\n');
        expect(specNamePositionInText(start, text)).toEqual(
          referenceSpecNamePosition(start, text.split('\n')),
        );
      }),
      { numRuns: runs(3000) },
    );
  });

  it('reads a manifest as written', () => {
    const text = 'apiVersion: audiencectl/v1\nmetadata:\n  name: k\nspec:\n  # the name\n  name:  Gold\n';
    expect(specNamePositionInText(1, text)).toEqual({ line: 6, column: 10 });
    expect(specNamePositionInText(7, text)).toEqual({ line: 7, column: 1 });
  });
});

describe('blobHash', () => {
  it('is git blob id of the bytes', () => {
    // `printf 'hello\n' | git hash-object --stdin`
    expect(blobHash(Buffer.from('hello\n'))).toBe('ce013625030ba8dba906f756967f9e9ca394464a');
    expect(blobHash(new Uint8Array(0))).toBe('e69de29bb2d1d6434b8b29ae775ad8c2e48c5391');
  });

  it('hashes what a Hash object fed the header and the bytes hashes', () => {
    fc.assert(
      fc.property(fc.uint8Array({ maxLength: 3000 }), fc.nat(8), (bytes, offset) => {
        // A view into a larger buffer, as the reader hands over.
        const larger = new Uint8Array(bytes.length + offset + 3);
        larger.set(bytes, offset);
        const view = larger.subarray(offset, offset + bytes.length);
        const expected = createHash('sha1').update(`blob ${bytes.length}\0`).update(bytes).digest('hex');
        expect(blobHash(view)).toBe(expected);
      }),
      { numRuns: runs(500) },
    );
  });
});

/** encodeBody as first written (the parts joined by tabs, the body built by spreads): the reference. */
function referenceEncodeBody(body: LineBody): string {
  const manifests = body.r?.manifests ?? [];
  if (manifests.length === 0) return JSON.stringify(body);
  const parts: string[] = [''];
  const placeholders = manifests.map((entry) => {
    const { spec } = entry.manifest;
    parts.push(specHash(referenceNormalise(spec)), JSON.stringify(spec));
    return { ...entry, manifest: { ...entry.manifest, spec: spec.name } };
  });
  parts[0] = JSON.stringify({ ...body, r: { ...body.r, manifests: placeholders } });
  return parts.join('\t');
}

describe('encodeBody', () => {
  const documentsArb = fc
    .array(
      fc.constantFrom('k1', 'k2').chain((key) => manifestArb(key)),
      { maxLength: 3 },
    )
    .map((manifests) => manifests.map((m) => stringify(m)).join('---\n'));

  it('writes the line the reference writes, for the files the full parser reads', () => {
    fc.assert(
      fc.property(documentsArb, fc.boolean(), (text, named) => {
        const parsed = parseManifestFile('a.yaml', text, DEFAULT_PARSE_LIMITS);
        const names = named ? parsed.manifests.map((m) => specNamePositionInText(m.line, text)) : undefined;
        const body: LineBody = names ? { r: parsed, n: names } : { r: parsed };
        expect(encodeBody(body)).toBe(referenceEncodeBody(body));
      }),
      { numRuns: runs(300) },
    );
  });

  it('writes an unreadable file and an unchanged one as the reference does', () => {
    const unreadable: LineBody = {
      u: { severity: 'error', file: 'a', line: 0, column: 0, rule: 'source/unreadable', message: 'm' },
    };
    expect(encodeBody(unreadable)).toBe(referenceEncodeBody(unreadable));
    expect(encodeBody({ same: true })).toBe('{"same":true}');
  });
});

describe('lineKey', () => {
  it('reads back any path formatLine wrote, and refuses what JSON.parse refuses, as JSON.parse alone did', () => {
    // Paths with quotes, backslashes, control and non-ASCII characters: written escaped.
    const special = fc.constantFrom('"', '\\', '\u0001', '\u001f', 'é', '😀');
    const pathArb = fc.string({
      unit: fc.oneof(special, fc.string({ unit: 'binary', minLength: 1, maxLength: 1 })),
    });
    fc.assert(
      fc.property(pathArb, fc.nat(), fc.nat(), (path, size, ino) => {
        const line = formatLine(path, { size, mtimeMs: 1.5, ctimeMs: 2.25, ino }, 'h'.repeat(40), '{}');
        expect(lineKey(line)).toEqual({
          path,
          facts: { size, mtimeMs: 1.5, ctimeMs: 2.25, ino },
          hash: 'h'.repeat(40),
          bodyAt: line.length - 2,
        });
      }),
      { numRuns: runs(300) },
    );
    // A raw quote, backslash or control character in the quotes is not JSON: no key.
    for (const raw of ['"a"b"', '"a\\"', '"a\u0001"', '"\u0000"', '"a\u001f"', '"a\\x"', 'a', '"a']) {
      expect(lineKey(`${raw}\t1\t2\t3\t4\t${'h'.repeat(40)}\t{}`)).toBeUndefined();
    }
    expect(lineKey(`"a\\u0001"\t1\t2\t3\t4\t-\t{}`)?.path).toBe('a\u0001');
    // The first character past the control characters, and DEL, stand as they are in JSON text.
    expect(lineKey(`" a\u007f"\t1\t2\t3\t4\t-\t{}`)?.path).toBe(' a\u007f');
  });
});
