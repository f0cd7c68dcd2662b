import { writeFile } from 'node:fs/promises';
import path from 'node:path';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { DEFAULT_PARSE_LIMITS, parseManifestFile } from '../../src/manifest/parse.js';
import { prescan } from '../../src/manifest/prescan.js';
import { runCli, withTempDir } from '../helpers/cli.js';
import { HOSTILE } from '../helpers/hostile.js';
import { runs } from '../helpers/property-runs.js';

/** Pieces that parsers find hard, repeated many times and mixed at random. */
const piece = fc.constantFrom(
  '[',
  ']',
  '{',
  '}',
  '- ',
  ': ',
  'k: ',
  '\n',
  '  ',
  '---\n',
  '"',
  "'",
  '&a ',
  '*a ',
  'x',
  '# ',
  ',',
  '|\n',
  '\t',
  '? ',
);
const hostileText = fc
  .array(fc.tuple(piece, fc.integer({ min: 1, max: 20_000 })), { minLength: 1, maxLength: 6 })
  .map((runs) => runs.map(([text, times]) => text.repeat(times)).join(''));

function expectNoCrash(result: { code: number; stdout: string; stderr: string }): void {
  expect(result.stderr).not.toMatch(/Internal error|FATAL|RangeError|\n\s+at /);
  expect(result.stdout).not.toContain('undefined');
  expect([0, 1]).toContain(result.code);
}

describe('hostile input', () => {
  it('validate refuses each pathological file with a diagnostic naming it, and does not crash', async () => {
    await withTempDir(async (dir) => {
      for (const [name, make] of Object.entries(HOSTILE)) await writeFile(path.join(dir, name), make());
      const result = await runCli(['validate', '.'], { cwd: dir });
      expectNoCrash(result);
      expect(result.code).toBe(1);
      const lines = result.stdout.split('\n');
      const refusals: Record<string, string> = {
        'deep-flow-seq.yaml':
          'deep-flow-seq.yaml:1:35: error: nesting deeper than 32 levels; the file is refused [yaml/too-deep]',
        'deep-block-seq.yaml':
          'deep-block-seq.yaml:1:63: error: nesting deeper than 32 levels; the file is refused [yaml/too-deep]',
        'deep-block-map.yaml':
          'deep-block-map.yaml:33:33: error: nesting deeper than 32 levels; the file is refused [yaml/too-deep]',
        'deep-explicit-keys.yaml':
          'deep-explicit-keys.yaml:1:63: error: nesting deeper than 32 levels; the file is refused [yaml/too-deep]',
        'deep-keys-on-a-line.yaml':
          'deep-keys-on-a-line.yaml:1:95: error: nesting deeper than 32 levels; the file is refused [yaml/too-deep]',
        // The parser's 129th level: the 128th `{` of its nested maps, which start at column 6 of line 3.
        'deep-past-a-misread-quote.yaml':
          'deep-past-a-misread-quote.yaml:3:514: error: nesting deeper than 32 levels; the file is refused [yaml/too-deep]',
        'many-documents.yaml':
          'many-documents.yaml:2000:1: error: more than 1000 YAML documents in one file; the file is refused [yaml/too-many-documents]',
        'many-keys.yaml':
          'many-keys.yaml:1001:1: error: more than 1000 entries in one mapping or sequence; the file is refused [yaml/too-many-entries]',
      };
      for (const line of Object.values(refusals)) expect(lines).toContain(line);
      for (const name of Object.keys(HOSTILE)) {
        expect(lines.some((line) => line.startsWith(`${name}:`))).toBe(true);
      }
    });
  });

  it('random mixtures of hard pieces never crash validate', async () => {
    const texts = fc.sample(hostileText, { numRuns: 10, seed: 20261130 });
    await withTempDir(async (dir) => {
      for (const [i, text] of texts.entries()) await writeFile(path.join(dir, `r${i}.yaml`), text);
      expectNoCrash(await runCli(['validate', dir]));
    });
  });

  it('refuses a file the prescan misreads before the parser recurses into its nesting', () => {
    // The parser recursing to the stack's end aborted Node (V8 compiling a regular
    // expression there: "RegExpCompiler Allocation failed"), this test's process with it.
    const text = HOSTILE['deep-past-a-misread-quote.yaml']!();
    expect(prescan(text, DEFAULT_PARSE_LIMITS)).toBeUndefined();
    expect(parseManifestFile('q.yaml', text)).toEqual({
      manifests: [],
      diagnostics: [
        {
          severity: 'error',
          file: 'q.yaml',
          line: 3,
          column: 514,
          rule: 'yaml/too-deep',
          message: 'nesting deeper than 32 levels; the file is refused',
        },
      ],
      salvaged: [],
      unreadable: true,
    });
  });

  it('the parser never throws on them, and never accepts one as a manifest', () => {
    fc.assert(
      fc.property(hostileText, (text) => {
        const result = parseManifestFile('h.yaml', text);
        expect(result.manifests).toEqual([]);
      }),
      { numRuns: runs(60) },
    );
  });
});
