import fc from 'fast-check';
import { afterEach, describe, expect, it, vi } from 'vitest';
import { decodeBody, encodeBody, type LineBody } from '../../src/manifest/file-line.js';
import { parseLineBody } from '../../src/manifest/line-body.js';

afterEach(() => vi.restoreAllMocks());

/** A body as a parser thread writes it for a file of one valid manifest (file-line.ts fileLine). */
function oneManifest(overrides: { metadata?: object; ingestion?: object } = {}): LineBody {
  return {
    r: {
      manifests: [
        {
          manifest: {
            apiVersion: 'audiencectl/v1',
            kind: 'ExternalAudience',
            metadata: { name: 'gold', sandbox: 'prod', deletionPolicy: 'Delete', allowReplace: false },
            spec: {
              name: 'Gold members',
              fields: [{ name: 'email', type: 'string' }],
              sourceSpec: { path: 'gold.csv', type: 'file' },
            },
            ingestion: { onCreate: true },
            ...overrides,
          },
          file: 'team/gold.yaml',
          line: 1,
        },
      ],
      diagnostics: [],
      salvaged: [],
      unreadable: false,
    },
    n: [{ line: 7, column: 9 }],
  } as unknown as LineBody;
}

/** JSON.parse's reading of `text`, or the error it throws, to compare with parseLineBody's. */
function outcome(read: (text: string) => unknown, text: string): { value: string } | { threw: string } {
  try {
    // JSON.stringify keeps key order, which toEqual does not compare.
    return { value: JSON.stringify(read(text)) };
  } catch (error) {
    return { threw: (error as Error).name };
  }
}

/** Strings as JSON writes them in every way: plain, escaped, control characters, non-ASCII. */
const text = fc.oneof(
  { weight: 30, arbitrary: fc.stringMatching(/^[a-z0-9 ./-]{0,8}$/) },
  fc.constantFrom('gold', '', 'a"b', 'a\\b', 'tab\there', 'line\nbreak', '\u0000', 'é', '\u2028', '🙂'),
  fc.string({ maxLength: 8 }),
  fc.string({ unit: 'binary', maxLength: 8 }),
);
const whole = fc.oneof(
  { weight: 4, arbitrary: fc.nat() },
  fc.constantFrom(0, 1, 7, 2 ** 53 - 1, 2 ** 53 + 2, 1e21),
);
/** Mostly `common`, sometimes anything of `other`. */
const mostly = <T, U>(common: fc.Arbitrary<T>, other: fc.Arbitrary<U>) =>
  fc.oneof({ weight: 9, arbitrary: common }, { weight: 1, arbitrary: other });

/** Bodies of the common shape with each field drawn, and some not of it. */
const bodyArb = fc
  .record(
    {
      name: text,
      sandbox: fc.option(text, { nil: undefined }),
      deletionPolicy: mostly(fc.constantFrom('Delete', 'Orphan'), fc.constant('Other')),
      allowReplace: mostly(fc.boolean(), fc.constant(0)),
      adopt: fc.option(fc.boolean(), { nil: undefined }),
      specName: text,
      onCreate: fc.boolean(),
      every: fc.option(text, { nil: undefined }),
      request: fc.option(fc.oneof(text, whole), { nil: undefined }),
      dataFilterStartTime: fc.option(mostly(whole, fc.double()), { nil: undefined }),
      file: text,
      line: mostly(whole, fc.integer({ min: -3, max: -1 })),
      nameAt: fc.record({ line: whole, column: whole }),
      diagnostics: mostly(
        fc.constant([]),
        fc.constant([{ severity: 'warning', file: 'f', line: 1, column: 1, rule: 'r', message: 'm' }]),
      ),
      notes: fc.option(fc.constant([]), { nil: undefined, freq: 10 }),
    },
    {
      requiredKeys: [
        'name',
        'deletionPolicy',
        'allowReplace',
        'specName',
        'onCreate',
        'file',
        'line',
        'nameAt',
        'diagnostics',
      ],
    },
  )
  .map((f) => {
    const metadata: Record<string, unknown> = { name: f.name };
    if (f.sandbox !== undefined) metadata.sandbox = f.sandbox;
    metadata.deletionPolicy = f.deletionPolicy;
    metadata.allowReplace = f.allowReplace;
    if (f.adopt !== undefined) metadata.adopt = f.adopt;
    const ingestion: Record<string, unknown> = { onCreate: f.onCreate };
    if (f.every !== undefined) ingestion.every = f.every;
    if (f.request !== undefined) ingestion.request = f.request;
    if (f.dataFilterStartTime !== undefined) ingestion.dataFilterStartTime = f.dataFilterStartTime;
    const r: Record<string, unknown> = {
      manifests: [
        {
          manifest: {
            apiVersion: 'audiencectl/v1',
            kind: 'ExternalAudience',
            metadata,
            spec: f.specName,
            ingestion,
          },
          file: f.file,
          line: f.line,
        },
      ],
      diagnostics: f.diagnostics,
      salvaged: [],
      unreadable: false,
    };
    if (f.notes !== undefined) r.notes = f.notes;
    return JSON.stringify({ r, n: [f.nameAt] });
  });

