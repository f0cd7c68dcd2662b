/** Bounds checked on the raw text before any YAML parser sees it. */
export type ScanLimits = {
  /** Nesting depth, flow (`[`, `{`) and block (indentation, `- `, `? `, a line's keys) together. Default 32. */
  maxDepth: number;
  /** YAML documents in one file. Default 1,000. */
  maxDocuments: number;
  /** Collection entries (a rough count of nodes) in one file. Default 100,000. */
  maxNodes: number;
  /** Entries of one mapping or sequence (the parser checks keys pairwise). Default 1,000. */
  maxEntries: number;
  /** Anchors and aliases in one file (resolving them is quadratic). Default 200. */
  maxAnchors: number;
};

export type ScanRefusal = { line: number; column: number; rule: string; message: string };

const NL = 10;
const CR = 13;
const SPACE = 32;
const TAB = 9;
const HASH = 35;

/** `[`, `]`, `{`, `}`, `,`: they end an anchor, an alias or a tag. */
function isFlowIndicator(code: number): boolean {
  return code === 91 || code === 93 || code === 123 || code === 125 || code === 44;
}

/**
 * Characters with a meaning to the scan outside quotes (blanks, `#`, quotes, brackets,
 * `,`, `-`, `:`, `?`, `|`, `>`, `&`, `*`, `!`): any other one only ends a value's start.
 */
const SPECIAL = new Uint8Array(128);
for (const char of ' \t\r#"\'[]{},-:?|>&*!') SPECIAL[char.charCodeAt(0)] = 1;

function isBlank(code: number): boolean {
  return code === SPACE || code === TAB || code === NL || code === CR || Number.isNaN(code);
}

/**
 * One linear pass over the text, with no regular expression and no recursion, that
 * refuses what would make a YAML parser work hard: deep nesting (the parsers recurse,
 * and 5,000 levels of `[` abort Node), thousands of documents, millions of nodes.
 * It tracks quotes, comments and block scalars so that brackets inside strings do
 * not count; where it is unsure it errs towards counting less, because the parser
 * runs in a worker with memory limits behind it.
 */
