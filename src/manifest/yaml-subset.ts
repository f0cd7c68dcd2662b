import * as jsYaml from 'js-yaml';

/**
 * The YAML that manifests are written in, read without a YAML library: block mappings
 * and sequences (a sequence's items may be compact mappings, `- name: x`), plain,
 * single- and double-quoted scalars on one line, one-line flow sequences of scalars and
 * flow mappings of those, comments, and one leading `---`. It gives exactly what js-yaml's core schema gives
 * (plain scalars are resolved by js-yaml's own null, bool, int and float types, in the
 * loader's order) or undefined for anything else: anchors, tags, block scalars, nested
 * flow mappings, escapes, multi-line scalars, odd indentation, tabs, duplicate keys, ...
 * About ten times cheaper than js-yaml; a property test compares the two.
 */

type ImplicitType = { resolve(data: string): boolean; construct(data: string): unknown };
/** js-yaml exports its types (`types`), which its type declarations leave out. */
const { types } = jsYaml as unknown as { types: Record<'null' | 'bool' | 'int' | 'float', ImplicitType> };
/** js-yaml's implicit types of the core schema, in the order its loader tries them. */
const IMPLICIT = [types.null, types.bool, types.int, types.float];

/**
 * Characters this reader leaves to js-yaml: tabs, carriage returns, other controls
 * (js-yaml refuses some), U+0085/2028/2029 (line breaks to some readers), the BOM,
 * non-characters and surrogates (emoji: rare in manifests, simpler to leave).
 */
// eslint-disable-next-line no-control-regex
const UNHANDLED = /[\x00-\x09\x0B-\x1F\x7F-\x9F\u2028\u2029\uFEFF\uFFFE\uFFFF\uD800-\uDFFF]/;

/** A key written plainly: no quoting, no spaces, no indicator, no `__proto__` (leading `_` refused). */
const KEY = /[A-Za-z][\w./-]*/y;

/** A content line: its indentation and where its content starts and ends in the text. */
type Line = { indent: number; start: number; end: number };

type Value = unknown;
const BAIL = Symbol('bail');
type Maybe<T> = T | typeof BAIL;

