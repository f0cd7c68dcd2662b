import { execFileSync } from 'node:child_process';
import { describe, expect, it } from 'vitest';
import { shellQuote } from './shell-quote.js';

describe('shellQuote', () => {
  it('leaves a plain path as it is', () => {
    expect(shellQuote('audiences/gold')).toBe('audiences/gold');
    expect(shellQuote('/tmp/st-1.2@host:5432')).toBe('/tmp/st-1.2@host:5432');
  });

  it('single-quotes a word the shell would split or expand', () => {
    expect(shellQuote('my plans/plan.json')).toBe("'my plans/plan.json'");
    expect(shellQuote('./st$HOME')).toBe("'./st$HOME'");
    expect(shellQuote('a`id`b')).toBe("'a`id`b'");
    expect(shellQuote('~/st')).toBe("'~/st'");
    expect(shellQuote('')).toBe("''");
  });

  it("writes a quote as '\\''", () => {
    expect(shellQuote("it's")).toBe(`'it'\\''s'`);
  });

  it('shows terminal controls escaped, never raw: a message must not move the cursor', () => {
    expect(shellQuote('nx\u001b]0;PWN\u0007')).toBe("'nx\\u001B]0;PWN\\u0007'");
    expect(shellQuote('a\nb')).toBe("'a\\u000Ab'");
  });

  it('reads back as the same word in a real shell', () => {
    const words = ['plain/path', 'my plans/plan.json', './st$HOME', 'a`id`b', 'it\'s "x" \\ *', "''", 'a b'];
    const script = `printf '%s\\0' ${words.map(shellQuote).join(' ')}`;
    const out = execFileSync('/bin/sh', ['-c', script], { encoding: 'utf8' });
    expect(out.split('\0').slice(0, -1)).toEqual(words);
  });
});
