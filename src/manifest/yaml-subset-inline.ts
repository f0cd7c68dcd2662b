import { CORE_IMPLICIT } from './yaml-core.js';

// The one-line parts of the YAML subset (yaml-subset.ts): plain, single- and double-quoted
// scalars, and one-line flow sequences and flow mappings of them. Each reads `text` from
// an offset to the end of its line and returns its value (and where it stopped), or BAIL
// for anything it leaves to the full parser.

/**
 * Where a key written plainly from `at` ends, or -1 when none starts there: a letter, then
 * letters, digits, `_`, `.`, `/`, `-` (`[A-Za-z][\w./-]*`): no quoting, no spaces, no
 * indicator, no `__proto__` (a leading `_` is refused).
 */
export function keyEnd(text: string, at: number): number {
  const first = text.charCodeAt(at) | 32;
  if (first < 97 || first > 122) return -1;
  let i = at + 1;
  for (;;) {
    const code = text.charCodeAt(i);
    const lower = code | 32;
    // Letters; `-`, `.`, `/` and digits (45 to 57); `_`.
    if ((lower >= 97 && lower <= 122) || (code >= 45 && code <= 57) || code === 95) i += 1;
    else return i;
  }
}

export type Value = unknown;
export const BAIL = Symbol('bail');
export type Maybe<T> = T | typeof BAIL;

/** The value of a plain scalar, as YAML 1.2's core schema resolves it (yaml-core.ts: as `yaml` does). */
export function plainValue(text: string): Value {
  const code = text.charCodeAt(0);
  const lower = code | 32;
  if (lower >= 97 && lower <= 122) {
    // A letter first (keys, most values): only the null and bool words are other than
    // strings (ints and floats start with a digit, a sign or a dot).
    if ((lower !== 110 && lower !== 116 && lower !== 102) || text.length < 4 || text.length > 5) return text;
    switch (text) {
      case 'null':
      case 'Null':
      case 'NULL':
        return null;
      case 'true':
      case 'True':
      case 'TRUE':
        return true;
      case 'false':
      case 'False':
      case 'FALSE':
        return false;
      default:
        return text;
    }
  }
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
  for (const type of CORE_IMPLICIT) if (type.resolve(text)) return type.construct(text);
  return text;
}

/** A scalar or flow sequence from `at` to the line's end (trailing blanks and a comment allowed). */
export function inline(text: string, at: number, end: number): Maybe<Value> {
  const code = text.charCodeAt(at);
  let value: Value;
  let rest: number;
  if (code === 34 || code === 39) {
    const scalar = quoted(text, at, end);
    if (scalar === BAIL) return BAIL;
    [value, rest] = scalar;
  } else if (code === 91 /* [ */ || code === 123 /* { */) {
    const flow = code === 91 ? flowSequence(text, at, end) : flowMapping(text, at, end);
    if (flow === BAIL) return BAIL;
    [value, rest] = flow;
  } else {
    return plain(text, at, end, false);
  }
  return onlyComment(text, rest, end) ? value : BAIL;
}

/** Blanks, then the end or a comment (after at least one blank). */
function onlyComment(text: string, at: number, end: number): boolean {
  let i = at;
  while (i < end && text.charCodeAt(i) === 32) i += 1;
  return i === end || (i > at && text.charCodeAt(i) === 35);
}

/** A quoted scalar on one line: its value and where it ends. No escapes but `''`. */
function quoted(text: string, at: number, end: number): Maybe<[string, number]> {
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

/**
 * One item of a flow collection, up to the `,` or `close` (`]` 93, `}` 125) after it:
 * quoted, plain, in a mapping a flow sequence, in a sequence a flow mapping (`fields:
 * [{name: id, type: string}]`). Returns the item and where that `,` or `close` is.
 */
function flowItem(text: string, i: number, end: number, close: number): Maybe<[Value, number]> {
  const code = text.charCodeAt(i);
  if (code === 34 || code === 39 || (code === 91 && close === 125) || (code === 123 && close === 93)) {
    let inner: Maybe<[Value, number]>;
    if (code === 91) inner = flowSequence(text, i, end);
    else if (code === 123) inner = flowMapping(text, i, end);
    else inner = quoted(text, i, end);
    if (inner === BAIL) return BAIL;
    let stop = inner[1];
    while (stop < end && text.charCodeAt(stop) === 32) stop += 1;
    const next = text.charCodeAt(stop);
    return stop < end && (next === 44 || next === close) ? [inner[0], stop] : BAIL;
  }
  let stop = i;
  while (stop < end && text.charCodeAt(stop) !== 44 && text.charCodeAt(stop) !== close) stop += 1;
  const item = plain(text, i, stop, true);
  return item === BAIL || stop >= end ? BAIL : [item, stop];
}

/** `[a, "b", c]` on one line: scalars and flow mappings. */
function flowSequence(text: string, at: number, end: number): Maybe<[Value[], number]> {
  const items: Value[] = [];
  let i = at + 1;
  while (i < end && text.charCodeAt(i) === 32) i += 1;
  if (text.charCodeAt(i) === 93) return [items, i + 1];
  for (;;) {
    while (i < end && text.charCodeAt(i) === 32) i += 1;
    const item = flowItem(text, i, end, 93);
    if (item === BAIL) return BAIL;
    items.push(item[0]);
    if (text.charCodeAt(item[1]) === 93) return [items, item[1] + 1];
    i = item[1] + 1; // a comma
  }
}

/** `{ a: b, c: "d", e: [f] }` on one line: plain keys, scalars or flow sequences. */
function flowMapping(text: string, at: number, end: number): Maybe<[Record<string, Value>, number]> {
  const result: Record<string, Value> = {};
  let i = at + 1;
  while (i < end && text.charCodeAt(i) === 32) i += 1;
  if (text.charCodeAt(i) === 125) return [result, i + 1];
  for (;;) {
    while (i < end && text.charCodeAt(i) === 32) i += 1;
    const after = keyEnd(text, i);
    if (after < 0 || text.charCodeAt(after) !== 58 || text.charCodeAt(after + 1) !== 32) return BAIL;
    const key = text.slice(i, after);
    if (plainValue(key) !== key || Object.prototype.hasOwnProperty.call(result, key)) return BAIL;
    i = after + 2;
    while (i < end && text.charCodeAt(i) === 32) i += 1;
    const value = flowItem(text, i, end, 125);
    if (value === BAIL) return BAIL;
    result[key] = value[0];
    if (text.charCodeAt(value[1]) === 125) return [result, value[1] + 1];
    i = value[1] + 1; // a comma
  }
}

/**
 * A plain scalar from `at` to `end` (in a flow sequence: an item between commas).
 * Left to the full parser: an indicator first, `: ` or `#` inside one it could read otherwise.
 */
function plain(text: string, at: number, end: number, inFlow: boolean): Maybe<Value> {
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