export function prescan(text: string, limits: ScanLimits): ScanRefusal | undefined {
  let line = 1;
  let lineStart = 0;
  let flow = 0;
  /** Columns of the open block collections, innermost last, and how many entries each has. */
  const blocks: number[] = [];
  const blockEntries: number[] = [];
  /** Entries of the open flow collections, innermost last. */
  const flowEntries: number[] = [];
  let anchors = 0;
  let documents = 0;
  let contentBeforeFirstMarker = false;
  let nodes = 0;
  /** A scalar may start here: quotes and `[`/`{` mean something only at a value's start. */
  let valueStart = true;
  let quote = 0;
  /** Lines more indented than this belong to a block scalar (`|`, `>`); -1 when none. */
  let literalIndent = -1;
  /** Keys (`k:`) seen on this line, outside flow collections. */
  let keysOnLine = 0;

  const n = text.length;
  const maxNodes = limits.maxNodes;
  const tooDeep = `nesting deeper than ${limits.maxDepth} levels`;
  const tooMany = `more than ${limits.maxEntries} entries in one mapping or sequence`;
  const lineEnd = (from: number): number => {
    const eol = text.indexOf('\n', from);
    return eol === -1 ? n : eol;
  };
  const refuse = (rule: string, message: string, at: number): ScanRefusal => ({
    line,
    column: at - lineStart + 1,
    rule,
    message,
  });

  /** Indentation, document markers and block scalars at the start of a line; returns where to go on. */
  const startLine = (from: number): number | ScanRefusal => {
    let j = from;
    while (j < n && text.charCodeAt(j) === SPACE) j += 1;
    // The text's end first: a read past it (NaN) deoptimised this function in every isolate
    // at the first file ending with a newline, and it was compiled anew.
    if (j >= n) return j;
    const indent = j - from;
    const next = text.charCodeAt(j);
    if (next === NL || (next === CR && text.charCodeAt(j + 1) === NL)) return j;
    if (literalIndent >= 0 && indent > literalIndent) {
      const eol = text.indexOf('\n', j);
      return eol === -1 ? n : eol;
    }
    literalIndent = -1;
    if (indent === 0 && text.startsWith('---', j) && isBlank(text.charCodeAt(j + 3))) {
      documents += 1;
      if (documents + (contentBeforeFirstMarker ? 1 : 0) > limits.maxDocuments) {
        return refuse(
          'yaml/too-many-documents',
          `more than ${limits.maxDocuments} YAML documents in one file`,
          j,
        );
      }
      blocks.length = 0;
      blockEntries.length = 0;
      flowEntries.length = 0;
      flow = 0;
      return j + 3;
    }
    if (next === HASH) return j;
    if (documents === 0) contentBeforeFirstMarker = true;
    if (flow === 0) {
      while (blocks.length > 0 && blocks[blocks.length - 1]! > indent) {
        blocks.pop();
        blockEntries.pop();
      }
      if (blocks.length === 0 || blocks[blocks.length - 1]! < indent) {
        blocks.push(indent);
        blockEntries.push(0);
      }
      if (blocks.length > limits.maxDepth) return refuse('yaml/too-deep', tooDeep, j);
      const entries = (blockEntries[blockEntries.length - 1] ?? 0) + 1;
      blockEntries[blockEntries.length - 1] = entries;
      if (entries > limits.maxEntries) return refuse('yaml/too-many-entries', tooMany, j);
    }
    return j;
  };

  let i = 0;
  for (;;) {
    // Each line, the first included, starts here.
    keysOnLine = 0;
    if (quote === 0) {
      valueStart = true;
      const next = startLine(i);
      if (typeof next !== 'number') return next;
      i = next;
    }
    const end = lineEnd(i);
    while (i < end) {
      if (nodes > maxNodes) {
        return refuse('yaml/too-many-nodes', `more than ${maxNodes} YAML nodes in one file`, i);
      }
      const code = text.charCodeAt(i);
      if (quote === 0 && (code >= 128 || SPECIAL[code] === 0)) {
        // The common case: the characters of a key or a plain value, which change no count
        // (so the check of `nodes` above holds for all of them).
        valueStart = false;
        i += 1;
        for (let next = text.charCodeAt(i); i < end && (next >= 128 || SPECIAL[next] === 0);) {
          i += 1;
          next = text.charCodeAt(i);
        }
        continue;
      }
      if (quote !== 0) {
        if (code === quote) {
          // '' inside a single-quoted scalar is an escaped quote.
          if (quote === 39 && text.charCodeAt(i + 1) === 39) i += 2;
          else {
            quote = 0;
            valueStart = false;
            i += 1;
          }
        } else if (code === 92 && quote === 34) i += 2;
        else i += 1;
        continue;
      }

      switch (code) {
        case SPACE:
        case TAB:
        case CR:
          i += 1;
          continue;
        case HASH: {
          const previous = i === 0 ? SPACE : text.charCodeAt(i - 1);
          if (isBlank(previous)) {
            i = end;
            continue;
          }
          break;
        }
        case 34: // "
        case 39: // '
          if (valueStart) {
            quote = code;
            i += 1;
            continue;
          }
          break;
        case 91: // [
        case 123: // {
          if (valueStart || flow > 0) {
            flow += 1;
            flowEntries.push(1);
            nodes += 1;
            if (flow + blocks.length > limits.maxDepth) {
              return refuse('yaml/too-deep', tooDeep, i);
            }
            valueStart = true;
            i += 1;
            continue;
          }
          break;
        case 93: // ]
        case 125: // }
          if (flow > 0) {
            flow -= 1;
            flowEntries.pop();
            valueStart = false;
            i += 1;
            continue;
          }
          break;
        case 44: // ,
          if (flow > 0) {
            nodes += 1;
            const entries = flowEntries[flowEntries.length - 1]! + 1;
            flowEntries[flowEntries.length - 1] = entries;
            if (entries > limits.maxEntries) return refuse('yaml/too-many-entries', tooMany, i);
            valueStart = true;
            i += 1;
            continue;
          }
          break;
        case 45: // -
        case 58: // :
        case 63: // ?
          if (isBlank(text.charCodeAt(i + 1)) || (flow > 0 && code === 58)) {
            nodes += 1;
            if (flow === 0 && (valueStart || (code === 58 && ++keysOnLine > 1))) {
              // `- - - x`, `? ? ? x`, `: : : x`: each indicator at a value's start opens one
              // more collection; so does each key of a line after its first (`k: k: k: x`:
              // YAML refuses it, but the parser nests it first). Uncounted, one line of them
              // nested thousands deep: the parser recursed to the end of the stack, where V8
              // aborts Node ("RegExpCompiler ... out of memory") if it compiles a regular
              // expression, rather than throwing.
              const column = i - lineStart;
              if (blocks[blocks.length - 1]! < column) blocks.push(column);
              if (blocks.length + 1 > limits.maxDepth) {
                return refuse('yaml/too-deep', tooDeep, i);
              }
            }
            valueStart = true;
            i += 1;
            continue;
          }
          break;
        case 124: // |
        case 62: // >
          if (valueStart && flow === 0) {
            let k = lineStart;
            while (text.charCodeAt(k) === SPACE) k += 1;
            literalIndent = k - lineStart;
            i = end;
            continue;
          }
          break;
        case 38: // & anchor
        case 42: // * alias
        case 33: // ! tag
          if (valueStart) {
            if (code !== 33 && ++anchors > limits.maxAnchors) {
              return refuse(
                'yaml/too-many-anchors',
                `more than ${limits.maxAnchors} anchors and aliases in one file`,
                i,
              );
            }
            i += 1;
            while (i < n && !isBlank(text.charCodeAt(i)) && !isFlowIndicator(text.charCodeAt(i))) i += 1;
            continue;
          }
          break;
        default:
          break;
      }
      valueStart = false;
      i += 1;
    }
    if (end >= n) return undefined;
    // A backslash may have skipped the line feed: go on from the next line in any case.
    i = end + 1;
    line += 1;
    lineStart = i;
  }
}
