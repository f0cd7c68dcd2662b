import type { Position } from '../../src/manifest/duplicates.js';

// specNamePositionInText (src/manifest/duplicates.ts) as it was first written, over the
// text split into lines (commit ef9d3c9): the reference test/manifest/file-line-fast.spec.ts
// compares it with. Not used by the code.

export function referenceSpecNamePosition(start: number, lines: readonly string[]): Position {
  const fallback = { line: start, column: 1 };
  let inSpec = false;
  let indent: string | undefined;
  for (let index = start - 1; index < lines.length; index += 1) {
    const line = lines[index]!;
    if (/^(---|\.\.\.)(\s|$)/.test(line)) break;
    if (/^\S/.test(line)) {
      inSpec = /^spec:\s*(#.*)?$/.test(line);
      indent = undefined;
      continue;
    }
    if (!inSpec || /^\s*(#.*)?$/.test(line)) continue;
    indent ??= /^\s*/.exec(line)![0];
    const name = /^(\s*name\s*:\s*)\S/.exec(line);
    if (name && line.startsWith(`${indent}name`)) return { line: index + 1, column: name[1]!.length + 1 };
  }
  return fallback;
}