/** The value of a plain scalar, as js-yaml's core schema resolves it. */
function plainValue(text: string): Value {
  const code = text.charCodeAt(0);
  // Only `~`, a digit, `+`, `-`, `.` or a word starting with n, t or f can be other than a string.
  const maybeTyped =
    code === 126 ||
    (code >= 43 && code <= 57) ||
    code === 110 ||
    code === 78 ||
    code === 116 ||
    code === 84 ||
    code === 102 ||
    code === 70;
  if (!maybeTyped) return text;
  for (const type of IMPLICIT) if (type.resolve(text)) return type.construct(text);
  return text;
}

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
      KEY.lastIndex = line.start;
      if (!KEY.test(text)) return BAIL;
      const keyEnd = KEY.lastIndex;
      if (text.charCodeAt(keyEnd) !== 58 /* : */) return BAIL;
      const after = keyEnd + 1;
      if (after < line.end && text.charCodeAt(after) !== 32) return BAIL;
      const key = text.slice(line.start, keyEnd);
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
      const value = this.inline(at, line.end);
      // A more indented line would continue a plain scalar, or be an error.
      const next = lines[this.index];
      return next && next.indent > indent ? BAIL : value;
    }
    const next = lines[this.index];
    if (!next || next.indent < indent) return null;
    if (this.isItem(next)) return this.sequence(next.indent, depth + 1);
    if (next.indent === indent) return null;
    return this.mapping(next.indent, depth + 1);
  }

  private isItem(line: Line): boolean {
    return (
      this.text.charCodeAt(line.start) === 45 /* - */ &&
      (line.start + 1 === line.end || this.text.charCodeAt(line.start + 1) === 32)
    );
  }

  /** A block sequence whose `-` are at column `indent`. */
  private sequence(indent: number, depth: number): Maybe<Value[]> {
    if (depth > 64) return BAIL;
    const result: Value[] = [];
    const { text, lines } = this;
    while (this.index < lines.length) {
      const line = lines[this.index]!;
      if (line.indent < indent || (line.indent === indent && !this.isItem(line))) break;
      if (line.indent > indent) return BAIL;
      let at = line.start + 1;
      while (at < line.end && text.charCodeAt(at) === 32) at += 1;
      // `-` alone, `- # comment`, `- - x`: left to js-yaml.
      if (at === line.end || text.charCodeAt(at) === 35) return BAIL;
      if (this.isItem({ indent: 0, start: at, end: line.end })) return BAIL;
      KEY.lastIndex = at;
      const key = KEY.test(text) ? KEY.lastIndex : -1;
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

  /** A scalar or flow sequence from `at` to the line's end (trailing blanks and a comment allowed). */
  private inline(at: number, end: number): Maybe<Value> {
    const { text } = this;
    const code = text.charCodeAt(at);
    let value: Value;
    let rest: number;
    if (code === 34 || code === 39) {
      const quoted = this.quoted(at, end);
      if (quoted === BAIL) return BAIL;
      [value, rest] = quoted;
    } else if (code === 91 /* [ */ || code === 123 /* { */) {
      const flow = code === 91 ? this.flowSequence(at, end) : this.flowMapping(at, end);
      if (flow === BAIL) return BAIL;
      [value, rest] = flow;
    } else {
      return this.plain(at, end, false);
    }
    return this.onlyComment(rest, end) ? value : BAIL;
  }

  /** Blanks, then the end or a comment (after at least one blank). */
  private onlyComment(at: number, end: number): boolean {
    let i = at;
    while (i < end && this.text.charCodeAt(i) === 32) i += 1;
    return i === end || (i > at && this.text.charCodeAt(i) === 35);
  }

  /** A quoted scalar on one line: its value and where it ends. No escapes but `''`. */
  private quoted(at: number, end: number): Maybe<[string, number]> {
    const { text } = this;
    const quote = text[at]!;
    let value = '';
    let from = at + 1;
    for (;;) {
      const close = text.indexOf(quote, from);
      if (close < 0 || close >= end) return BAIL;
      const part = text.slice(from, close);
      if (quote === '"' && part.includes('\\')) return BAIL;
      value += part;
      if (quote === "'" && text[close + 1] === "'") {
        value += "'";
        from = close + 2;
        continue;
      }
      return [value, close + 1];
    }
  }

  /** `[a, "b", c]` on one line, scalars only. */
  private flowSequence(at: number, end: number): Maybe<[Value[], number]> {
    const { text } = this;
    const items: Value[] = [];
    let i = at + 1;
    while (i < end && text.charCodeAt(i) === 32) i += 1;
    if (text.charCodeAt(i) === 93) return [items, i + 1];
    for (;;) {
      while (i < end && text.charCodeAt(i) === 32) i += 1;
      const code = text.charCodeAt(i);
      let stop: number;
      if (code === 34 || code === 39) {
        const quoted = this.quoted(i, end);
        if (quoted === BAIL) return BAIL;
        items.push(quoted[0]);
        stop = quoted[1];
        while (stop < end && text.charCodeAt(stop) === 32) stop += 1;
        if (text.charCodeAt(stop) !== 44 && text.charCodeAt(stop) !== 93) return BAIL;
      } else {
        stop = i;
        while (stop < end && text.charCodeAt(stop) !== 44 && text.charCodeAt(stop) !== 93) stop += 1;
        const item = this.plain(i, stop, true);
        if (item === BAIL) return BAIL;
        items.push(item);
      }
      if (stop >= end) return BAIL;
      if (text.charCodeAt(stop) === 93) return [items, stop + 1];
      i = stop + 1; // a comma
    }
  }

  /** `{ a: b, c: "d", e: [f] }` on one line: plain keys, scalars or flow sequences. */
  private flowMapping(at: number, end: number): Maybe<[Record<string, Value>, number]> {
    const { text } = this;
    const result: Record<string, Value> = {};
    let i = at + 1;
    while (i < end && text.charCodeAt(i) === 32) i += 1;
    if (text.charCodeAt(i) === 125) return [result, i + 1];
    for (;;) {
      while (i < end && text.charCodeAt(i) === 32) i += 1;
      KEY.lastIndex = i;
      if (!KEY.test(text)) return BAIL;
      const keyEnd = KEY.lastIndex;
      if (text.charCodeAt(keyEnd) !== 58 || text.charCodeAt(keyEnd + 1) !== 32) return BAIL;
      const key = text.slice(i, keyEnd);
      if (plainValue(key) !== key || Object.prototype.hasOwnProperty.call(result, key)) return BAIL;
      i = keyEnd + 2;
      while (i < end && text.charCodeAt(i) === 32) i += 1;
      const code = text.charCodeAt(i);
      let stop: number;
      if (code === 34 || code === 39 || code === 91) {
        const inner = code === 91 ? this.flowSequence(i, end) : this.quoted(i, end);
        if (inner === BAIL) return BAIL;
        result[key] = inner[0];
        stop = inner[1];
        while (stop < end && text.charCodeAt(stop) === 32) stop += 1;
        if (text.charCodeAt(stop) !== 44 && text.charCodeAt(stop) !== 125) return BAIL;
      } else {
        stop = i;
        while (stop < end && text.charCodeAt(stop) !== 44 && text.charCodeAt(stop) !== 125) stop += 1;
        const value = this.plain(i, stop, true);
        if (value === BAIL) return BAIL;
        result[key] = value;
      }
      if (stop >= end) return BAIL;
      if (text.charCodeAt(stop) === 125) return [result, stop + 1];
      i = stop + 1; // a comma
    }
  }

  /**
   * A plain scalar from `at` to `end` (in a flow sequence: an item between commas).
   * Left to js-yaml: an indicator first, `: ` or `#` inside one it could read otherwise.
   */
  private plain(at: number, end: number, inFlow: boolean): Maybe<Value> {
    const { text } = this;
    const first = text[at];
    if (first === undefined || at >= end || '#&*!|>\'"%@`,[]{}?:'.includes(first)) return BAIL;
    if (first === '-' && (at + 1 === end || text.charCodeAt(at + 1) === 32)) return BAIL;
    let stop = end;
    for (let i = at; i < end; i += 1) {
      const code = text.charCodeAt(i);
      if (code === 58 /* : */ && (inFlow || i + 1 === end || text.charCodeAt(i + 1) === 32)) return BAIL;
      if (code === 35 /* # */ && text.charCodeAt(i - 1) === 32) {
        if (inFlow) return BAIL;
        stop = i;
        break;
      }
      if (inFlow && (code === 123 || code === 125 || code === 91 || code === 93)) return BAIL;
    }
    while (stop > at && text.charCodeAt(stop - 1) === 32) stop -= 1;
    if (stop === at) return BAIL;
    return plainValue(text.slice(at, stop));
  }
}

/** The text's content lines (not blank, not a comment), or undefined for a marker it leaves to js-yaml. */
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
      const head = text.slice(start, start + 3);
      if (at === start && (head === '---' || head === '...' || head[0] === '%')) {
        // One `---` before any content, alone on its line; other markers and directives: js-yaml.
        if (marker || lines.length > 0 || head !== '---' || text.slice(start + 3, end).trim() !== '') {
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
 * The one document of `text` as js-yaml's core schema reads it, with the line of its
 * first content, or undefined when the text is not in the subset read here.
 */
export function readYamlSubset(text: string): { value: Record<string, unknown>; line: number } | undefined {
  if (UNHANDLED.test(text)) return undefined;
  const found = contentLines(text);
  if (!found) return undefined;
  const value = new Reader(text, found.lines).root();
  return value === BAIL ? undefined : { value, line: found.firstLine };
}