/** Text as JSON.stringify does not write it but JSON.parse may read (or refuse): numbers, spaces, damage. */
function respelled(body: string, how: number, at: number): string {
  const i = at % (body.length + 1);
  switch (how) {
    case 0:
      return body.replace(/"line":(\d+)/, '"line":0$1');
    case 1:
      return body.replace(/"line":(\d+)/, '"line":$1.0');
    case 2:
      return body.replace(/"line":(\d+)/, '"line":$1e0');
    case 3:
      return `${body.slice(0, i)} ${body.slice(i)}`;
    case 4:
      return body.slice(0, i) + body.slice(i + 1);
    case 5:
      return body.replace('"gold"', '"g\\u006fld"');
    default:
      return `${body.slice(0, i)}"${body.slice(i)}`;
  }
}

describe('a manifest cache line body', () => {
  it('is read without JSON.parse when it holds one valid manifest and nothing else', () => {
    const content = encodeBody(oneManifest());
    const parse = vi.spyOn(JSON, 'parse');
    const decoded = decodeBody('team/gold.yaml', content);
    expect(parse).not.toHaveBeenCalled();
    expect('parsed' in decoded && decoded.parsed.manifests[0]!.manifest.metadata.name).toBe('gold');
  });

  it('is read as JSON.parse reads it, key order and refusals too, whatever it holds', () => {
    const parse = vi.spyOn(JSON, 'parse');
    // Bodies read without JSON.parse: the comparison must not be of JSON.parse with itself.
    let matched = 0;
    fc.assert(
      fc.property(
        bodyArb,
        fc.nat(6),
        fc.nat(),
        mostly(fc.constant(false), fc.constant(true)),
        (body, how, at, damage) => {
          const read = damage ? respelled(body, how, at) : body;
          const calls = parse.mock.calls.length;
          const fast = outcome(parseLineBody, read);
          if (parse.mock.calls.length === calls) matched += 1;
          expect(fast).toEqual(outcome((t) => JSON.parse(t) as unknown, read));
        },
      ),
      { numRuns: 3_000 },
    );
    expect(matched).toBeGreaterThan(100);
  });

  it('takes the common shape with every optional field, and without', () => {
    for (const body of [
      oneManifest(),
      oneManifest({
        metadata: { name: 'gold', deletionPolicy: 'Orphan', allowReplace: true, adopt: false },
        ingestion: { onCreate: false, every: '7d', request: 'r1', dataFilterStartTime: 1_700_000_000 },
      }),
    ]) {
      const json = encodeBody(body);
      const head = json.slice(0, json.indexOf('\t'));
      const parse = vi.spyOn(JSON, 'parse');
      const read = parseLineBody(head);
      expect(parse).not.toHaveBeenCalled();
      vi.restoreAllMocks();
      expect(JSON.stringify(read)).toBe(head);
      expect(read).toStrictEqual(JSON.parse(head));
    }
  });
});
