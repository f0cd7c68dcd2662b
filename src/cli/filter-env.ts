import { quoted } from '../text/safe-text.js';

/**
 * How `run` reads AUDIENCECTL_INCLUDE and AUDIENCECTL_EXCLUDE (the flags themselves are
 * repeatable and taken as typed). An environment variable holds one text, and a deployment
 * (a Helm value, a Kubernetes `env:`) has no way to quote in it, so:
 *
 * - a value holding a line break is one glob per line, blanks and all (`Team A/archive/**`),
 *   blanks at either end of a line and blank lines dropped: what a YAML block (`value: |`)
 *   gives;
 * - a value on one line is split at blanks, as it always was, so existing deployments
 *   (`drafts/** archive/**`) read as before. A glob holding a blank was silently cut there
 *   (`Team A/archive/**` became `Team` and `A/archive/**`, which exclude nothing: review 33,
 *   M-1), so a piece that cannot be meant on its own refuses the value instead: one with no
 *   wildcard and no file extension in its last part (`Team`, `audiences/Team`, `**\/Team`).
 *   Globs match files by their path, never a folder by its bare name, so such a piece selects
 *   only a file without extension of exactly that name: never what a list meant.
 */
export type FilterEnvReading =
  | {
      ok: true;
      globs: string[];
      /** Lines of a multi-line value that are lists on one line too: said, not refused. */
      notes: string[];
    }
  | { ok: false; message: string };

/** Wildcards, classes, braces, extglobs and escapes: what makes a piece a glob. */
const GLOB_CHARACTER = /[*?[\]{}()!+@\\]/;

/**
 * Why a piece cannot be meant on its own, or undefined when its last part is a glob or a file
 * name with an extension. A piece that ends in a backslash is a blank escaped as a shell would
 * (`Team\ A/**`), which a variable cannot: the backslash is kept, and the glob is cut at the
 * blank all the same.
 */
function notAlone(piece: string): string | undefined {
  if (piece.endsWith('\\')) return 'a blank cannot be escaped';
  const last = piece.slice(piece.lastIndexOf('/') + 1);
  return GLOB_CHARACTER.test(last) || /\.[^.]+$/.test(last) ? undefined : 'no wildcard, no file extension';
}

/** A quote at either end: what a shell takes away and a variable keeps. */
const QUOTE = /^["']|["']$/;

/** The piece at `index` with a neighbour, as the blank-holding glob it was most likely cut from. */
function cutFrom(pieces: readonly string[], index: number): string {
  return index + 1 < pieces.length
    ? `${pieces[index]} ${pieces[index + 1]}`
    : `${pieces[index - 1]} ${pieces[index]}`;
}

/**
 * A glob with a quote at either end: quoted as a shell would (`"Team A/**"`), but a variable
 * keeps the quotes, and the glob then matches nothing. `where`: the value, or its line N.
 */
function inQuotes(name: string, where: string): FilterEnvReading {
  return {
    ok: false,
    message: `${name}: ${where} is in quotes, which a variable keeps as part of the glob (no shell takes them away); write the globs without quotes, each on its own line`,
  };
}

export function readFilterEnv(name: string, value: string): FilterEnvReading {
  if (/[\r\n]/.test(value)) {
    const lines = value.split(/\r\n|\r|\n/).map((line) => line.trim());
    const quotedLine = lines.findIndex((line) => QUOTE.test(line));
    if (quotedLine >= 0) return inQuotes(name, `line ${quotedLine + 1}`);
    const globs = lines.filter((line) => line !== '');
    // A line that is a list of globs itself (`a/** b/**`) was several globs before line breaks
    // meant one glob each: said at start, as a line that holds a blank is one glob now.
    const notes = globs
      .filter((glob) => /\s/.test(glob) && glob.split(/\s+/).every((piece) => notAlone(piece) === undefined))
      .map(
        (glob) =>
          `${name}: the line ${quoted(glob)} is read as one glob holding blanks (one glob per line); if it lists several, put each on its own line`,
      );
    return { ok: true, globs, notes };
  }
  const pieces = value.split(/\s+/).filter((piece) => piece !== '');
  if (pieces.some((piece) => QUOTE.test(piece))) return inQuotes(name, 'the value');
  if (pieces.length > 1) {
    for (const [index, piece] of pieces.entries()) {
      const why = notAlone(piece);
      if (why !== undefined)
        return {
          ok: false,
          message: `${name}: a value on one line is split at blanks, and ${quoted(piece)} (of ${quoted(cutFrom(pieces, index))}) is no glob on its own (${why}); put each glob on its own line`,
        };
    }
  }
  return { ok: true, globs: pieces, notes: [] };
}
