import { readFile } from 'node:fs/promises';
import { describe, expect, it } from 'vitest';
import { painter, useColor } from './color.js';

const TTY = { isTTY: true };

describe('colour', () => {
  it('auto colours a terminal, never with NO_COLOR or TERM=dumb, never a pipe', () => {
    expect(useColor(TTY, { TERM: 'xterm-256color' }, 'auto')).toBe(true);
    expect(useColor(TTY, { TERM: 'xterm', NO_COLOR: '1' }, 'auto')).toBe(false);
    expect(useColor(TTY, { TERM: 'dumb' }, 'auto')).toBe(false);
    expect(useColor({ isTTY: false }, { TERM: 'xterm' }, 'auto')).toBe(false);
    expect(useColor(TTY, { TERM: 'xterm', NO_COLOR: '' }, 'auto')).toBe(true);
    expect(painter(false)('bold', 'x')).toBe('x');
    expect(painter(true)('bold', 'x')).toBe('\u001b[1mx\u001b[0m');
  });

  it('the demo script paints with the same rule and writes no escape of its own', async () => {
    const demo = await readFile(new URL('../../scripts/demo.js', import.meta.url), 'utf8');
    expect(demo).toContain("import { painter, useColor } from '../dist/cli/color.js';");
    expect(demo).toContain('painter(useColor(process.stdout))');
    for (const escape of ['\\u001b', '\\x1b', '\\033', '\u001b']) expect(demo).not.toContain(escape);
  });
});
