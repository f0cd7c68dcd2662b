import { describe, expect, it } from 'vitest';
import { parseConfigText, problemLines } from './read-file.js';

/** The problems of a configuration file as the CLI prints them, named c.yaml. */
function lines(text: string): string[] {
  const parsed = parseConfigText(text);
  return parsed.ok ? [] : problemLines('c.yaml', parsed.problems);
}

describe('a configuration file of several YAML documents (review 31, L-3)', () => {
  it.each([
    ['a trailing ---', 'defaultSandbox: dev\n---\n'],
    ['a trailing --- and a comment', 'defaultSandbox: dev\n---\n# copied from the wiki\n'],
    ['a leading and a trailing ---', '---\ndefaultSandbox: dev\n---\n'],
    ['two trailing ---', 'defaultSandbox: dev\n---\n---\n'],
  ])('%s: an empty document is nothing, as in manifests', (_, text) => {
    const parsed = parseConfigText(text);
    expect(parsed.ok && parsed.data.defaultSandbox).toBe('dev');
  });

  it('only --- is an empty file', () => {
    const parsed = parseConfigText('---\n');
    expect(parsed.ok && parsed.data).toEqual({});
  });

  it('two documents with keys: one line at the second, never the library advice', () => {
    expect(lines('defaultSandbox: dev\n---\nstate: st\n')).toEqual([
      'c.yaml:2:1 (syntax): a configuration file holds one YAML document; this one has 2: merge them into one',
    ]);
  });

  it('three, an empty one between: counts those with keys', () => {
    expect(lines('defaultSandbox: dev\n---\n---\nstate: st\n---\nlogLevel: info\n')).toEqual([
      'c.yaml:3:1 (syntax): a configuration file holds one YAML document; this one has 3: merge them into one',
    ]);
  });
});
