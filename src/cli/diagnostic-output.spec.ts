import { describe, expect, it } from 'vitest';
import { githubAnnotation, renderDiagnostics } from './diagnostic-output.js';

describe('validate output formats', () => {
  it('escapes what GitHub workflow commands would misread, and leaves out the line of a whole-file problem', () => {
    const annotation = githubAnnotation({
      severity: 'warning',
      file: 'a,b:c.yaml',
      line: 0,
      column: 0,
      rule: 'source/x',
      message: '100% sure, \u202e hidden',
    });
    expect(annotation).toBe('::warning file=a%2Cb%3Ac.yaml,title=source/x::100%25 sure, \\u202E hidden');
  });

  it('json is only the array, sorted by file and line; text and github end with the summary', () => {
    const items = [
      { severity: 'error' as const, file: 'b.yaml', line: 2, column: 1, rule: 'r', message: 'm2' },
      { severity: 'note' as const, file: 'a.yaml', line: 1, column: 1, rule: 'n', message: 'm1' },
    ];
    expect(JSON.parse(renderDiagnostics(items, 'json', 'SUMMARY'))).toEqual([
      { file: 'a.yaml', line: 1, col: 1, severity: 'note', code: 'n', message: 'm1' },
      { file: 'b.yaml', line: 2, col: 1, severity: 'error', code: 'r', message: 'm2' },
    ]);
    expect(renderDiagnostics(items, 'text', 'SUMMARY')).toBe(
      'a.yaml:1:1: note: m1 [n]\nb.yaml:2:1: error: m2 [r]\nSUMMARY\n',
    );
    expect(renderDiagnostics(items, 'github', 'SUMMARY').split('\n')[1]).toBe(
      '::error file=b.yaml,line=2,col=1,title=r::m2',
    );
  });
});
