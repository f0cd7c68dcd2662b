/**
 * Where a text that JSON.parse refused stops being JSON, and why, in words a person can act
 * on: V8's own message differs between Node releases (20 gives no position for most errors)
 * and quotes the text, which a message must not (a file may hold anything). Called only
 * after JSON.parse failed, so the scan's cost is paid only for a broken file.
 */
export type JsonErrorAt = { line: number; column: number; problem: string };

/** Thrown inside the scan only (an Error, as lint asks), caught by jsonErrorAt. */
class Stop extends Error {
  constructor(
    readonly at: number,
    readonly problem: string,
  ) {
    super(problem);
  }
}

const LITERALS = ['true', 'false', 'null'];
const MAX_DEPTH = 1000;

/** The scanner: each method reads one JSON production at `at` or throws a Stop. */
class Scan {
  at = 0;
  constructor(private readonly text: string) {}

  fail(problem?: string): never {
    if (this.at >= this.text.length) throw new Stop(this.at, 'the text ends too soon (cut short?)');
    const char = this.text.codePointAt(this.at) ?? 0;
    const shown =
      char >= 0x21 && char <= 0x7e
        ? `"${String.fromCodePoint(char)}"`
        : `U+${char.toString(16).toUpperCase().padStart(4, '0')}`;
    throw new Stop(this.at, problem ?? `unexpected ${shown}`);
  }

  space(): void {
    while (/[ \t\n\r]/.test(this.text[this.at] ?? '')) this.at += 1;
  }

  value(depth: number): void {
    // Bounded: a broken file of nested brackets must not overflow the stack of its reader.
    if (depth > MAX_DEPTH) this.fail('nested deeper than 1000 levels');
    this.space();
    const char = this.text[this.at];
    if (char === '{') return this.object(depth + 1);
    if (char === '[') return this.array(depth + 1);
    if (char === '"') return this.string();
    if (char === '-' || /[0-9]/.test(char ?? '')) return this.number();
    const literal = LITERALS.find((word) => this.text.startsWith(word, this.at));
    if (literal === undefined) this.fail();
    this.at += literal.length;
  }

  object(depth: number): void {
    this.members('}', () => {
      this.space();
      if (this.text[this.at] !== '"') this.fail();
      this.string();
      this.space();
      if (this.text[this.at] !== ':') this.fail();
      this.at += 1;
      this.value(depth);
    });
  }

  array(depth: number): void {
    this.members(']', () => this.value(depth));
  }

  /** An object's or an array's members, each read by `member`, from its opening bracket to `close`. */
  members(close: '}' | ']', member: () => void): void {
    this.at += 1;
    this.space();
    if (this.text[this.at] === close) {
      this.at += 1;
      return;
    }
    for (;;) {
      member();
      this.space();
      if (this.text[this.at] === close) {
        this.at += 1;
        return;
      }
      if (this.text[this.at] !== ',') this.fail();
      this.at += 1;
    }
  }

  string(): void {
    this.at += 1;
    for (;;) {
      const char = this.text[this.at];
      if (char === undefined) this.fail();
      if (char === '"') {
        this.at += 1;
        return;
      }
      if (char < ' ') this.fail('a line break or control character inside a string');
      if (char === '\\') {
        this.at += 1;
        const escape = this.text[this.at];
        if (escape === 'u' && /^[0-9a-fA-F]{4}$/.test(this.text.slice(this.at + 1, this.at + 5)))
          this.at += 4;
        else if (escape === undefined || !'"\\/bfnrt'.includes(escape)) this.fail('a bad escape in a string');
      }
      this.at += 1;
    }
  }

  number(): void {
    const match = /^-?(0|[1-9][0-9]*)(\.[0-9]+)?([eE][+-]?[0-9]+)?/.exec(
      this.text.slice(this.at, this.at + 400),
    );
    if (match === null) this.fail();
    this.at += match[0].length;
  }
}

/** The line and column (from 1) of `offset` in `text`. */
function position(text: string, offset: number): { line: number; column: number } {
  let line = 1;
  let start = 0;
  for (let index = text.indexOf('\n'); index >= 0 && index < offset; index = text.indexOf('\n', index + 1)) {
    line += 1;
    start = index + 1;
  }
  return { line, column: offset - start + 1 };
}

/** The first place `text` is not JSON, or undefined when it is. */
export function jsonErrorAt(text: string): JsonErrorAt | undefined {
  const scan = new Scan(text);
  try {
    scan.value(0);
    scan.space();
    if (scan.at < text.length) scan.fail('more text after the JSON value');
    return undefined;
  } catch (error) {
    if (!(error instanceof Stop)) throw error;
    return { ...position(text, error.at), problem: error.problem };
  }
}
