import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { parseFast } from '../../src/manifest/parse-fast.js';
import { parseFull, parseManifestFile } from '../../src/manifest/parse.js';
import { plan } from '../../src/plan/plan.js';
import { loadTexts, manifestYaml } from '../helpers/manifests.js';
import { appliedState, kinds, options } from '../helpers/planning.js';
import { runs } from '../helpers/property-runs.js';

// A file emptied by mistake (a generator that failed after the shell truncated its
// output, a save on a full disk, a botched merge) is no removed manifest: it gets a
// note, and what was recorded from it is held.

const NOTE = {
  severity: 'note',
  file: 'a.yaml',
  line: 0,
  column: 0,
  rule: 'source/empty-file',
  message:
    'holds no manifest (it is empty, or only comments); an audience recorded from it is left as it is: delete the file to delete the audience',
};
const NOTHING = { manifests: [], diagnostics: [], salvaged: [], unreadable: false, notes: [NOTE] };

const HELD =
  'gold.yaml holds no manifest (it is empty, or only comments); the audience is left as it is; delete the file to delete the audience';

describe('a file that holds no YAML document', () => {
  it.each([
    ['0 bytes', ''],
    ['a line feed', '\n'],
    ['blank lines', '  \n\n   '],
    ['a comment', '# generated\n'],
    ['indented comments, no final line feed', '# a\n   # b'],
    ['only ---', '---\n'],
    ['only --- separators', '---\n---\n---'],
    ['--- with a comment, and ...', '--- # nothing yet\n...\n'],
  ])('%s: a note from the fast parser and from the full one', (_name, text) => {
    expect(parseFast('a.yaml', text)).toEqual(NOTHING);
    expect(parseFull('a.yaml', text)).toEqual(NOTHING);
  });

  it.each([
    ['a tab', '\t\n'],
    ['a comment ending in CR LF', '# generated\r\n'],
    ['a directive', '%YAML 1.2\n---\n'],
    ['a byte order mark', '\uFEFF# generated\n'],
  ])('%s: left to the full parser, which gives the note', (_name, text) => {
    expect(parseFast('a.yaml', text)).toBeUndefined();
    expect(parseManifestFile('a.yaml', text)).toEqual(NOTHING);
  });

  it('an empty document beside manifests, or beside a file that is not ours, is no note of its own', () => {
    const manifest = manifestYaml('gold');
    for (const text of [`---\n${manifest}---\n# end\n`, `# head\n---\n---\n${manifest}`]) {
      for (const result of [parseManifestFile('a.yaml', text), parseFull('a.yaml', text)]) {
        expect(result.notes).toBeUndefined();
        expect(result.diagnostics).toEqual([]);
        expect(result.manifests.map((m) => m.manifest.metadata.name)).toEqual(['gold']);
      }
    }
    const chart = parseManifestFile('a.yaml', '---\n---\napiVersion: v2\nname: chart\n');
    expect(chart.notes?.map((n) => n.rule)).toEqual(['source/not-a-manifest']);
  });

  it('the fast parser says "no document" only where the full parser does', () => {
    const line = fc.constantFrom(
      ...['', ' ', '# c', '   # c ✓', '#', '---', '--- ', '--- # c', '---# c', '...', '... # c', ' ---'],
      ...['\t', '#\t', '# \u0085', '# \u2028', '#c\r', '%YAML 1.2', '---x', '- ', '? ', 'a: 1', '~', '""'],
    );
    fc.assert(
      fc.property(fc.array(line, { maxLength: 6 }), (lines) => {
        const text = lines.join('\n');
        expect(parseManifestFile('a.yaml', text)).toEqual(parseFull('a.yaml', text));
      }),
      { numRuns: runs(200) },
    );
  });
});

describe('a manifest file emptied, or left with comments only', () => {
  it('is listed apart, with no error, and holds no other deletion', () => {
    const result = loadTexts({
      'gold.yaml': '',
      'notes.yaml': '# todo\n',
      'silver.yaml': manifestYaml('silver'),
    });
    expect(result.emptyFiles).toEqual(['gold.yaml', 'notes.yaml']);
    expect(result.skippedFiles).toEqual([]);
    expect(result.diagnostics).toEqual([]);
    expect(result.failedFiles).toEqual([]);
    expect(result.holdAllDeletions).toBe(false);
    expect(result.notes.map((n) => `${n.file} ${n.severity} ${n.rule}`)).toEqual([
      'gold.yaml note source/empty-file',
      'notes.yaml note source/empty-file',
    ]);
    expect(result.manifests.map((m) => m.key)).toEqual(['silver']);
  });

  it('holds the audience recorded from it; removing the file still deletes it', () => {
    const before = appliedState(
      loadTexts({ 'gold.yaml': manifestYaml('gold'), 'silver.yaml': manifestYaml('silver') }),
    );
    for (const emptied of ['', '# generated\n', '---\n']) {
      const result = plan(
        loadTexts({ 'gold.yaml': emptied, 'silver.yaml': manifestYaml('silver') }),
        before,
        options(),
      );
      expect(kinds(result)).toEqual([]);
      expect(result.held).toEqual([{ sandbox: 'prod', key: 'gold', reason: HELD }]);
    }
    const removed = plan(loadTexts({ 'silver.yaml': manifestYaml('silver') }), before, options());
    expect(kinds(removed)).toEqual(['delete prod/gold']);
    expect(removed.held).toEqual([]);
  });

  it('holds a record that names no file, which may come from it', () => {
    const applied = appliedState(loadTexts({ 'gold.yaml': manifestYaml('gold') }));
    // As written before records named their file.
    const before = { ...applied, audiences: applied.audiences.map(({ manifestFile: _f, ...r }) => r) };
    const result = plan(loadTexts({ 'gold.yaml': '' }), before, options({ allowEmptySource: true }));
    expect(kinds(result)).toEqual([]);
    expect(result.held).toEqual([{ sandbox: 'prod', key: 'gold', reason: HELD }]);
  });
});
