/**
 * Text that is safe to show and to send. A manifest value, a map key, a file name or a
 * message from the service can carry characters that rewrite what a person sees: terminal
 * escapes (ESC, CSI) that erase or hide lines, bidi controls that reorder a line so a
 * reviewer reads something else than what will be applied, and invisible characters that
 * make two names look equal. Manifests refuse them (`unsafeCharacter`), and every
 * human-readable output goes through `escapeText`, which shows them as `\u202E`, and shows so
 * too the spaces that are not U+0020 (a pasted no-break space), which manifests may hold.
 */

/** Bidi formatting controls: embeddings and overrides, isolates, and the three marks. */
const BIDI = '\u202A-\u202E\u2066-\u2069\u200E\u200F\u061C';
/** Invisible characters that make two different names look the same. */
const ZERO_WIDTH = '\u200B-\u200D\u2060\uFEFF';
/** Line and paragraph separators: line breaks to some terminals and editors, not to others. */
const SEPARATORS = '\u2028\u2029';
/** C0 controls, DEL and C1 controls (C1 includes the 8-bit CSI, U+009B). */
const CONTROLS = '\u0000-\u001F\u007F-\u009F';
/**
 * Spaces other than U+0020 (Unicode's Zs): no-break (U+00A0, U+202F), ogham, the en/em/figure/
 * thin/hair spaces (U+2000-U+200A), medium mathematical (U+205F), ideographic (U+3000). Manifests
 * may hold them (a name the service accepts, a typographer's choice), but each makes another
 * name than a plain space does while looking the same: shown escaped, never refused.
 */
const SPACES = '\u00A0\u1680\u2000-\u200A\u202F\u205F\u3000';

/** What manifests refuse (`unsafeCharacter`), line breaks and tabs included. */
const UNSAFE = new RegExp(`[${CONTROLS}${BIDI}${ZERO_WIDTH}${SEPARATORS}]`, 'gu');
/** Everything `escapeText` escapes: what manifests refuse, and the spaces that are not U+0020. */
const SHOWN_ESCAPED = new RegExp(`[${CONTROLS}${BIDI}${ZERO_WIDTH}${SEPARATORS}${SPACES}]`, 'gu');
/** The same, but `\n` and `\t` kept: for multi-line messages printed as they are. */
const SHOWN_ESCAPED_KEEP_LINES = new RegExp(
  `[\u0000-\u0008\u000B-\u001F\u007F-\u009F${BIDI}${ZERO_WIDTH}${SEPARATORS}${SPACES}]`,
  'gu',
);
/**
 * What JSON.stringify leaves raw and a browser or terminal would act on. Not the spaces: JSON is
 * read by programs, which get the same value either way, and the bytes stay those of the value.
 */
const UNSAFE_IN_JSON = new RegExp(`[\u007F-\u009F${BIDI}${ZERO_WIDTH}${SEPARATORS}]`, 'gu');

function escapeCodePoint(char: string): string {
  return `\\u${char.charCodeAt(0).toString(16).toUpperCase().padStart(4, '0')}`;
}

export type EscapeOptions = {
  /** Keep `\n` and `\t` (a multi-line message). Default false: a value is one line. */
  keepLineBreaks?: boolean;
};

/**
 * `text` with every control, bidi, zero-width and line-separator character, and every space
 * that is not U+0020 (`Nbsp\u00A0gold`), written as a visible `\uXXXX` escape. Everything else
 * (any script, emoji, a literal backslash) is kept. Idempotent: the escapes are plain ASCII.
 */
export function escapeText(text: string, options: EscapeOptions = {}): string {
  const pattern = options.keepLineBreaks ? SHOWN_ESCAPED_KEEP_LINES : SHOWN_ESCAPED;
  pattern.lastIndex = 0;
  return pattern.test(text) ? text.replace(pattern, escapeCodePoint) : text;
}

/**
 * A value someone gave (a flag, a variable, an argument), in double quotes and escaped as
 * one line: an error quoting it stays one line, whatever it holds (`"prod\u000Afake"`).
 */
export function quoted(value: string): string {
  return `"${escapeText(value)}"`;
}

/** How much of a refused name `quotedStart` shows. */
const SHOWN_START = 100;

/**
 * `quoted`, but a value longer than 100 characters (a file pasted as an argument) shown by its
 * start and its length: `"aaa…" (100000 characters)`, so that its refusal stays one short line.
 */
export function quotedStart(value: string): string {
  if (value.length <= SHOWN_START) return quoted(value);
  return `${quoted(`${value.slice(0, SHOWN_START)}…`)} (${value.length} characters)`;
}

/** A copy of a JSON-like value with every string and every key escaped (`escapeText`). */
export function escapeDeep<T>(value: T): T {
  if (typeof value === 'string') return escapeText(value) as T;
  if (Array.isArray(value)) return value.map((item: unknown) => escapeDeep(item)) as T;
  if (typeof value !== 'object' || value === null) return value;
  const copy: Record<string, unknown> = {};
  for (const [key, item] of Object.entries(value)) copy[escapeText(key)] = escapeDeep(item);
  return copy as T;
}

