import { BAIL, inline, keyEnd, plainValue, type Maybe, type Value } from './yaml-subset-inline.js';

/**
 * The YAML that manifests are written in, read without a YAML library: block mappings
 * and sequences (a sequence's items may be compact mappings, `- name: x`), plain,
 * single- and double-quoted scalars on one line, one-line flow sequences of scalars and
 * flow mappings of those, comments, and one leading `---`. It gives exactly what the full
 * parser (`yaml`, YAML 1.2's core schema) gives (plain scalars are resolved as `yaml`
 * resolves them, yaml-core.ts) or undefined for anything else: directives, anchors, tags,
 * block scalars, nested flow mappings, escapes, multi-line scalars, odd indentation, tabs,
 * duplicate keys, ... Several times cheaper than a YAML library; a property test compares
 * the two.
 */

/**
 * Characters this reader leaves to the full parser: tabs, carriage returns, other controls
 * (YAML refuses some), U+0085/2028/2029 (line breaks to some readers), the BOM,
 * non-characters and surrogates (emoji: rare in manifests, simpler to leave).
 */
// eslint-disable-next-line no-control-regex
export const UNHANDLED = /[\x00-\x09\x0B-\x1F\x7F-\x9F\u2028\u2029\uFEFF\uFFFE\uFFFF\uD800-\uDFFF]/;

/** A content line: its indentation and where its content starts and ends in the text. */
type Line = { indent: number; start: number; end: number };

class Reader {
  private index = 0;
  constructor(
    private readonly text: string,
    private readonly lines: Line[],
  ) {}

  /** The root mapping, or BAIL; everything must be read. */
  root(): Maybe<Record<string, Value>> {
    const first = this.lines[0];
    if (!first || first.indent !== 0) return BAIL;
    const value = this.mapping(0, 0);
    return this.index === this.lines.length ? value : BAIL;
  }

  /** A block mapping whose keys are at column `indent`. */
  private mapping(indent: number, depth: number): Maybe<Record<string, Value>> {
    if (depth > 64) return BAIL;
    const result: Record<string, Value> = {};
    const { text, lines } = this;
    while (this.index < lines.length) {
      const line = lines[this.index]!;
      if (line.indent < indent) break;
      if (line.indent > indent) return BAIL;
      const end = keyEnd(text, line.start);
      if (end < 0 || text.charCodeAt(end) !== 58 /* : */) return BAIL;
      const after = end + 1;
      if (after < line.end && text.charCodeAt(after) !== 32) return BAIL;
      const key = text.slice(line.start, end);
      if (plainValue(key) !== key || Object.prototype.hasOwnProperty.call(result, key)) return BAIL;
      const value = this.entryValue(line, after, indent, depth);
      if (value === BAIL) return BAIL;
      result[key] = value;
    }
    return result;
  }

  /** What follows `key:` (at `from`) or `- `: a scalar on the line, or a block below it. */
  private entryValue(line: Line, from: number, indent: number, depth: number): Maybe<Value> {
    const { text, lines } = this;
    let at = from;
    while (at < line.end && text.charCodeAt(at) === 32) at += 1;
    this.index += 1;
    if (at < line.end && text.charCodeAt(at) !== 35 /* # */) {
      const value = inline(this.text, at, line.end);
      // A more indented line would continue a plain scalar, or be an error.
      const next = lines[this.index];
      return next && next.indent > indent ? BAIL : value;
    }
    const next = lines[this.index];
    if (!next || next.indent < indent) return null;
    if (this.isItem(next.start, next.end)) return this.sequence(next.indent, depth + 1);
    if (next.indent === indent) return null;
    return this.mapping(next.indent, depth + 1);
  }

  /** Whether the content from `start` to `end` is a sequence item: `-` alone or followed by a space. */
  private isItem(start: number, end: number): boolean {
    return (
      this.text.charCodeAt(start) === 45 /* - */ &&
      (start + 1 === end || this.text.charCodeAt(start + 1) === 32)
    );
  }

  /** A block sequence whose `-` are at column `indent`. */
  private sequence(indent: number, depth: number): Maybe<Value[]> {
    if (depth > 64) return BAIL;
    const result: Value[] = [];
    const { text, lines } = this;
    while (this.index < lines.length) {
      const line = lines[this.index]!;
      if (line.indent < indent || (line.indent === indent && !this.isItem(line.start, line.end))) break;
      if (line.indent > indent) return BAIL;
      let at = line.start + 1;
      while (at < line.end && text.charCodeAt(at) === 32) at += 1;
      // `-` alone, `- # comment`, `- - x`: left to the full parser.
      if (at === line.end || text.charCodeAt(at) === 35) return BAIL;
      if (this.isItem(at, line.end)) return BAIL;
      const key = keyEnd(text, at);
      if (
        key > 0 &&
        text.charCodeAt(key) === 58 &&
        (key + 1 === line.end || text.charCodeAt(key + 1) === 32)
      ) {
        // A compact mapping: its keys are at the column of the first.
        const column = line.indent + (at - line.start);
        lines[this.index] = { indent: column, start: at, end: line.end };
        const value = this.mapping(column, depth + 1);
        if (value === BAIL) return BAIL;
        result.push(value);
        continue;
      }
      const value = this.entryValue(line, at, indent, depth);
      if (value === BAIL) return BAIL;
      result.push(value);
    }
    return result;
  }
}

/** `---` or `...` (`first`, 45 or 46, three times) at `start`. */
function isMarker(text: string, start: number, first: number): boolean {
  return text.charCodeAt(start + 1) === first && text.charCodeAt(start + 2) === first;
}

/** The text's content lines (not blank, not a comment), or undefined for a marker it leaves to the full parser. */
function contentLines(text: string): { lines: Line[]; firstLine: number } | undefined {
  const lines: Line[] = [];
  let firstLine = 0;
  let number = 0;
  let start = 0;
  let marker = false;
  while (start <= text.length) {
    number += 1;
    let end = text.indexOf('\n', start);
    if (end < 0) end = text.length;
    let at = start;
    while (at < end && text.charCodeAt(at) === 32) at += 1;
    if (at < end && text.charCodeAt(at) !== 35) {
      const first = text.charCodeAt(start);
      if (
        at === start &&
        (first === 37 /* % */ || ((first === 45 || first === 46) && isMarker(text, start, first)))
      ) {
        // One `---` before any content, alone on its line; other markers and directives (`%YAML 1.1`): the full parser.
        if (marker || lines.length > 0 || first !== 45 || text.slice(start + 3, end).trim() !== '') {
          return undefined;
        }
        marker = true;
      } else {
        if (lines.length === 0) firstLine = number;
        let last = end;
        while (text.charCodeAt(last - 1) === 32) last -= 1;
        lines.push({ indent: at - start, start: at, end: last });
      }
    }
    start = end + 1;
  }
  return { lines, firstLine };
}

/**
 * The one document of `text` as the full parser reads it, with the line of its
 * first content, or undefined when the text is not in the subset read here.
 */
export function readYamlSubset(given: string): { value: Record<string, unknown>; line: number } | undefined {
  // CRLF line ends (a Windows checkout) are line ends as LF are, in the one-line scalars
  // and collections read here; a CR elsewhere is left to the full parser (UNHANDLED).
  const text = given.includes('\r') ? given.replaceAll('\r\n', '\n') : given;
  if (UNHANDLED.test(text)) return undefined;
  const found = contentLines(text);
  if (!found) return undefined;
  const value = new Reader(text, found.lines).root();
  return value === BAIL ? undefined : { value, line: found.firstLine };
}