/**
 * JSON text with the characters JSON.stringify leaves raw (DEL, C1, bidi, zero-width,
 * U+2028/9) written as `\uXXXX`. Lossless: those characters can only occur inside JSON
 * strings, where the escape parses back to the same character.
 */
export function escapeJsonText(json: string): string {
  UNSAFE_IN_JSON.lastIndex = 0;
  return UNSAFE_IN_JSON.test(json) ? json.replace(UNSAFE_IN_JSON, escapeCodePoint) : json;
}

/** Where a manifest string may use which characters. */
export type TextKind =
  /** An identifier or label (`spec.name`, field names, labels, tags, ...): one line, nothing invisible. */
  | 'name'
  /** Free text (`spec.description`): tabs and line breaks allowed, zero-width joiners too (emoji, scripts). */
  | 'multiline';

export type UnsafeCharacter = {
  /** Stable rule: `text/control-character`, `text/bidi-control` or `text/zero-width`. */
  rule: 'text/control-character' | 'text/bidi-control' | 'text/zero-width';
  /** The character itself, to find it in the source. */
  char: string;
  /** `U+202E`. */
  codePoint: string;
  /** 0-based index of the character in the string. */
  index: number;
  /** What it is, for the message. */
  description: string;
};

const BIDI_ONLY = new RegExp(`[${BIDI}]`, 'u');
const ZERO_WIDTH_ONLY = new RegExp(`[${ZERO_WIDTH}]`, 'u');

function classify(char: string, kind: TextKind): Pick<UnsafeCharacter, 'rule' | 'description'> | undefined {
  if (BIDI_ONLY.test(char)) return { rule: 'text/bidi-control', description: 'a bidi control character' };
  if (ZERO_WIDTH_ONLY.test(char)) {
    return kind === 'name'
      ? { rule: 'text/zero-width', description: 'an invisible zero-width character' }
      : undefined;
  }
  if (kind === 'multiline' && (char === '\n' || char === '\t')) return undefined;
  return { rule: 'text/control-character', description: 'a control character' };
}

/** The first character manifests refuse in a string of this kind, if any. */
export function unsafeCharacter(text: string, kind: TextKind): UnsafeCharacter | undefined {
  // The common case, a clean string, without matchAll's iterator (every manifest string comes here).
  UNSAFE.lastIndex = 0;
  if (!UNSAFE.test(text)) return undefined;
  UNSAFE.lastIndex = 0;
  for (const match of text.matchAll(UNSAFE)) {
    const char = match[0];
    const found = classify(char, kind);
    if (found) {
      return { ...found, char, codePoint: `U+${escapeCodePoint(char).slice(2)}`, index: match.index };
    }
  }
  return undefined;
}

export type Utf8Result =
  { ok: true; text: string } | { ok: false; offset: number; line: number; column: number };

/** Length of a well-formed UTF-8 sequence starting at `i`, or 0 when it is not one. */
function sequenceLength(bytes: Uint8Array, i: number): number {
  const first = bytes[i]!;
  if (first < 0x80) return 1;
  let length: number;
  let min: number;
  let max = 0xbf;
  if (first >= 0xc2 && first <= 0xdf) [length, min] = [2, 0x80];
  else if (first >= 0xe0 && first <= 0xef) {
    length = 3;
    min = first === 0xe0 ? 0xa0 : 0x80;
    if (first === 0xed) max = 0x9f; // no surrogates
  } else if (first >= 0xf0 && first <= 0xf4) {
    length = 4;
    min = first === 0xf0 ? 0x90 : 0x80;
    if (first === 0xf4) max = 0x8f; // nothing above U+10FFFF
  } else return 0;
  for (let k = 1; k < length; k++) {
    const byte = bytes[i + k];
    if (byte === undefined) return 0;
    const [low, high] = k === 1 ? [min, max] : [0x80, 0xbf];
    if (byte < low || byte > high) return 0;
  }
  return length;
}

/** Offset of the first byte that does not start a well-formed UTF-8 sequence. */
function firstBadByte(bytes: Uint8Array): number {
  let i = 0;
  while (i < bytes.length) {
    const length = sequenceLength(bytes, i);
    if (length === 0) return i;
    i += length;
  }
  return bytes.length;
}

const strict = new TextDecoder('utf-8', { fatal: true });

/**
 * Decodes a file strictly: invalid UTF-8 is never silently replaced by U+FFFD (that
 * would send a different name than the one in the file). On failure, the 1-based line and
 * column (in characters) of the first bad byte.
 */
export function decodeUtf8(bytes: Uint8Array): Utf8Result {
  try {
    return { ok: true, text: strict.decode(bytes) };
  } catch {
    const offset = firstBadByte(bytes);
    const before = new TextDecoder('utf-8').decode(bytes.subarray(0, offset));
    return { ok: false, offset, ...positionAfter(before) };
  }
}

/** The line and column (in characters, from 1) of what follows `before`. */
export function positionAfter(before: string): { line: number; column: number } {
  const lineStart = before.lastIndexOf('\n') + 1;
  return {
    line: before.slice(0, lineStart).split('\n').length,
    column: [...before.slice(lineStart)].length + 1,
  };
}
